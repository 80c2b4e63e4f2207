// The run folder's library pieces (issue 17, items 1, 5, 6, 7 and 9): refusing an empty --out and a
// folder that holds a run, --overwrite, the lock (against real processes: a live holder and a killed
// one), stale temporary files, and metrics.jsonl cut back to the checkpoint and written whole.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../../tasks/cli/flags.ts";
import { completeConfig } from "../../tasks/gan/config.ts";
import { dataShrank, nothingToTrain, resumeOverrides, settingsGiven } from "../../tasks/gan/resume_notes.ts";
import { checkOutPath, LOCK_FILE, lockRunFolder, openRunFolder } from "../../tasks/gan/run_folder.ts";
import { MetricsWriter, truncateMetrics } from "../../tasks/gan/run_metrics.ts";
import { withTempDir } from "../fixtures.ts";

const RUN_FOLDER = new URL("../../tasks/gan/run_folder.ts", import.meta.url).href;

Deno.test("an empty or all-whitespace --out is refused before anything is written", async () => {
  for (const out of ["", " ", "\t\n"]) {
    assert.throws(
      () => checkOutPath(out),
      (e: Error) => e instanceof ConfigError && /--out must name a folder/.test(e.message),
    );
    await assert.rejects(() => openRunFolder(out), ConfigError);
  }
  checkOutPath("runs/x");
});

Deno.test("a folder that holds a run is refused without --resume or --overwrite; --overwrite removes only the run's files", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "run");
    await Deno.mkdir(out);
    for (
      const name of ["config.json", "checkpoint.safetensors", "metrics.jsonl", "fake_samples_epoch_001.png"]
    ) {
      await Deno.writeTextFile(join(out, name), "old run");
    }
    await Deno.writeTextFile(join(out, "notes.txt"), "mine");
    await assert.rejects(() => openRunFolder(out), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        new RegExp(`The run folder "${out}" already holds a run \\(checkpoint\\.safetensors`),
      );
      assert.match(e.message, /pass --resume to continue it, --overwrite to replace it, or a new --out/);
      return true;
    });
    assert.equal(await Deno.readTextFile(join(out, "config.json")), "old run", "nothing removed on refusal");
    assert.equal(await exists(join(out, LOCK_FILE)), false, "the refusal released the lock");
    await assert.rejects(() => openRunFolder(out, { resume: true, overwrite: true }), /pass one of them/);
    (await openRunFolder(out, { resume: true })).release();
    assert.equal(await Deno.readTextFile(join(out, "config.json")), "old run", "--resume keeps the run");
    const lines: string[] = [];
    const folder = await openRunFolder(out, { overwrite: true, log: (line) => lines.push(line) });
    folder.release();
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["notes.txt"]);
    assert.match(lines.join("\n"), /Removed the 4 files of the previous run/);
  });
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** A process that takes the folder's lock, says "locked", and holds it until its stdin closes. */
function lockHolder(out: string): { child: Deno.ChildProcess; locked: Promise<void> } {
  const script = `import { lockRunFolder } from "${RUN_FOLDER}";
const lock = lockRunFolder(${JSON.stringify(out)});
console.log("locked");
for await (const _ of Deno.stdin.readable) { /* hold until stdin closes */ }
lock.release();`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const locked = (async () => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("locked")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the lock holder exited before locking: ${text}`);
      text += value;
    }
    reader.releaseLock();
  })();
  return { child, locked };
}

Deno.test("a run folder locked by a live process is refused naming its PID, and free again once it ends", async () => {
  await withTempDir(async (out) => {
    const { child, locked } = lockHolder(out);
    try {
      await locked;
      await assert.rejects(
        () => openRunFolder(out),
        new RegExp(
          `The run folder "${out}" is in use by process ${child.pid} \\(since .*\\): wait for that training`,
        ),
      );
      await child.stdin.close();
      assert.equal((await child.status).code, 0);
      await child.stdout.cancel().catch(() => {});
      assert.equal(await exists(join(out, LOCK_FILE)), false, "the holder removed its lock");
      (await openRunFolder(out)).release();
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  });
});

Deno.test("the lock of a killed process is taken over with a message naming it", async () => {
  await withTempDir(async (out) => {
    const { child, locked } = lockHolder(out);
    await locked;
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    assert.equal(await exists(join(out, LOCK_FILE)), true, "a killed holder leaves its lock");
    const lines: string[] = [];
    const folder = await openRunFolder(out, { log: (line) => lines.push(line) });
    assert.match(
      lines.join("\n"),
      new RegExp(`Taking over the lock of "${out}": process ${child.pid} that held it`),
    );
    assert.equal(JSON.parse(await Deno.readTextFile(join(out, LOCK_FILE))).pid, Deno.pid);
    // this process holds it now: a second training in the same process is refused too
    assert.throws(() => lockRunFolder(out), new RegExp(`in use by process ${Deno.pid}`));
    folder.release();
    assert.equal(await exists(join(out, LOCK_FILE)), false);
  });
});

Deno.test("opening a run folder removes the temporary files of interrupted writes of its files, and only those", async () => {
  await withTempDir(async (out) => {
    const stale = ["checkpoint.safetensors.tmp-0123abcd", "fake_samples_epoch_002.png.tmp-deadbeef"];
    const others = ["samples.png.tmp-0123abcd", "notes.txt.tmp-x", "checkpoint.safetensors"];
    for (const name of [...stale, ...others]) await Deno.writeTextFile(join(out, name), "x");
    const lines: string[] = [];
    const folder = await openRunFolder(out, { resume: true, log: (line) => lines.push(line) });
    folder.release();
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), others.sort());
    assert.match(lines.join("\n"), /Removed 2 temporary files/);
  });
});

const record = (step: number, extra = "") => `{"epoch":1,"batch":${step},"step":${step}${extra}}`;

Deno.test("truncateMetrics() keeps one record per step up to the checkpoint's and drops torn lines", async () => {
  const steps = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => record(from + i));
  const cases: { name: string; text: string; step: number; kept: string[]; dropped: number }[] = [
    {
      name: "steps past the checkpoint",
      text: steps(1, 7).join("\n") + "\n",
      step: 5,
      kept: steps(1, 5),
      dropped: 2,
    },
    {
      name: "a torn last line",
      text: steps(1, 3).join("\n") + '\n{"epoch":0,"ba',
      step: 3,
      kept: steps(1, 3),
      dropped: 1,
    },
    {
      name: "steps logged twice after a hard stop",
      text: [...steps(1, 7), ...steps(6, 7)].join("\n") + "\n",
      step: 6,
      kept: steps(1, 6),
      dropped: 3,
    },
    {
      name: "an older run's steps before this run's",
      text: [...steps(1, 5), record(1, ',"new":1'), record(2, ',"new":1')].join("\n") + "\n",
      step: 2,
      kept: [record(1, ',"new":1'), record(2, ',"new":1')],
      dropped: 5,
    },
    {
      name: "a record glued onto a torn line",
      text: `${record(1)}\n{"epo${record(2)}\n`,
      step: 2,
      kept: [record(1)],
      dropped: 1,
    },
    { name: "nothing to drop", text: steps(1, 2).join("\n") + "\n", step: 2, kept: steps(1, 2), dropped: 0 },
  ];
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.jsonl");
    for (const { name, text, step, kept, dropped } of cases) {
      await Deno.writeTextFile(path, text);
      assert.deepEqual(
        await truncateMetrics(path, step),
        { kept: kept.length, dropped, renumbered: false },
        name,
      );
      assert.equal(await Deno.readTextFile(path), kept.map((line) => line + "\n").join(""), name);
    }
    assert.deepEqual(await truncateMetrics(join(dir, "none.jsonl"), 3), {
      kept: 0,
      dropped: 0,
      renumbered: false,
    });
  });
});

Deno.test("MetricsWriter names the file on a full disk and starts after a torn line, never on it", async () => {
  const full = await MetricsWriter.open("/dev/full"); // every write fails with ENOSPC
  try {
    await assert.rejects(
      () => full.append({ step: 1 }),
      /^Error: Cannot append to "\/dev\/full": No space left on device.*free some disk space, then continue the run with --resume/,
    );
  } finally {
    full.close();
  }
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.jsonl");
    await Deno.writeTextFile(path, `${record(1)}\n{"epoch":0,"ba`);
    const writer = await MetricsWriter.open(path);
    await writer.append({ step: 2 });
    writer.close();
    assert.equal(await Deno.readTextFile(path), `${record(1)}\n{"step":2}\n`);
  });
});

Deno.test("resume notes: flags given, flags the checkpoint overrides, and a resume with nothing to train", () => {
  assert.deepEqual(
    [...settingsGiven(["--resume", "-b", "8", "--lr=0.001", "--nz", "16", "--", "--ngf"])].sort(),
    [
      "batchSize",
      "lr",
      "nz",
      "resume",
    ],
  );
  const seed = { recipe: "seed" } as const;
  const saved = completeConfig({
    ...seed,
    batchSize: 8,
    imageSize: 32,
    data: "faces",
    epochs: 3,
    out: "runs/x",
  });
  const given = completeConfig({
    ...seed,
    batchSize: 64,
    imageSize: 64,
    lr: 0.001,
    epochs: 9,
    out: "runs/x",
  });
  assert.equal(
    resumeOverrides(saved, given, new Set(["batchSize", "lr", "epochs"])),
    "--resume keeps the checkpoint's settings, so these flags are ignored: --batch-size 64 (the run uses 8), " +
      "--lr 0.001 (the run uses 0.0002); start a new run (another --out, or --overwrite) to change them",
  );
  // without the flags given, settings that differ from their defaults count as given
  assert.match(
    resumeOverrides(saved, given) ?? "",
    /ignored: --batch-size 64 \(the run uses 8\), --lr 0\.001 \(/,
  );
  assert.match(
    resumeOverrides(saved, { ...given, data: "cats" }) ?? "",
    /--data "cats" \(the run uses "faces"\)/,
  );
  assert.equal(resumeOverrides(saved, saved, new Set(["batchSize"])), undefined);
  const at = (epoch: number, batch: number, globalStep: number) => ({ epoch, batch, globalStep });
  assert.match(
    nothingToTrain(saved, at(3, 0, 30), 10) ?? "",
    /has trained all its 3 epochs .*larger --epochs/,
  );
  assert.match(
    nothingToTrain({ ...saved, maxSteps: 20 }, at(1, 0, 20), 10) ?? "",
    /already at --max-steps 20/,
  );
  assert.match(nothingToTrain(saved, at(2, 7, 27), 5) ?? "", /now has 5 batches an epoch \(it shrank\)/);
  assert.equal(nothingToTrain(saved, at(1, 7, 17), 5), undefined, "epochs are left: it trains on");
  assert.match(dataShrank(at(1, 7, 17), 5) ?? "", /the rest of epoch 2 is skipped/);
  assert.equal(dataShrank(at(1, 5, 15), 5), undefined);
});
