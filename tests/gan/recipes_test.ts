// Recipes' computed defaults: the default recipe follows the data, with its batch size, run length and lazy
// R1; the stable and large-data recipes train in bf16 and channels_last only on a CPU that has bf16
// instructions; the seed recipe, CUDA runs and other CPUs stay fp32 NCHW; flags still win.
import assert from "node:assert/strict";
import { bf16ByDefault } from "../../tasks/gan/recipes.ts";
import { parseTrainArgs, type TrainConfig } from "../../tasks/gan/config.ts";
import { cpuHasNativeBf16 } from "../../ops/cpu_features.ts";

Deno.test("bf16 and channels_last are the stable recipe's CPU defaults where bf16 is native, nowhere else", () => {
  const stable = { recipe: "stable", device: "cpu" } as TrainConfig;
  assert.equal(bf16ByDefault(stable, true), true);
  assert.equal(bf16ByDefault(stable, false), false, "emulated bf16 is slower than fp32");
  assert.equal(bf16ByDefault({ recipe: "seed", device: "cpu" } as TrainConfig, true), false);
  assert.equal(bf16ByDefault({ recipe: "stable", device: "cuda" } as TrainConfig, true), false);
});

Deno.test("the parsed config follows the CPU, and --amp off / --no-channels-last win over the recipe", () => {
  const native = cpuHasNativeBf16();
  const plain = parseTrainArgs([])!;
  assert.deepEqual([plain.amp, plain.channelsLast], native ? ["bf16", true] : ["off", false]);
  const seed = parseTrainArgs(["--recipe", "seed"])!;
  assert.deepEqual([seed.amp, seed.channelsLast], ["off", false], "the seed recipe stays bit-exact fp32");
  const off = parseTrainArgs(["--amp", "off", "--no-channels-last"])!;
  assert.deepEqual([off.amp, off.channelsLast], ["off", false]);
});

Deno.test("cpuHasNativeBf16 reads every core's flags: avx512_bf16 or amx_bf16 on each", () => {
  assert.equal(cpuHasNativeBf16("flags\t\t: fpu avx512f avx512_bf16 sse\nflags\t\t: fpu amx_bf16\n"), true);
  assert.equal(cpuHasNativeBf16("flags\t\t: fpu avx512f avx512bw\n"), false);
  assert.equal(cpuHasNativeBf16("flags : avx512_bf16\nflags : avx2\n"), false, "one core without it");
  assert.equal(cpuHasNativeBf16("processor : 0\n"), false, "no flags line (e.g. an ARM cpuinfo)");
});

Deno.test("the default recipe follows the data: large-data on Fashion-MNIST, small-data elsewhere; --recipe wins", () => {
  const fashion = parseTrainArgs(["--data", "fashion-mnist"])!;
  assert.equal(fashion.recipe, "large-data");
  assert.deepEqual([fashion.spectralNorm, fashion.augment, fashion.loss, fashion.ema], [
    false,
    [],
    "hinge",
    0.999,
  ]);
  assert.deepEqual([fashion.batchSize, fashion.maxSteps, fashion.r1, fashion.r1Every], [32, 13_500, 1, 16]);
  const emoji = parseTrainArgs([])!;
  assert.equal(emoji.recipe, "small-data");
  assert.deepEqual([emoji.spectralNorm, emoji.augment], [false, ["color", "translation", "cutout"]]);
  assert.deepEqual([emoji.loss, emoji.ema, emoji.ngf, emoji.ndf], ["hinge", 0.999, 32, 32]);
  assert.deepEqual([emoji.batchSize, emoji.maxSteps], [64, 9000], "the emoji set's measured run length");
  assert.deepEqual([emoji.r1, emoji.r1Every], [1, 16], "lazy R1");
  assert.equal(parseTrainArgs(["--data", "/some/folder"])!.recipe, "small-data");
  const stable = parseTrainArgs(["--recipe", "stable"])!;
  assert.deepEqual([stable.spectralNorm, stable.augment.length, stable.maxSteps], [true, 3, 9000]);
  assert.equal(stable.r1, 0, "the stable recipe was not measured with R1");
  const chosen = parseTrainArgs(["--data", "fashion-mnist", "--recipe", "stable"])!;
  assert.deepEqual([chosen.recipe, chosen.spectralNorm], ["stable", true]);
  const seed = parseTrainArgs(["--data", "fashion-mnist", "--recipe", "seed"])!;
  assert.deepEqual([seed.recipe, seed.loss, seed.batchSize], ["seed", "bce", 128]);
});

Deno.test("--r1 0 turns the small-data recipe's lazy R1 off with its spacing; --r1 alone keeps the spacing", () => {
  const off = parseTrainArgs(["--r1", "0"])!;
  assert.deepEqual([off.r1, off.r1Every], [0, 1]);
  const stronger = parseTrainArgs(["--r1", "4"])!;
  assert.deepEqual([stronger.r1, stronger.r1Every], [4, 16]);
  const everyStep = parseTrainArgs(["--r1-every", "1"])!;
  assert.deepEqual([everyStep.r1, everyStep.r1Every], [1, 1]);
  const seed = parseTrainArgs(["--recipe", "seed", "--r1", "1"])!;
  assert.deepEqual([seed.r1, seed.r1Every], [1, 1], "the seed recipe regularises every step");
});
