// The conditional DCGAN: its networks, train --conditional on Fashion-MNIST's labels with an exact
// --resume, and sample --class / --per-class on what it saved.
import assert from "node:assert/strict";
import { join } from "node:path";
import { saveStateDict } from "../../models/io/state_dict_file.ts";
import { ConditionalDiscriminator, ConditionalGenerator } from "../../models/dcgan/conditional.ts";
import { Generator } from "../../models/dcgan/networks.ts";
import * as t from "../../mod.ts";
import { loadGenerator } from "../../tasks/gan/generator_file.ts";
import { main as sample } from "../../tasks/cli/sample.ts";
import { train } from "../../tasks/gan/train.ts";
import { parseTrainArgs } from "../../tasks/gan/config.ts";
import { imageSize, TINY_NETWORKS } from "../fixtures.ts";

const TINY = [...TINY_NETWORKS, "--batch-size", "4"];
const quiet = { log: () => {} };

Deno.test("ConditionalGenerator and ConditionalDiscriminator take labels and name their tensors as PyTorch", () => {
  t.manualSeed(0);
  using netG = new ConditionalGenerator({ nz: 8, ngf: 4, nc: 1, imageSize: 32, numClasses: 10 });
  using netD = new ConditionalDiscriminator({ ndf: 4, nc: 1, imageSize: 32, numClasses: 10, sigmoid: false });
  using labels = t.tensor([0, 9, 3], { dtype: "int64" });
  using z = t.randn([3, 8, 1, 1]);
  using fake = netG.forward(z, labels);
  assert.deepEqual(fake.shape, [3, 1, 32, 32]);
  using scores = netD.forward(fake, labels);
  assert.deepEqual(scores.shape, [3]);
  const keysG = Object.keys(t.tidy(() => Object.fromEntries(netG.namedParameters())));
  assert.ok(keysG.includes("label_emb.weight") && keysG.includes("main.0.weight"));
  const weight = netG.namedParameters().find(([k]) => k === "main.0.weight")![1];
  assert.deepEqual(weight.shape, [18, 16, 4, 4]); // nz + the 10-wide embedding in, ngf * 4 out
  const map = netD.namedParameters().find(([k]) => k === "label_emb.weight")![1];
  assert.deepEqual(map.shape, [10, 32 * 32]); // one label map channel per class
  assert.throws(() => netG.forward(z), /ConditionalGenerator needs the class labels/);
  using two = t.tensor([1, 2], { dtype: "int64" });
  assert.throws(() => netD.forward(fake, two), /expects labels of shape \[3\], got \[2\]/);
});

Deno.test("loadGenerator recognises a conditional generator by its label_emb and gives the same images", async () => {
  const dir = await Deno.makeTempDir();
  try {
    t.manualSeed(1);
    using netG = t.weightsInit(
      new ConditionalGenerator({ nz: 8, ngf: 4, nc: 1, imageSize: 32, numClasses: 10, embedDim: 6 }),
    ).eval();
    await saveStateDict(netG, join(dir, "generator.safetensors"));
    using loaded = await loadGenerator(dir);
    assert.ok(loaded instanceof ConditionalGenerator);
    assert.deepEqual([loaded.nz, loaded.numClasses, loaded.embedDim, loaded.nc], [8, 10, 6, 1]);
    using z = t.randn([2, 8, 1, 1]);
    using labels = t.tensor([4, 7], { dtype: "int64" });
    using a = t.noGrad(() => netG.forward(z, labels));
    using b = t.noGrad(() => loaded.forward(z, labels));
    assert.deepEqual(a.toArray(), b.toArray());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --conditional on Fashion-MNIST resumes exactly, and sample draws one class or a row per class", async () => {
  const straight = await Deno.makeTempDir();
  const split = await Deno.makeTempDir();
  try {
    const base = [...TINY, "--data", "fashion-mnist", "--conditional", "--loss", "lsgan", "--ema", "0.9"];
    await train(parseTrainArgs([...base, "--out", straight, "--max-steps", "4"])!, quiet);
    await train(parseTrainArgs([...base, "--out", split, "--max-steps", "2"])!, quiet);
    await train(parseTrainArgs([...base, "--out", split, "--max-steps", "4", "--resume"])!, quiet);
    const read = async (out: string) =>
      (await Deno.readTextFile(join(out, "metrics.jsonl"))).trim().split("\n").map((l) => JSON.parse(l));
    const a = await read(straight);
    const b = await read(split);
    assert.equal(a.length, 4);
    for (let i = 0; i < a.length; i++) {
      for (const key of ["lossD", "lossG", "dx", "dgz1", "dgz2"]) {
        assert.ok(
          Math.abs(a[i][key] - b[i][key]) < 1e-6,
          `step ${i + 1} ${key}: ${a[i][key]} vs ${b[i][key]}`,
        );
      }
    }
    // the fixed grid: one row of 8 per class
    assert.deepEqual(await imageSize(join(straight, "fake_samples_last.png")), [8 * 34 + 2, 10 * 34 + 2]);

    const one = join(straight, "class3.png");
    assert.equal(
      await sample(["--checkpoint", straight, "--class", "3", "--n", "4", "--nrow", "4", "--out", one]),
      0,
    );
    assert.deepEqual(await imageSize(one), [4 * 34 + 2, 34 + 2]);
    const rows = join(straight, "rows.png");
    const ema = join(straight, "generator_ema.safetensors");
    assert.equal(await sample(["--checkpoint", ema, "--per-class", "2", "--out", rows]), 0);
    assert.deepEqual(await imageSize(rows), [2 * 34 + 2, 10 * 34 + 2]);
    const errors: string[] = [];
    const error = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      assert.equal(await sample(["--checkpoint", straight, "--class", "10", "--out", one]), 2);
    } finally {
      console.error = error;
    }
    assert.match(errors.join("\n"), /--class must be below 10, the generator's classes, got 10/);
  } finally {
    await Deno.remove(straight, { recursive: true });
    await Deno.remove(split, { recursive: true });
  }
});

Deno.test("sample --class on an unconditional generator says it needs a conditional one", async () => {
  const dir = await Deno.makeTempDir();
  const errors: string[] = [];
  const error = console.error;
  console.error = (line: string) => errors.push(line);
  try {
    using netG = new Generator({ nz: 8, ngf: 4, nc: 3, imageSize: 32 });
    await saveStateDict(netG, join(dir, "generator.safetensors"));
    assert.equal(await sample(["--checkpoint", dir, "--class", "1", "--out", join(dir, "x.png")]), 2);
    assert.match(
      errors.join("\n"),
      /--class needs a conditional generator \(one trained with --conditional\)/,
    );
  } finally {
    console.error = error;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plain and conditional networks share one contract: forward(x, labels?) and numClasses", () => {
  t.manualSeed(0);
  const shape = { nz: 8, ngf: 4, nc: 1, imageSize: 32 } as const;
  using plainG = t.createGenerator(shape);
  using condG = t.createGenerator({ ...shape, numClasses: 3 });
  using plainD = t.createDiscriminator({ ndf: 4, nc: 1, imageSize: 32 });
  using condD = t.createDiscriminator({ ndf: 4, nc: 1, imageSize: 32, numClasses: 3 });
  assert.deepEqual([plainG.numClasses, condG.numClasses, plainD.numClasses, condD.numClasses], [0, 3, 0, 3]);
  assert.ok(plainG instanceof Generator && condG instanceof ConditionalGenerator);
  assert.ok(condD instanceof ConditionalDiscriminator);
  using z = t.randn([2, 8, 1, 1]);
  using labels = t.tensor([0, 2], { dtype: "int64" });
  using fake = condG.forward(z, labels);
  using score = condD.forward(fake, labels);
  assert.deepEqual(score.shape, [2]);
  assert.throws(() => plainG.forward(z, labels), /Generator is not conditional and takes no labels/);
  assert.throws(() => plainD.forward(fake, labels), /Discriminator is not conditional and takes no labels/);
});
