// Issue 16's pieces off the step's path: the run writer (a worker) writes what the run copied when it
// asked, in order, and names the file it could not write; the step reader brings many steps' numbers
// back in one read, equal to step()'s, and stops at a NaN naming the step; metrics lines wait in a
// buffer until flushed, then land whole.
import assert from "node:assert/strict";
import { join } from "node:path";
import { GIF } from "imagescript";
import { readSafetensors } from "../../models/io/safetensors.ts";
import { saveStateDict } from "../../models/io/state_dict_file.ts";
import { noGrad } from "../../ops/autograd.ts";
import { full, randn } from "../../ops/creation.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import { completeConfig } from "../../tasks/gan/config.ts";
import { CHECKPOINT_FILE, loadRunCheckpoint } from "../../tasks/gan/run_checkpoint.ts";
import { MetricsWriter } from "../../tasks/gan/run_metrics.ts";
import { queueSaveRun } from "../../tasks/gan/run_outputs.ts";
import { RunWriter } from "../../tasks/gan/run_writer.ts";
import { StepReader } from "../../tasks/gan/step_stats.ts";
import { type DcganSpec, DcganTrainer, DivergenceError } from "../../tasks/gan/trainer.ts";
import { withTempDir } from "../fixtures.ts";

const SPEC: DcganSpec = { nz: 8, ngf: 4, ndf: 4, nc: 3, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu" };

Deno.test("the run writer writes the weights as they were when queued, in files equal to saveStateDict's", async () => {
  await withTempDir(async (dir) => {
    manualSeed(0);
    const trainer = new DcganTrainer(SPEC);
    const writer = RunWriter.open(dir);
    try {
      using real = tidy(() => randn([2, 3, 32, 32]).tanh());
      trainer.step(real);
      await saveStateDict(trainer.netG, join(dir, "expected_generator.safetensors"));
      using noise = randn([4, 8, 1, 1]);
      const position = { epoch: 0, batch: 1, globalStep: 1 };
      queueSaveRun(writer, dir, {
        trainer,
        fixedNoise: noise,
        position,
        config: completeConfig({ ...SPEC, out: dir }),
      });
      trainer.step(real); // the run goes on while the files are written
      noGrad(() => trainer.netG.parameters()[0]!.fill_(7));
      await writer.settle();
      assert.deepEqual(
        await Deno.readFile(join(dir, "generator.safetensors")),
        await Deno.readFile(join(dir, "expected_generator.safetensors")),
      );
      const saved = await loadRunCheckpoint(join(dir, CHECKPOINT_FILE));
      assert.deepEqual(saved.position, position);
      const file = await readSafetensors(join(dir, CHECKPOINT_FILE));
      const expected = await readSafetensors(join(dir, "expected_generator.safetensors"));
      for (const [key, entry] of Object.entries(expected.tensors)) {
        assert.deepEqual(file.tensors[`netG.${key}`]!.data, entry.data, `netG.${key} as queued`);
      }
    } finally {
      writer.close();
      trainer.dispose();
    }
  });
});

for (const inline of [false, true]) {
  Deno.test(`the run writer ${inline ? "on this thread" : "in a worker"} keeps each file's writes in order and names a file it cannot write`, async () => {
    await withTempDir(async (dir) => {
      const writer = RunWriter.open(dir, { inline });
      try {
        const path = join(dir, "a.safetensors");
        for (let i = 1; i <= 3; i++) {
          const data = new Uint8Array(new Float32Array([i]).buffer);
          const data4 = new Float32Array(3 * 4 * 4).fill((i - 2) / 2); // -0.5, 0, 0.5: grey, darker first
          [data4[0], data4[1]] = [-1, 1]; // the range normalize=True maps to [0, 1]
          const images = { data: data4, shape: [1, 3, 4, 4] as [1, 3, 4, 4] };
          writer.grid(join(dir, `grid_${i}.png`), images, { nrow: 8, gif: true }); // a 1-image grid: no padding
          writer.safetensors([{ path, entries: { x: { dtype: "F32", shape: [1], data } } }]);
        }
        await writer.settle();
        const { tensors } = await readSafetensors(path);
        assert.deepEqual([...new Float32Array(tensors.x!.data.slice().buffer)], [3], "the last write wins");
        const gif = await GIF.decode(await Deno.readFile(join(dir, "progress.gif")));
        const greys = [...gif].map((frame) => frame.getPixelAt(4, 4) >>> 24); // red of the last pixel
        assert.deepEqual(greys.map((g, k) => k === 0 || g > greys[k - 1]!), [true, true, true], `${greys}`);
        for (let i = 1; i <= 3; i++) await Deno.stat(join(dir, `grid_${i}.png`));
        const missing = join(dir, "no-such-folder", "b.safetensors");
        writer.safetensors([{ path: missing, entries: {} }]);
        await assert.rejects(() => writer.settle(), (error: Error) => error.message.includes(`"${missing}"`));
        assert.throws(() => writer.throwIfFailed(), /no-such-folder/);
      } finally {
        writer.close();
      }
    });
  });
}

Deno.test("StepReader reads many steps in one read with step()'s numbers and stops at a NaN naming its step", () => {
  // D-only steps carry the last G update's numbers; the hinge loss lets a NaN through (BCE refuses it)
  const spec: DcganSpec = { ...SPEC, nCritic: 2, loss: "hinge" };
  manualSeed(0);
  const eager = new DcganTrainer(spec);
  manualSeed(0);
  const lazy = new DcganTrainer(spec);
  try {
    using real = tidy(() => randn([2, 3, 32, 32]).tanh()); // drawn after both: the same draws follow
    manualSeed(1);
    const expected = [1, 2, 3].map(() => eager.step(real));
    manualSeed(1);
    using reader = new StepReader<number>(lazy);
    for (let i = 1; i <= 3; i++) reader.push(lazy.stepUnread(real), i);
    const { steps, error } = reader.read();
    assert.equal(error, undefined);
    assert.deepEqual(steps.map((s) => s.tag), [1, 2, 3]);
    assert.deepEqual(steps.map((s) => s.stats), expected);
    assert.deepEqual(lazy.lastGenerator, eager.lastGenerator);
    using nan = full([2, 3, 32, 32], NaN);
    reader.push(lazy.stepUnread(real), 4);
    reader.push(lazy.stepUnread(nan), 5);
    reader.push(lazy.stepUnread(real), 6);
    const diverged = reader.read();
    assert.deepEqual(diverged.steps.map((s) => s.tag), [4], "the steps before the NaN");
    assert.ok(diverged.error instanceof DivergenceError);
    assert.match(diverged.error.message, /at step 5: the discriminator loss is NaN/);
    assert.equal(reader.pending, 0);
  } finally {
    eager.dispose();
    lazy.dispose();
  }
});

Deno.test("MetricsWriter.add() buffers lines until flush(), which writes them whole", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.jsonl");
    const writer = await MetricsWriter.open(path);
    try {
      writer.add({ step: 1 });
      writer.add({ step: 2 });
      assert.equal(await Deno.readTextFile(path), "");
      assert.equal(writer.due(0), true);
      await writer.flush();
      assert.equal(writer.due(0), false, "nothing left to flush");
      assert.equal(await Deno.readTextFile(path), '{"step":1}\n{"step":2}\n');
    } finally {
      writer.close();
    }
  });
  const disk = await MetricsWriter.open("/dev/full"); // every write fails with ENOSPC
  try {
    disk.add({ step: 1 });
    await assert.rejects(
      () => disk.flush(),
      /^Error: Cannot append to "\/dev\/full": No space left on device/,
    );
  } finally {
    disk.close();
  }
});
