// deno task train end to end on tiny configs: flags, outputs, resume, Ctrl-C and bad input.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Image } from "imagescript";
import { train } from "../../tasks/gan/train.ts";
import { parseTrainArgs } from "../../tasks/gan/config.ts";
import { CHECKPOINT_FILE, loadRunCheckpoint } from "../../tasks/gan/run_checkpoint.ts";
import { makeImageFolder, readMetrics, TINY_NETWORKS } from "../fixtures.ts";

const TRAIN = new URL("../../tasks/cli/train.ts", import.meta.url).pathname;
const TINY = [...TINY_NETWORKS, "--batch-size", "4", "--log-every", "1"];

/** A line of metrics.jsonl. */
type Metric = { lossD: number; lossG: number; step: number };

async function runTrain(args: string[], options: { signalAfterLines?: number } = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk);
      const steps = stdout.split("\n").filter((l) => l.includes("Loss_D")).length;
      if (options.signalAfterLines && steps >= options.signalAfterLines) {
        options.signalAfterLines = 0;
        child.kill("SIGINT");
      }
    }
  })();
  const stderrText = new Response(child.stderr).text();
  const status = await child.status;
  await reading;
  return { code: status.code, stdout, stderr: await stderrText };
}

Deno.test("train --help lists every flag with its default", async () => {
  const { code, stdout } = await runTrain(["--help"]);
  assert.equal(code, 0);
  for (
    const flag of [
      "--data",
      "--epochs",
      "--batch-size",
      "--image-size",
      "--nz",
      "--ngf",
      "--ndf",
      "--lr",
      "--beta1",
      "--device",
      "--out",
      "--resume",
      "--seed",
      "--dry-run",
    ]
  ) {
    assert.ok(stdout.includes(flag), `help mentions ${flag}`);
  }
  assert.match(stdout, /--batch-size.*default 128/);
  assert.match(stdout, /--lr.*default 0\.0002/);
});

const BAD_FLAGS: [string[], RegExp][] = [
  [["--batch-size", "0"], /--batch-size must be a positive integer up to 4,096, got "0"/],
  [["--lr=-1"], /--lr must be a number in \(0, 1\)/],
  [["--image-size", "48"], /--image-size must be 32, 64 or 128, got "48"/],
  [["--epochs", "two"], /--epochs must be a positive integer/],
  [["--device", "tpu"], /--device must be cpu, cuda or cuda:N/],
  [["--bogus"], /Unknown option '--bogus'/],
];

for (const [args, message] of BAD_FLAGS) {
  Deno.test(`train rejects ${args.join(" ")} with a message naming the flag`, () => {
    assert.throws(
      () => parseTrainArgs(args),
      (error: Error) => error instanceof RangeError && message.test(error.message),
    );
  });
}

Deno.test("train exits 2 with one line for a bad flag, without a stack trace", async () => {
  const { code, stderr } = await runTrain(["--batch-size", "0"]);
  assert.equal(code, 2);
  assert.match(stderr, /^error: --batch-size must be a positive integer/);
  assert.doesNotMatch(stderr, /at .*\.ts:\d+/);
});

Deno.test("train --device cuda on a machine without CUDA says so and how to fix it", async () => {
  const { code, stderr } = await runTrain(["--device", "cuda", "--dry-run", ...TINY]);
  assert.equal(code, 2);
  assert.match(stderr, /--device cuda: this libtorch has no CUDA or sees no GPU; use --device cpu/);
});

Deno.test("train --dry-run on the default emoji set leaves grids, checkpoints, plot and config", async () => {
  const out = await Deno.makeTempDir({ prefix: "dcgan-run-" });
  try {
    const { code, stdout, stderr } = await runTrain(["--dry-run", "--out", out, ...TINY]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Data: emoji .*3786 images of 3x32x32/);
    assert.match(
      stdout,
      /\[1\/25\]\[1\/947\] Loss_D: [\d.]+ Loss_G: [\d.]+ D\(x\): [\d.]+ D\(G\(z\)\): [\d.]+ \/ [\d.]+/,
    );
    for (
      const file of [
        "config.json",
        "metrics.jsonl",
        "real_samples.png",
        "fake_samples_last.png",
        "real_vs_fake.png",
        "generator.safetensors",
        "discriminator.safetensors",
        CHECKPOINT_FILE,
        "loss_plot.png",
      ]
    ) {
      await Deno.stat(join(out, file));
    }
    const grid = await Image.decode(await Deno.readFile(join(out, "fake_samples_last.png")));
    assert.deepEqual([grid.width, grid.height], [8 * 34 + 2, 8 * 34 + 2]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a resumed run gives the same losses as an uninterrupted run of the same seed", async () => {
  const data = await makeImageFolder(10);
  const straight = await Deno.makeTempDir();
  const split = await Deno.makeTempDir();
  const quiet = { log: () => {} };
  try {
    const base = ["--data", data, "--epochs", "3", "--seed", "5", ...TINY];
    await train(parseTrainArgs([...base, "--out", straight])!, quiet);
    const first = await train(parseTrainArgs([...base, "--out", split, "--max-steps", "4"])!, quiet);
    assert.equal(first.reason, "max-steps");
    const saved = await loadRunCheckpoint(join(split, CHECKPOINT_FILE));
    assert.deepEqual(saved.position, { epoch: 1, batch: 1, globalStep: 4 }); // 3 batches per epoch
    await train(parseTrainArgs([...base, "--out", split, "--resume"])!, quiet);
    const a = await readMetrics<Metric>(straight);
    const b = await readMetrics<Metric>(split);
    assert.equal(a.length, 9);
    assert.deepEqual(b.map((m) => m.step), a.map((m) => m.step));
    for (let i = 0; i < a.length; i++) {
      assert.ok(
        Math.abs(a[i]!.lossD - b[i]!.lossD) < 1e-6,
        `step ${i + 1} Loss_D ${a[i]!.lossD} vs ${b[i]!.lossD}`,
      );
      assert.ok(
        Math.abs(a[i]!.lossG - b[i]!.lossG) < 1e-6,
        `step ${i + 1} Loss_G ${a[i]!.lossG} vs ${b[i]!.lossG}`,
      );
    }
    const gif = await Image.decode(await Deno.readFile(join(split, "fake_samples_epoch_003.png")));
    assert.ok(gif.width > 0);
    await Deno.stat(join(split, "progress.gif"));
  } finally {
    for (const dir of [data, straight, split]) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ctrl-C saves a consistent checkpoint at the current batch and --resume continues", async () => {
  const data = await makeImageFolder(12);
  const out = await Deno.makeTempDir();
  try {
    const args = ["--data", data, "--epochs", "50", "--out", out, ...TINY];
    const { code } = await runTrain(args, { signalAfterLines: 2 });
    assert.equal(code, 130);
    const saved = await loadRunCheckpoint(join(out, CHECKPOINT_FILE));
    const steps = (await readMetrics<Metric>(out)).length;
    assert.ok(steps >= 2);
    assert.equal(saved.position.globalStep, steps);
    const resumed = await runTrain([...args, "--resume", "--max-steps", String(steps + 2)]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`Resuming .* step ${steps}`));
    assert.equal((await readMetrics<Metric>(out)).length, steps + 2);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("--resume without a checkpoint, or an unwritable --out, fails with a message naming the path", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const noCheckpoint = await runTrain(["--out", empty, "--resume", ...TINY]);
    assert.equal(noCheckpoint.code, 1);
    assert.match(
      noCheckpoint.stderr,
      /no checkpoint at ".*checkpoint\.safetensors"; pass --out with the folder of the run/,
    );
    const unwritable = await runTrain(["--out", "/proc/dcgan-run", "--dry-run", ...TINY]);
    assert.equal(unwritable.code, 1);
    assert.match(
      unwritable.stderr,
      /Cannot create the run folder "\/proc\/dcgan-run".*pass a writable --out/,
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
