// kill -9 at any moment leaves the last complete checkpoint readable: `deno run tasks/cli/train.ts` is
// SIGKILLed at seeded random moments (and once as soon as an atomic write is under way), and after
// each kill every file of the run folder parses, the checkpoint restores into a fresh trainer, the
// `*.tmp-*` files of interrupted writes are never read as real files, and `--resume` carries on.
import assert from "node:assert/strict";
import { join } from "node:path";
import { GIF, Image } from "imagescript";
import { loadStateDictInto } from "../../models/io/state_dict_file.ts";
import { readSafetensors } from "../../models/io/safetensors.ts";
import { createRng } from "../../tasks/data/prng.ts";
import { CHECKPOINT_FILE, loadRunCheckpoint } from "../../tasks/gan/run_checkpoint.ts";
import { DcganTrainer } from "../../tasks/gan/trainer.ts";
import { makeImageFolder, TINY_NETWORKS } from "../fixtures.ts";

const TRAIN = new URL("../../tasks/cli/train.ts", import.meta.url).pathname;
const TINY = [...TINY_NETWORKS, "--batch-size", "2", "--epochs", "200", "--log-every", "1"];
/** The kill moments come from this seed; change it to explore other moments. */
const SEED = 7;
/** A temporary file of writeFileAtomic: `<path>.tmp-<8 hex digits>`. */
const TEMP = /\.tmp-[0-9a-f]{8}$/;
/** Grids that progress.gif is built from (run_visuals.ts reads them by this pattern). */
const FRAME = /^fake_samples_epoch_\d+\.png$/;
/** What a run folder holds; a temporary file must belong to one of these. */
const OUTPUT =
  /^(config\.json|(checkpoint|generator|discriminator)\.safetensors|real_samples\.png|fake_samples_(epoch_\d+|last)\.png|loss_plot\.png|progress\.gif)$/;

/** A training run with its output collected as it runs. */
class TrainProcess {
  readonly #child: Deno.ChildProcess;
  #stdout = "";
  #stderr = "";
  readonly status: Promise<Deno.CommandStatus>;
  #exited = false;

  constructor(args: string[]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", TRAIN, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    const collect = async (stream: ReadableStream<Uint8Array>, into: (text: string) => void) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) into(decoder.decode(chunk, { stream: true }));
    };
    const reading = Promise.all([
      collect(child.stdout, (text) => this.#stdout += text),
      collect(child.stderr, (text) => this.#stderr += text),
    ]);
    this.status = (async () => {
      const status = await child.status;
      this.#exited = true;
      await reading;
      return status;
    })();
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Training steps logged so far. */
  get steps(): number {
    return this.#stdout.split("\n").filter((line) => line.includes("Loss_D")).length;
  }

  /** Polls `ready` every few milliseconds; fails if the run ends first or after `ms`. */
  async waitFor(what: string, ready: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
    const deadline = performance.now() + ms;
    while (!(await ready())) {
      if (this.#exited) {
        const status = await this.status;
        assert.fail(`train exited with ${status.code} before ${what}:\n${this.#stdout}\n${this.#stderr}`);
      }
      if (performance.now() > deadline) assert.fail(`no ${what} within ${ms} ms:\n${this.#stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
  }

  /** SIGKILLs the run and checks that the kill, not anything else, ended it. */
  async kill(): Promise<void> {
    this.#child.kill("SIGKILL");
    const status = await this.status;
    assert.equal(status.signal, "SIGKILL", `train ended on its own (code ${status.code}):\n${this.#stderr}`);
  }

  /** Ends the run if a failed assertion left it running. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.status;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function tempFiles(dir: string): Set<string> {
  return new Set([...Deno.readDirSync(dir)].map((entry) => entry.name).filter((name) => TEMP.test(name)));
}

/**
 * Checks that everything under its real name in `out` is complete and that the checkpoint restores;
 * returns the checkpoint's step.
 */
async function assertRunReadable(out: string, moment: string): Promise<number> {
  const names = [...Deno.readDirSync(out)].map((entry) => entry.name).sort();
  for (const name of names.filter((n) => TEMP.test(n))) {
    assert.match(name.replace(TEMP, ""), OUTPUT, `${moment}: ${name} is the temp file of a known output`);
    assert.doesNotMatch(name, FRAME, `${moment}: ${name} is not taken for a sample grid`);
  }
  for (const name of names.filter((n) => !TEMP.test(n))) {
    const path = join(out, name);
    const what = `${moment}: ${name} is complete`;
    if (name.endsWith(".safetensors")) await readSafetensors(path).catch((e) => assert.fail(`${what}: ${e}`));
    if (name.endsWith(".png")) {
      await Image.decode(await Deno.readFile(path)).catch((e) => assert.fail(`${what}: ${e}`));
    }
    if (name.endsWith(".gif")) {
      await GIF.decode(await Deno.readFile(path)).catch((e) => assert.fail(`${what}: ${e}`));
    }
    if (name === "config.json") JSON.parse(await Deno.readTextFile(path));
  }
  const saved = await loadRunCheckpoint(join(out, CHECKPOINT_FILE));
  const { nz, ngf, ndf, imageSize, lr, beta1 } = saved.config;
  const trainer = new DcganTrainer({ nz, ngf, ndf, nc: 3, imageSize, lr, beta1, device: "cpu" });
  try {
    saved.restore(trainer, "cpu").dispose();
    await loadStateDictInto(trainer.netG, join(out, "generator.safetensors"));
    await loadStateDictInto(trainer.netD, join(out, "discriminator.safetensors"));
  } finally {
    trainer.dispose();
  }
  // metrics.jsonl is written before each checkpoint: the checkpoint is never ahead of the log (a line
  // torn by the kill is skipped, as readLossHistory does)
  const logged = (await Deno.readTextFile(join(out, "metrics.jsonl"))).split("\n").flatMap((line) => {
    try {
      return [JSON.parse(line).step as number];
    } catch {
      return [];
    }
  });
  const step = saved.position.globalStep;
  assert.ok(
    step >= 2 && step <= Math.max(...logged),
    `${moment}: checkpoint step ${step}, logged ${logged.at(-1)}`,
  );
  return step;
}

Deno.test("kill -9 at any moment leaves the last complete checkpoint readable, and --resume continues", async () => {
  const data = await makeImageFolder(4, { prefix: "dcgan-crash-images-" }); // 2 batches per epoch: a checkpoint every two steps
  const out = await Deno.makeTempDir({ prefix: "dcgan-crash-run-" });
  const args = ["--data", data, "--out", out, ...TINY];
  const rng = createRng(SEED);
  // a fresh run, then resumed runs, each killed after a seeded random delay or as soon as the temp
  // file of the named output shows that its atomic write is under way
  const plan = [
    "delay",
    CHECKPOINT_FILE,
    "delay",
    "generator.safetensors",
    "delay",
    "fake_samples_epoch",
    "delay",
  ] as const;
  let run: TrainProcess | undefined;
  try {
    let step = 0;
    for (const [i, how] of plan.entries()) {
      run = new TrainProcess(i === 0 ? args : [...args, "--resume"]);
      if (i === 0) {
        await run.waitFor("a first checkpoint", async () => {
          for (const name of [CHECKPOINT_FILE, "generator.safetensors", "discriminator.safetensors"]) {
            if (!(await exists(join(out, name)))) return false;
          }
          return true;
        });
      } else {
        await run.waitFor("a resumed step", () => run!.steps >= 1);
        assert.match(run.stdout, new RegExp(`Resuming .* step ${step}\\n`));
      }
      let moment: string;
      if (how === "delay") {
        const ms = Math.floor(rng.next() * 1500);
        await new Promise((resolve) => setTimeout(resolve, ms));
        moment = `run ${i + 1}, killed ${ms} ms after it was ready (seed ${SEED})`;
      } else {
        const leftovers = tempFiles(out); // from earlier kills
        let writing = "";
        await run.waitFor(`a write of ${how}`, () => {
          writing = [...tempFiles(out)].find((name) => name.startsWith(how) && !leftovers.has(name)) ?? "";
          return writing !== "";
        });
        moment = `run ${i + 1}, killed while ${writing} was being written`;
      }
      await run.kill();
      const saved = await assertRunReadable(out, moment);
      assert.ok(saved >= step, `${moment}: the checkpoint went back from step ${step} to ${saved}`);
      step = saved;
    }

    run = new TrainProcess([...args, "--resume", "--max-steps", String(step + 2)]);
    const status = await run.status;
    assert.equal(status.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`Resuming .* step ${step}\\n`));
    assert.equal(run.steps, 2);
    assert.equal(await assertRunReadable(out, "after the last resume"), step + 2);
    // progress.gif was rebuilt from the real grids only, never from an interrupted write's temp file
    const frames = [...Deno.readDirSync(out)].filter((entry) => FRAME.test(entry.name)).length;
    const gif = await GIF.decode(await Deno.readFile(join(out, "progress.gif")));
    assert.equal(gif.length, frames);
  } finally {
    await run?.stop();
    await Deno.remove(data, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
