// deno task eval --data fashion-mnist without --inception: the shipped classifier scores, and the output and
// eval.json say so; a conditional generator also gets its accuracy.
import assert from "node:assert/strict";
import { join } from "node:path";
import * as t from "../../mod.ts";
import { runDeno } from "../fixtures.ts";

const EVAL = new URL("../../tasks/cli/eval.ts", import.meta.url).pathname;

Deno.test("deno task eval --data fashion-mnist scores with the shipped classifier and labels its FID", async () => {
  const work = await Deno.makeTempDir({ prefix: "dcgan-eval-fmnist-" });
  try {
    t.manualSeed(6);
    using plain = t.weightsInit(new t.Generator({ nz: 8, ngf: 4, nc: 1, imageSize: 32 })).eval();
    using conditional = new t.ConditionalGenerator({ nz: 8, ngf: 4, nc: 1, imageSize: 32, numClasses: 10 })
      .eval();
    await t.saveStateDict(plain, join(work, "plain.safetensors"));
    await t.saveStateDict(conditional, join(work, "conditional.safetensors"));
    const flags = ["--data", "fashion-mnist", "--n", "40", "--kid-subsets", "5", "--batch-size", "20"];

    const out = join(work, "out");
    const run = await runDeno([
      "run",
      "-A",
      EVAL,
      "--checkpoint",
      join(work, "plain.safetensors"),
      ...flags,
      "--real-baseline",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /F-MNIST classifier features of 40 real and 40 generated images/);
    assert.match(
      run.stdout,
      /FID \(F-MNIST features\) \d+\.\d{3} \(40 generated vs 40 real images, F-MNIST classifier\)/,
    );
    assert.match(run.stdout, /never compare with Inception FIDs/);
    assert.match(run.stdout, /KID -?\d+\.\d+(e-\d+)? ± /);
    assert.match(run.stdout, /IS \d+\.\d{3} ± \d+\.\d{3} \(10 splits; real images \d+\.\d{3} ± \d+\.\d{3}\)/);
    assert.match(run.stdout, /Precision \d\.\d{3}, recall \d\.\d{3} \(k = 3\)/);
    assert.doesNotMatch(run.stdout, /Accuracy/);
    assert.match(
      run.stdout,
      /A second real sample \(40 images\), the ceiling: FID \(F-MNIST features\) \d+\.\d{3}, KID .+, precision \d\.\d{3}, recall \d\.\d{3}/,
    );
    const report = JSON.parse(await Deno.readTextFile(join(out, "eval.json")));
    // an untrained G is far from the data; a second real sample is near it
    assert.ok(
      report.realBaseline.fid < report.fid / 2,
      `baseline FID ${report.realBaseline.fid} vs ${report.fid}`,
    );
    // (measured: FID 106 against 826, recall 0.95 against 0; the untrained G's few shapes sit inside the
    // real images' neighbourhoods, so its precision is 1 and says nothing here)
    assert.ok(report.realBaseline.precisionRecall.recall > report.precisionRecall.recall + 0.5);
    assert.equal(report.fidName, "FID (F-MNIST features)");
    assert.equal(report.network.kind, "fashion-mnist-classifier");
    assert.equal(report.network.dims, 128);
    assert.equal(report.inception, undefined);
    assert.ok(
      report.inceptionScore.mean >= 1 && report.inceptionScore.real.mean > report.inceptionScore.mean,
    );
    assert.ok(report.precisionRecall.precision >= 0 && report.precisionRecall.recall <= 1);

    const conditionalRun = await runDeno([
      ...["run", "-A", EVAL, "--checkpoint", join(work, "conditional.safetensors"), ...flags],
      ...["--out", join(work, "out-conditional")],
    ]);
    assert.equal(conditionalRun.code, 0, conditionalRun.stderr);
    assert.match(conditionalRun.stdout, /Accuracy \d+\.\d% \(the classifier's class is the one asked for\)/);
    const conditionalReport = JSON.parse(await Deno.readTextFile(join(work, "out-conditional", "eval.json")));
    assert.ok(conditionalReport.accuracy >= 0 && conditionalReport.accuracy <= 1);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("deno task eval without --inception refuses RGB generators and other data, naming --inception", async () => {
  const work = await Deno.makeTempDir({ prefix: "dcgan-eval-rgb-" });
  try {
    using rgb = new t.Generator({ nz: 8, ngf: 4, nc: 3, imageSize: 32 });
    await t.saveStateDict(rgb, join(work, "g.safetensors"));
    const run = await runDeno([
      "run",
      "-A",
      EVAL,
      "--checkpoint",
      join(work, "g.safetensors"),
      "--data",
      "fashion-mnist",
    ]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /1-channel images, but the generator makes 3-channel ones: pass --inception/);
    const folder = await runDeno([
      "run",
      "-A",
      EVAL,
      "--checkpoint",
      join(work, "g.safetensors"),
      "--data",
      work,
    ]);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /--inception is required/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
