// The variant flags of deno task train on tiny configs: parsing and defaults, --help, a dry run per
// flag, and --resume continuing a variant run exactly (the replay buffer, the EMA weights and the
// carried G loss of the critic-only steps are in the checkpoint).
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint, loadStateDictFile } from "../../models/io/state_dict_file.ts";
import { train } from "../../tasks/gan/train.ts";
import { parseTrainArgs, trainHelp } from "../../tasks/gan/config.ts";
import { CHECKPOINT_FILE } from "../../tasks/gan/run_checkpoint.ts";
import { makeImageFolder, readMetrics, TINY_NETWORKS } from "../fixtures.ts";

const TINY = [...TINY_NETWORKS, "--batch-size", "4"];
const quiet = { log: () => {} };

Deno.test("--loss wgan-gp brings the paper's Adam settings and 5 critic steps; flags still override", () => {
  const seed = parseTrainArgs(["--recipe", "seed"])!;
  assert.deepEqual(
    [seed.loss, seed.lr, seed.beta1, seed.beta2, seed.nCritic, seed.labelSmoothing, seed.replay, seed.ema],
    ["bce", 2e-4, 0.5, 0.999, 1, 1, 0, 0],
  );
  assert.equal(seed.conditional, false);
  const wgan = parseTrainArgs(["--recipe", "seed", "--loss", "wgan-gp"])!;
  assert.deepEqual([wgan.lr, wgan.beta1, wgan.beta2, wgan.nCritic], [1e-4, 0, 0.9, 5]);
  const tuned = parseTrainArgs([
    "--recipe",
    "seed",
    "--loss",
    "wgan-gp",
    "--lr",
    "0.0003",
    "--beta1",
    "0.5",
    "--n-critic",
    "2",
  ])!;
  assert.deepEqual([tuned.lr, tuned.beta1, tuned.beta2, tuned.nCritic], [3e-4, 0.5, 0.9, 2]);
  const hinge = parseTrainArgs(["--recipe", "seed", "--loss", "hinge", "--beta2", "0.99"])!;
  assert.deepEqual([hinge.lr, hinge.beta1, hinge.beta2, hinge.nCritic], [2e-4, 0.5, 0.99, 1]);
  const all = parseTrainArgs([
    "--recipe",
    "seed",
    "--loss",
    "lsgan",
    "--label-smoothing",
    "0.9",
    "--replay",
    "64",
    "--ema",
    "0.999",
    "--conditional",
  ])!;
  assert.deepEqual([all.labelSmoothing, all.replay, all.ema, all.conditional], [0.9, 64, 0.999, true]);
});

const BAD_FLAGS: [string[], RegExp][] = [
  [["--loss", "wgan"], /--loss must be one of bce, lsgan, hinge, wgan-gp, got "wgan"/],
  [["--n-critic", "0"], /--n-critic must be a positive integer, got "0"/],
  [["--label-smoothing", "1.5"], /--label-smoothing must be a number in \(0, 1\]/],
  [
    ["--label-smoothing", "0.9", "--loss", "hinge"],
    /--label-smoothing sets the real target of bce and lsgan/,
  ],
  [["--replay=-1"], /--replay must be a non-negative integer/],
  [["--ema", "1"], /--ema must be a number in \[0, 1\)/],
  [["--beta2", "1"], /--beta2 must be a number in \[0, 1\)/],
];

for (const [args, message] of BAD_FLAGS) {
  Deno.test(`train rejects ${args.join(" ")} with a message naming the flag`, () => {
    assert.throws(
      () => parseTrainArgs(args),
      (error: Error) => error instanceof RangeError && message.test(error.message),
    );
  });
}

Deno.test("train --help lists the variant flags with their defaults", () => {
  const help = trainHelp();
  assert.match(
    help,
    /--loss <value>.*bce.*lsgan.*hinge.*wgan-gp.*\(default bce \(stable, small-data, large-data: hinge\)\)/,
  );
  assert.match(help, /--lr <value>.*default 0\.0002; 0\.0001 with --loss wgan-gp/);
  assert.match(help, /--beta2 <value>.*default 0\.999; 0\.9 with --loss wgan-gp/);
  assert.match(help, /--n-critic <value>.*default 1; 5 with --loss wgan-gp/);
  assert.match(help, /--label-smoothing <value>.*one-sided.*\(default 1\)/);
  assert.match(help, /--replay <value>.*\(default 0\)/);
  assert.match(help, /--ema <value>.*0\.999.*\(default 0 \(stable, small-data, large-data: 0\.999\)\)/);
  assert.match(help, /--conditional .*class labels/);
});

const DRY_RUNS: { flags: string[]; files?: string[]; keys?: string[] }[] = [
  { flags: ["--loss", "lsgan"] },
  { flags: ["--loss", "hinge"] },
  { flags: ["--loss", "wgan-gp"] },
  { flags: ["--n-critic", "3"] },
  { flags: ["--label-smoothing", "0.9"] },
  { flags: ["--replay", "16"], keys: ["replay.images"] },
  { flags: ["--ema", "0.999"], files: ["generator_ema.safetensors"], keys: ["netG_ema.main.0.weight"] },
  {
    flags: ["--conditional", "--data", "fashion-mnist"],
    keys: ["netG.label_emb.weight", "netD.label_emb.weight"],
  },
];

for (const { flags, files = [], keys = [] } of DRY_RUNS) {
  Deno.test(`train --dry-run ${flags.join(" ")} takes a step and saves the variant's state`, async () => {
    const data = flags.includes("--data") ? undefined : await makeImageFolder(6, { width: 36 });
    const out = await Deno.makeTempDir({ prefix: "dcgan-variant-run-" });
    try {
      const args = [...TINY, ...flags, "--dry-run", "--out", out, ...(data ? ["--data", data] : [])];
      const lines: string[] = [];
      const result = await train(parseTrainArgs(args)!, { log: (line) => lines.push(line) });
      assert.equal(result.reason, "dry-run");
      assert.match(lines.join("\n"), new RegExp(`Variant: ${flags[0]}`));
      const [record] = await readMetrics(out);
      for (const key of ["lossD", "lossG", "dx", "dgz1", "dgz2"]) {
        assert.ok(Number.isFinite(record![key]), `${key} is ${record![key]}`);
      }
      for (const file of ["generator.safetensors", "fake_samples_last.png", ...files]) {
        await Deno.stat(join(out, file));
      }
      const { tensors, metadata } = await loadCheckpoint(join(out, CHECKPOINT_FILE));
      try {
        for (const key of keys) assert.ok(tensors[key], `checkpoint has ${key}`);
        const saved = JSON.parse(metadata.config!);
        const parsed = parseTrainArgs(args)!;
        for (const key of ["loss", "nCritic", "labelSmoothing", "replay", "ema", "conditional"] as const) {
          assert.equal(saved[key], parsed[key], `config.${key}`);
        }
      } finally {
        Object.values(tensors).forEach((t) => t.dispose());
      }
    } finally {
      await Deno.remove(out, { recursive: true });
      if (data) await Deno.remove(data, { recursive: true });
    }
  });
}

Deno.test("a resumed WGAN-GP run with replay and EMA gives the same losses and EMA weights as a straight one", async () => {
  const data = await makeImageFolder(10, { width: 36 });
  const straight = await Deno.makeTempDir();
  const split = await Deno.makeTempDir();
  try {
    const base = [
      ...TINY,
      "--data",
      data,
      "--epochs",
      "3",
      "--seed",
      "5",
      "--loss",
      "wgan-gp",
      "--n-critic",
      "2",
      "--replay",
      "6",
      "--ema",
      "0.9",
    ];
    await train(parseTrainArgs([...base, "--out", straight])!, quiet);
    // 3 batches per epoch: stop after step 5 (a G step), so step 6 (critic only) carries G's loss over
    const first = await train(parseTrainArgs([...base, "--out", split, "--max-steps", "5"])!, quiet);
    assert.equal(first.reason, "max-steps");
    // flags on the resume line do not change the run's variant: the checkpoint's config wins
    await train(parseTrainArgs([...base, "--out", split, "--resume", "--loss", "hinge"])!, quiet);
    const a = await readMetrics(straight);
    const b = await readMetrics(split);
    assert.equal(a.length, 9);
    assert.deepEqual(b.map((m) => m.step), a.map((m) => m.step));
    for (let i = 0; i < a.length; i++) {
      for (const key of ["lossD", "lossG", "dx", "dgz1", "dgz2"]) {
        assert.ok(
          Math.abs(a[i]![key]! - b[i]![key]!) < 1e-6,
          `step ${i + 1} ${key}: ${a[i]![key]} vs ${b[i]![key]}`,
        );
      }
    }
    assert.equal(a[5]!.lossG, a[4]!.lossG, "step 6 updates only the critic");
    const emaA = await loadStateDictFile(join(straight, "generator_ema.safetensors"));
    const emaB = await loadStateDictFile(join(split, "generator_ema.safetensors"));
    try {
      for (const [key, value] of Object.entries(emaA)) {
        assert.deepEqual(value.toArray(), emaB[key]!.toArray(), `generator_ema ${key}`);
      }
    } finally {
      [...Object.values(emaA), ...Object.values(emaB)].forEach((t) => t.dispose());
    }
  } finally {
    for (const dir of [data, straight, split]) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--conditional on a data set without labels says which data sets have them", async () => {
  const data = await makeImageFolder(4, { width: 36 });
  const out = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () =>
        train(parseTrainArgs([...TINY, "--data", data, "--conditional", "--dry-run", "--out", out])!, quiet),
      /--conditional needs class labels, and this data set has none: use --data fashion-mnist/,
    );
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
