// Pixel features (`deno task eval --pixel-features`): 16x16 average-pooled pixels in [0, 1] against a plain
// loop, and the CLI end to end on a tiny generator whose own samples are the data.
import assert from "node:assert/strict";
import { join } from "node:path";
import * as t from "../../mod.ts";
import { PixelFeatures } from "../../tasks/metrics/pixel_features.ts";
import { runDeno } from "../fixtures.ts";
import { saveGeneratedFolder } from "./generated_folder.ts";

const EVAL = new URL("../../tasks/cli/eval.ts", import.meta.url).pathname;

Deno.test("pixel features are each 4x4 block's mean of a 64x64 image, in [0, 1]", () => {
  t.manualSeed(3);
  using images = t.randn([2, 3, 64, 64]).tanh();
  using features = new PixelFeatures().features(images);
  assert.deepEqual(features.shape, [2, 768]);
  const pixels = images.toFloat32Array();
  const expected = new Float32Array(2 * 768);
  for (let n = 0; n < 2; n++) {
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 16; i++) {
        for (let j = 0; j < 16; j++) {
          let sum = 0;
          for (let y = 0; y < 4; y++) {
            for (let x = 0; x < 4; x++) sum += pixels[((n * 3 + c) * 64 + 4 * i + y) * 64 + 4 * j + x]!;
          }
          expected[n * 768 + (c * 16 + i) * 16 + j] = (sum / 16 + 1) / 2;
        }
      }
    }
  }
  const actual = features.toFloat32Array();
  const worst = actual.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i]!)), 0);
  assert.ok(worst < 1e-6, `off by ${worst}`);
  using small = t.zeros([1, 3, 8, 8]);
  assert.throws(() => new PixelFeatures().features(small), /at least 16x16, got shape \[1,3,8,8\]/);
});

Deno.test("deno task eval --pixel-features: FID ~0, precision and recall 1 when the data are the samples", async () => {
  const work = await Deno.makeTempDir({ prefix: "dcgan-pixels-" });
  try {
    t.manualSeed(5);
    const n = 12;
    using netG = t.weightsInit(new t.Generator({ nz: 8, ngf: 4, imageSize: 32 })).eval();
    const checkpoint = join(work, "generator.safetensors");
    await t.saveStateDict(netG, checkpoint);
    const data = join(work, "data");
    await saveGeneratedFolder(netG, n, data);
    const out = join(work, "out");
    const flags = ["--checkpoint", checkpoint, "--pixel-features", "--data", data, "--kid-subsets", "3"];
    const { code, stdout, stderr } = await runDeno([
      "run",
      "-A",
      EVAL,
      ...flags,
      "--n",
      String(n),
      "--out",
      out,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      /FID \(pixel features\) -?\d+\.\d{3} \(12 generated vs 12 real images, 16x16 pixels\)/,
    );
    assert.match(stdout, /rank generators of one data set/);
    const report = JSON.parse(await Deno.readTextFile(join(out, "eval.json")));
    assert.equal(report.network.kind, "pixels");
    assert.equal(report.network.dims, 768);
    assert.equal(report.inceptionScore, undefined);
    assert.ok(Math.abs(report.fid) < 1e-3, `FID of the samples against themselves is ${report.fid}`);
    assert.deepEqual(report.precisionRecall, { precision: 1, recall: 1, k: 3 });

    const both = await runDeno(["run", "-A", EVAL, ...flags, "--inception", join(work, "none.safetensors")]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--inception and --pixel-features each pick the features: pass one of them/);
    const neither = await runDeno(["run", "-A", EVAL, "--checkpoint", checkpoint, "--data", data]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /--pixel-features scores any data crudely/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
