// Eval while training and health in train() (issue 14, items 4 and 5): --eval-every changes no training
// number, puts fid and kid on its steps' lines and keeps generator_best; every epoch's last line has
// its health.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseTrainArgs } from "../../tasks/gan/config.ts";
import { train } from "../../tasks/gan/train.ts";
import { BEST_GENERATOR_FILE, EVAL_REAL_FEATURES_FILE } from "../../tasks/gan/train_eval.ts";
import { readLossHistory } from "../../tasks/image/run_visuals.ts";
import { readMetrics, TINY_NETWORKS, withTempDir } from "../fixtures.ts";
import { writeFashionMnistSubset } from "./fashion_subset.ts";

interface Line {
  step: number;
  batch: number;
  lossD: number;
  lossG: number;
  dx: number;
  dgz1: number;
  dgz2: number;
  fid?: number;
  kid?: number;
  health?: string[];
}

Deno.test("--eval-every leaves the losses bit for bit, logs FID and KID, keeps generator_best; epochs log health", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "fmnist");
    await Deno.mkdir(data);
    await writeFashionMnistSubset(data, 64);
    Deno.env.set("DCGAN_FASHION_MNIST", data);
    const run = async (name: string, extra: string[]) => {
      const lines: string[] = [];
      const out = join(dir, name);
      const flags = [...TINY_NETWORKS, "--data", "fashion-mnist", "--batch-size", "16", "--epochs", "2"];
      await train(parseTrainArgs([...flags, "--ema", "0.9", "--out", out, ...extra])!, {
        log: (line) => lines.push(line),
      });
      return { out, lines, metrics: await readMetrics<Line>(out) };
    };
    const plain = await run("plain", []);
    const scored = await run("scored", ["--eval-every", "3", "--eval-samples", "40"]);

    const numbers = (lines: Line[]) =>
      lines.map(({ lossD, lossG, dx, dgz1, dgz2 }) => [lossD, lossG, dx, dgz1, dgz2]);
    assert.equal(plain.metrics.length, 8);
    assert.deepEqual(numbers(scored.metrics), numbers(plain.metrics), "the same losses, bit for bit");
    for (const file of ["generator.safetensors", "generator_ema.safetensors", "discriminator.safetensors"]) {
      assert.deepEqual(
        await Deno.readFile(join(scored.out, file)),
        await Deno.readFile(join(plain.out, file)),
        `${file}: the same weights and BatchNorm statistics`,
      );
    }

    const scoredSteps = scored.metrics.filter((line) => line.fid !== undefined).map((line) => line.step);
    assert.deepEqual(scoredSteps, [3, 6]);
    for (const line of scored.metrics) {
      assert.equal(line.kid === undefined, line.fid === undefined);
      if (line.fid !== undefined) assert.ok(line.fid > 0 && Number.isFinite(line.kid!), JSON.stringify(line));
    }
    assert.equal(
      scored.lines.filter((line) => /^Eval at step \d+: FID \(F-MNIST features\)/.test(line)).length,
      2,
    );
    assert.ok(scored.lines.some((line) => /^Eval: .* of 40 samples vs 40 real images/.test(line)));
    await Deno.stat(join(scored.out, BEST_GENERATOR_FILE));
    await Deno.stat(join(scored.out, EVAL_REAL_FEATURES_FILE));
    await assert.rejects(Deno.stat(join(plain.out, BEST_GENERATOR_FILE)), Deno.errors.NotFound);

    // health on each epoch's last step line (an array: the board skips it, the loss plot reads the line)
    for (const { metrics } of [plain, scored]) {
      const health = metrics.filter((line) => line.health !== undefined);
      assert.deepEqual(health.map((line) => [line.step, line.batch]), [[4, 4], [8, 4]]);
      for (const line of health) assert.ok(Array.isArray(line.health));
    }
    const { history } = await readLossHistory(join(scored.out, "metrics.jsonl"));
    assert.equal(history.lossD.length, 8);
  });
});
