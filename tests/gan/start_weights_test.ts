// --netG / --netD (pytorch/examples' flags): a run starts from PyTorch's state dicts saved as safetensors,
// from a run's checkpoint.safetensors or its folder; files that do not fit, and --resume, are refused.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadStateDictFile } from "../../models/io/state_dict_file.ts";
import { ConfigError, parseTrainArgs, type TrainConfig } from "../../tasks/gan/config.ts";
import { loadStartWeights } from "../../tasks/gan/start_weights.ts";
import { train } from "../../tasks/gan/train.ts";
import { DcganTrainer } from "../../tasks/gan/trainer.ts";
import type { Module } from "../../models/nn/module.ts";
import { makeImageFolder, withTempDir } from "../fixtures.ts";
import { runTorch } from "../torch_ref.ts";

/** pytorch/examples' networks with its init, saved as safetensors (state_dict keys as PyTorch names them). */
const SAVE_PYTORCH = `
from torch_reference import Generator, Discriminator, weights_init
from safetensors_io import save_safetensors
torch.manual_seed(42)
netG = Generator(16, 8, 3); netG.apply(weights_init)
netD = Discriminator(8, 3); netD.apply(weights_init)
save_safetensors(WORK + "/netG.safetensors", netG.state_dict())
save_safetensors(WORK + "/netD.safetensors", netD.state_dict())
`;

/** The flags of networks of that shape, 64x64 (the only size pytorch/examples builds), one step. */
const SHAPE = ["--recipe", "seed", "--nz", "16", "--ngf", "8", "--ndf", "8", "--image-size", "64"];

/** Largest |a - b| over the trained parameters (BatchNorm's running statistics move by momentum). */
async function maxParameterDiff(a: string, b: string): Promise<number> {
  const [x, y] = [await loadStateDictFile(a), await loadStateDictFile(b)];
  let max = 0;
  try {
    assert.deepEqual(Object.keys(x).sort(), Object.keys(y).sort());
    for (const [key, t] of Object.entries(x)) {
      if (/running_|num_batches/.test(key)) continue;
      const [p, q] = [t.toArray() as Float32Array, y[key]!.toArray() as Float32Array];
      for (let i = 0; i < p.length; i++) max = Math.max(max, Math.abs(p[i]! - q[i]!));
    }
  } finally {
    for (const t of [...Object.values(x), ...Object.values(y)]) t.dispose();
  }
  return max;
}

/** Whether a network's state equals a file's, bit for bit. */
async function assertEqualsFile(module: Module, path: string, what: string) {
  const file = await loadStateDictFile(path);
  const state = module.stateDict();
  try {
    assert.deepEqual(Object.keys(state).sort(), Object.keys(file).sort(), what);
    for (const [key, t] of Object.entries(state)) {
      assert.deepEqual(t.toArray(), file[key]!.toArray(), `${what} ${key}`);
    }
  } finally {
    for (const t of [...Object.values(file), ...Object.values(state)]) t.dispose();
  }
}

Deno.test("--netG/--netD load PyTorch's state dicts, ours and a checkpoint's; the EMA starts from the loaded G", async () => {
  await withTempDir(async (work) => {
    await runTorch(`WORK = ${JSON.stringify(work)}\n${SAVE_PYTORCH}`);
    const [netG, netD] = [join(work, "netG.safetensors"), join(work, "netD.safetensors")];
    const config = parseTrainArgs([...SHAPE, "--ema", "0.99", "--netG", netG, "--netD", netD])!;
    const trainer = new DcganTrainer({ ...config, nc: 3, numClasses: 0 });
    try {
      await loadStartWeights(trainer, config);
      await assertEqualsFile(trainer.netG, netG, "netG");
      await assertEqualsFile(trainer.netGEma!, netG, "the EMA of netG");
      await assertEqualsFile(trainer.netD, netD, "netD");
    } finally {
      trainer.dispose();
    }

    // end to end: one step at lr 1e-6 moves each weight by at most 1e-6 (Adam's first step is lr * sign),
    // and a float32 rounding near 1 (BatchNorm's weights); the seed's own init lies ~0.02 away
    const data = await makeImageFolder(2);
    try {
      const run = (out: string, flags: string[]) =>
        train(
          parseTrainArgs([...SHAPE, "--data", data, "--out", out, "--dry-run", "--lr", "1e-6", ...flags])!,
        );
      const first = join(work, "from-pytorch");
      await run(first, ["--netG", netG, "--netD", netD]);
      assert.ok(await maxParameterDiff(join(first, "generator.safetensors"), netG) <= 1.2e-6);
      assert.ok(await maxParameterDiff(join(first, "discriminator.safetensors"), netD) <= 1.2e-6);
      // ours: G from the run's checkpoint.safetensors (its netG.*), D from its folder
      const second = join(work, "from-ours");
      await run(second, ["--netG", join(first, "checkpoint.safetensors"), "--netD", first]);
      const gap = (name: string) => maxParameterDiff(join(first, name), join(second, name));
      assert.ok(await gap("generator.safetensors") <= 1.2e-6);
      assert.ok(await gap("discriminator.safetensors") <= 1.2e-6);
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  });
});

Deno.test("--netG/--netD refuse --resume and files that do not fit, naming the file, the key and the fix", async () => {
  assert.throws(
    () => parseTrainArgs(["--netG", "g.safetensors", "--resume"]),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message === "--netG starts a new run from saved weights and --resume continues the run in --out " +
          "from its checkpoint: pass one",
  );
  await withTempDir(async (work) => {
    await runTorch(`WORK = ${JSON.stringify(work)}\n${SAVE_PYTORCH}`);
    const [netG, netD] = [join(work, "netG.safetensors"), join(work, "netD.safetensors")];
    await Deno.writeTextFile(join(work, "notes.txt"), "not safetensors");
    const cases: [string[], RegExp][] = [
      [
        ["--ngf", "4", "--netG", netG],
        new RegExp(
          `^Cannot load --netG "${netG}": key "main\\.0\\.weight" has shape \\[16,64,4,4\\], expected ` +
            "\\[16,32,4,4\\];.*; pass the weights of a generator that this run's settings build \\(the same " +
            "--nz, --ngf, --image-size",
        ),
      ],
      [
        ["--netG", netD],
        /^Cannot load --netG ".*netD\.safetensors": key "main\.0\.weight" has shape \[8,3,4,4\]/,
      ],
      [
        ["--netD", netD, "--spectral-norm"],
        /^Cannot load --netD ".*": missing keys .*weight_orig.*the same --ndf/,
      ],
      [
        ["--netG", join(work, "none.safetensors")],
        /^--netG ".*none\.safetensors" does not exist: pass a generator/,
      ],
      [
        ["--netD", join(work, "notes.txt")],
        /^--netD: Cannot read safetensors ".*notes\.txt": header length \d+ is over/,
      ],
    ];
    const data = await makeImageFolder(2);
    try {
      for (const [flags, message] of cases) {
        const config: TrainConfig = parseTrainArgs([
          ...SHAPE,
          "--data",
          data,
          "--out",
          join(work, "run"),
          ...flags,
        ])!;
        await assert.rejects(
          () => train({ ...config, overwrite: true }),
          (e: Error) => e instanceof ConfigError && message.test(e.message),
          flags.join(" "),
        );
      }
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  });
});
