// Eval while training (issue 14, item 4), the library half: TrainEvaluator scores as `deno task eval`
// does, caches the real features in the run folder, keeps the best generator, and leaves the generator's
// state and the random stream as they were.
import assert from "node:assert/strict";
import { join } from "node:path";
import * as t from "../../mod.ts";
import { parseEvalArgs } from "../../tasks/cli/eval_config.ts";
import { loadFashionMnist } from "../../tasks/data/fashion_mnist.ts";
import { ConfigError, parseTrainArgs } from "../../tasks/gan/config.ts";
import { BEST_GENERATOR_FILE, EVAL_REAL_FEATURES_FILE, TrainEvaluator } from "../../tasks/gan/train_eval.ts";
import { evaluate } from "../../tasks/metrics/evaluate.ts";
import { readSafetensors } from "../../models/io/safetensors.ts";
import { withTempDir } from "../fixtures.ts";
import { writeFashionMnistSubset } from "./fashion_subset.ts";

Deno.test("TrainEvaluator scores as deno task eval does, caches the real features and keeps the best", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "fmnist");
    await Deno.mkdir(data);
    await writeFashionMnistSubset(data, 120);
    Deno.env.set("DCGAN_FASHION_MNIST", data);
    const dataset = await loadFashionMnist({ size: 32 });
    assert.equal(dataset.count, 120);
    const config = { data: "fashion-mnist", imageSize: 32, evalSamples: 100, device: "cpu" as const };
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);

    t.manualSeed(3);
    using netG = t.weightsInit(new t.Generator({ nz: 8, ngf: 4, nc: 1, imageSize: 32 }));
    const values = () => {
      const state = netG.stateDict();
      const out = Object.fromEntries(
        Object.entries(state).map(([k, v]) => [k, Array.from(v.toFloat32Array())]),
      );
      for (const v of Object.values(state)) v.dispose();
      return out;
    };
    const before = values();
    const children = netG.namedModules();
    children[3]![1].eval(); // a mode of its own, which the eval must give back

    let first;
    {
      using evaluator = await TrainEvaluator.open(config, { out: dir, dataset, log });
      assert.match(
        lines.at(-1)!,
        /of 100 samples vs 100 real images \(F-MNIST classifier\); real features computed/,
      );
      t.manualSeed(11);
      first = await evaluator.evaluate(netG, 7);
      using after = t.randn([4]);
      t.manualSeed(11);
      using expected = t.randn([4]);
      assert.deepEqual(
        after.toFloat32Array(),
        expected.toFloat32Array(),
        "the random stream goes on untouched",
      );
    }
    assert.ok(first.best && Number.isFinite(first.fid) && first.fid > 0);
    assert.match(
      lines.at(-1)!,
      /^Eval at step 7: FID \(F-MNIST features\) \d+\.\d{3}, KID .* \(100 samples, .*\); best so far/,
    );
    // the generator as it was: weights, BatchNorm running statistics, each module's mode
    assert.deepEqual(values(), before);
    assert.deepEqual(
      netG.namedModules().map(([, m]) => m.training),
      children.map((_, i) => i !== 3),
    );

    // deno task eval on generator_best gives the same numbers (same latents, real sample and subsets)
    const report = await evaluate(
      parseEvalArgs([
        ...["--checkpoint", join(dir, BEST_GENERATOR_FILE), "--data", "fashion-mnist"],
        ...["--n", "100", "--out", join(dir, "eval")],
      ])!,
    );
    assert.ok(Math.abs(report.fid - first.fid) <= 1e-6 * first.fid, `${report.fid} vs ${first.fid}`);
    assert.ok(Math.abs(report.kid.mean - first.kid.mean) <= 1e-9 + 1e-6 * Math.abs(first.kid.mean));

    // a second run over the folder reads the cache and knows the best so far
    const cacheTime = (await Deno.stat(join(dir, EVAL_REAL_FEATURES_FILE))).mtime;
    {
      using evaluator = await TrainEvaluator.open(config, { out: dir, dataset, log });
      assert.match(lines.at(-1)!, /real features read from eval_real_features\.safetensors/);
      assert.equal(evaluator.best, first.fid);
      const again = await evaluator.evaluate(netG, 9);
      assert.equal(again.fid, first.fid);
      assert.equal(again.best, false, "as good is not better: the file stays");
    }
    assert.deepEqual((await Deno.stat(join(dir, EVAL_REAL_FEATURES_FILE))).mtime, cacheTime);
    assert.equal((await readSafetensors(join(dir, BEST_GENERATOR_FILE))).metadata.step, "7");

    // other settings: the features are computed again and the old best no longer counts
    {
      using evaluator = await TrainEvaluator.open({ ...config, evalSamples: 50 }, { out: dir, dataset, log });
      assert.ok(
        lines.some((line) => /generator_best\.safetensors was scored with other features/.test(line)),
      );
      assert.match(lines.at(-1)!, /computed and cached/);
      assert.equal((await evaluator.evaluate(netG, 12)).best, true);
    }
  });
});

Deno.test("--eval-every without a feature network for the data is refused, naming --inception", async () => {
  assert.throws(() => parseTrainArgs(["--eval-every", "100"]), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /--eval-every .* pass --inception PATH/);
    return true;
  });
  assert.equal(parseTrainArgs(["--eval-every", "100", "--data", "fashion-mnist"])!.evalSamples, 2000);
  assert.equal(
    parseTrainArgs(["--eval-every", "100", "--inception", "pt_inception.safetensors"])!.evalEvery,
    100,
  );
  const dataset = { images: new Uint8Array(12), count: 4, channels: 3, size: 1, skipped: [] };
  await assert.rejects(
    TrainEvaluator.open({ imageSize: 32, evalSamples: 4, device: "cpu" }, { out: ".", dataset }),
    /pass --inception PATH/,
  );
});
