// Never lose a run, part two (issue 17), with real `train` processes: SIGTERM and SIGHUP save like
// Ctrl-C and exit 128 + the signal, a second signal during the save still leaves a resumable run, one
// training at a time holds a run folder (a killed one's lock is taken over), an existing run is neither
// overwritten nor appended to without --overwrite, and a resume after kill -9 logs every step once and
// removes the temporary files the kill left. Tiny networks on 16 images: two batches an epoch.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CHECKPOINT_FILE, loadRunCheckpoint } from "../../tasks/gan/run_checkpoint.ts";
import { LOCK_FILE } from "../../tasks/gan/run_folder.ts";
import { makeImageFolder, readMetrics, runDeno } from "../fixtures.ts";

const TRAIN = new URL("../../tasks/cli/train.ts", import.meta.url).pathname;
const TINY = ["--image-size", "32", "--ngf", "8", "--ndf", "8", "--nz", "16", "--batch-size", "8"];

/** A `train` process with its output collected as it runs. */
class Train {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  readonly status: Promise<Deno.CommandStatus>;
  #exited = false;

  constructor(args: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", TRAIN, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>, into: (text: string) => void) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) into(text);
    };
    const reading = Promise.all([
      collect(this.child.stdout, (text) => this.stdout += text),
      collect(this.child.stderr, (text) => this.stderr += text),
    ]);
    this.status = this.child.status.then(async (status) => {
      this.#exited = true;
      await reading;
      return status;
    });
  }

  /** Steps logged so far (the runs log every step). */
  get steps(): number {
    return this.stdout.split("\n").filter((line) => line.includes("Loss_D")).length;
  }

  /** Waits until `ready()`; fails if the process ends first or after 60 s. */
  async waitFor(what: string, ready: () => boolean): Promise<void> {
    const deadline = performance.now() + 60_000;
    while (!ready()) {
      if (this.#exited) assert.fail(`train exited before ${what}:\n${this.stdout}\n${this.stderr}`);
      if (performance.now() > deadline) {
        assert.fail(`no ${what} within 60 s:\n${this.stdout}\n${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Ends the process if a failed assertion left it running. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.status;
  }
}

/** Runs `fn` with a folder of 16 images and an empty run folder `out` (not created). */
async function withRun(fn: (data: string, out: string) => Promise<void>): Promise<void> {
  const data = await makeImageFolder(16, { width: 32, height: 32, prefix: "dcgan-safety-images-" });
  const dir = await Deno.makeTempDir({ prefix: "dcgan-safety-run-" });
  try {
    await fn(data, join(dir, "run"));
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

/** The steps metrics.jsonl logs, in order; each must appear once, from 1 up. */
async function assertStepsOnce(out: string, last: number): Promise<void> {
  const steps = (await readMetrics<{ step: number }>(out)).map((record) => record.step);
  assert.deepEqual(steps, Array.from({ length: last }, (_, i) => i + 1), "each step logged once, in order");
}

for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  Deno.test(`${signal} saves a checkpoint at the current batch and exits ${code}, and --resume continues`, async () => {
    await withRun(async (data, out) => {
      const args = ["--data", data, "--out", out, ...TINY, "--epochs", "500", "--log-every", "1"];
      const run = new Train(args);
      try {
        await run.waitFor("three steps", () => run.steps >= 3);
        run.child.kill(signal);
        const status = await run.status;
        assert.equal(status.code, code, run.stderr);
        assert.match(run.stderr, new RegExp(`${signal}: stopping after this step and saving a checkpoint`));
        const saved = await loadRunCheckpoint(join(out, CHECKPOINT_FILE));
        assert.equal(saved.position.globalStep, run.steps, "the checkpoint is at the last step taken");
        await assertStepsOnce(out, run.steps);
        assert.equal(await Deno.stat(join(out, LOCK_FILE)).then(() => true, () => false), false);
        if (signal !== "SIGTERM") return;
        const resumed = await runDeno([
          "run",
          "-A",
          TRAIN,
          ...args,
          "--resume",
          "--max-steps",
          String(run.steps + 2),
        ]);
        assert.equal(resumed.code, 0, resumed.stderr);
        await assertStepsOnce(out, run.steps + 2);
      } finally {
        await run.stop();
      }
    });
  });
}

Deno.test("a second SIGTERM during the save leaves at once with a complete checkpoint, and --resume continues", async () => {
  await withRun(async (data, out) => {
    const args = ["--data", data, "--out", out, ...TINY, "--epochs", "500", "--log-every", "1"];
    const run = new Train(args);
    try {
      await run.waitFor("five steps (two epoch-end checkpoints)", () => run.steps >= 5);
      run.child.kill("SIGTERM");
      await run.waitFor("the stop message", () => run.stderr.includes("saving a checkpoint"));
      run.child.kill("SIGTERM");
      const status = await run.status;
      assert.equal(status.code, 143, run.stderr);
      const saved = await loadRunCheckpoint(join(out, CHECKPOINT_FILE)); // complete, whichever it is
      assert.ok(saved.position.globalStep >= 4, `checkpoint at step ${saved.position.globalStep}`);
      assert.equal(
        await Deno.stat(join(out, LOCK_FILE)).then(() => true, () => false),
        false,
        "lock released",
      );
      const last = saved.position.globalStep + 1;
      const resumed = await runDeno(["run", "-A", TRAIN, ...args, "--resume", "--max-steps", String(last)]);
      assert.equal(resumed.code, 0, resumed.stderr);
      await assertStepsOnce(out, last);
    } finally {
      await run.stop();
    }
  });
});

Deno.test("one training at a time: a second is refused naming the first's PID; after kill -9 the lock is taken over and the metrics and temp files are cleaned", async () => {
  await withRun(async (data, out) => {
    const args = ["--data", data, "--out", out, ...TINY, "--epochs", "500", "--log-every", "1"];
    const first = new Train(args);
    try {
      await first.waitFor("five steps", () => first.steps >= 5);
      const second = await runDeno(["run", "-A", TRAIN, ...args, "--resume", "--max-steps", "2"]);
      assert.equal(second.code, 1, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(`The run folder "${out}" is in use by process ${first.child.pid} `),
      );
      first.child.kill("SIGKILL");
      await first.status;
    } finally {
      await first.stop();
    }
    const saved = await loadRunCheckpoint(join(out, CHECKPOINT_FILE));
    const step = saved.position.globalStep;
    const logged = (await readMetrics(out)).length;
    assert.ok(logged >= step, `metrics (${logged} lines) reach the checkpoint (step ${step})`);
    const stale = join(out, `${CHECKPOINT_FILE}.tmp-0badc0de`);
    await Deno.writeTextFile(stale, "a write that kill -9 cut short");
    const resumed = await runDeno(["run", "-A", TRAIN, ...args, "--resume", "--max-steps", String(step + 1)]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`Taking over the lock of "${out}": process ${first.child.pid} `));
    assert.equal(
      await Deno.stat(stale).then(() => true, () => false),
      false,
      "the stale temp file is removed",
    );
    await assertStepsOnce(out, step + 1); // steps logged after the checkpoint and trained again: once
  });
});

Deno.test("a folder that holds a run is refused without --resume, --overwrite starts afresh, and resume names the flags it ignores", async () => {
  await withRun(async (data, out) => {
    const args = ["--data", data, "--out", out, ...TINY, "--epochs", "2", "--log-every", "1"];
    const first = await runDeno(["run", "-A", TRAIN, ...args]);
    assert.equal(first.code, 0, first.stderr);
    const before = await Deno.readFile(join(out, CHECKPOINT_FILE));
    const again = await runDeno(["run", "-A", TRAIN, ...args]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, new RegExp(`The run folder "${out}" already holds a run .*pass --resume`));
    assert.deepEqual(await Deno.readFile(join(out, CHECKPOINT_FILE)), before, "the run is untouched");
    await assertStepsOnce(out, 4);
    // --resume with changed settings says which flags the checkpoint overrides
    const resumed = await runDeno([
      "run",
      "-A",
      TRAIN,
      ...args,
      "--resume",
      "--epochs",
      "3",
      "--lr",
      "0.001",
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /these flags are ignored: --lr 0\.001 \(the run uses 0\.0002\)/);
    // --overwrite: the old run's files go, a new one starts at step 1
    const overwritten = await runDeno(["run", "-A", TRAIN, ...args, "--epochs", "1", "--overwrite"]);
    assert.equal(overwritten.code, 0, overwritten.stderr);
    assert.match(overwritten.stdout, /Removed the \d+ files of the previous run/);
    await assertStepsOnce(out, 2);
    const grids = [...Deno.readDirSync(out)].map((e) => e.name).filter((n) =>
      n.startsWith("fake_samples_epoch")
    );
    assert.deepEqual(
      grids,
      ["fake_samples_epoch_001.png"],
      "no grid of the old run is left beside the new ones",
    );
  });
});

Deno.test("a resume whose data shrank so that nothing is left to train says so", async () => {
  await withRun(async (data, out) => {
    const args = ["--data", data, "--out", out, ...TINY, "--epochs", "1", "--log-every", "1"];
    const first = await runDeno(["run", "-A", TRAIN, ...args, "--batch-size", "4", "--max-steps", "3"]);
    assert.equal(first.code, 0, first.stderr);
    for (const entry of [...Deno.readDirSync(data)].slice(4)) await Deno.remove(join(data, entry.name));
    const resumed = await runDeno(["run", "-A", TRAIN, ...args, "--batch-size", "4", "--resume"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stdout,
      /stopped after batch 3 of epoch 1, but the data set now has 1 batches an epoch \(it shrank\).*nothing is left to train/,
    );
  });
});
