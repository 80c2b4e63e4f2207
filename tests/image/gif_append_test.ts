// progress.gif grows by one encoded frame per epoch: appending gives the same bytes as encoding every
// frame at once, each append leaves a complete GIF, and the per-epoch work stays flat as the run grows.

import assert from "node:assert/strict";
import { join } from "node:path";
import { writeGridAnimation } from "../../tasks/image/gif.ts";
import { appendGridFrame, gifFrameCount } from "../../tasks/image/gif_append.ts";
import type { ImageArray } from "../../tasks/image/grid.ts";
import { RunVisuals } from "../../tasks/image/run_visuals.ts";

function grid(seed: number): ImageArray {
  const data = Float32Array.from({ length: 3 * 10 * 12 }, (_, i) => ((i * 7 + seed * 13) % 17) / 16);
  return { data, shape: [3, 10, 12] };
}

Deno.test("appendGridFrame builds the same GIF as encoding all frames at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const frames = [grid(0), grid(1), grid(2)];
    for (const [i, frame] of frames.entries()) {
      await appendGridFrame(join(dir, "appended.gif"), frame);
      assert.equal(await gifFrameCount(join(dir, "appended.gif")), i + 1);
    }
    await writeGridAnimation(frames, join(dir, "whole.gif"));
    assert.deepEqual(
      await Deno.readFile(join(dir, "appended.gif")),
      await Deno.readFile(join(dir, "whole.gif")),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("appendGridFrame refuses a frame of another size and a file that is not a GIF", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "a.gif");
    await appendGridFrame(path, grid(0));
    await assert.rejects(
      appendGridFrame(path, { data: new Float32Array(3 * 4 * 4), shape: [3, 4, 4] }),
      /Cannot append a 4x4 frame to .*a\.gif", whose frames are 12x10/,
    );
    await Deno.writeTextFile(join(dir, "b.gif"), "not a gif");
    await assert.rejects(appendGridFrame(join(dir, "b.gif"), grid(0)), /b\.gif" is not a GIF file/);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(join(dir, "c.gif"), bytes.subarray(0, bytes.length - 1));
    await assert.rejects(appendGridFrame(join(dir, "c.gif"), grid(0)), /c\.gif" has no trailer/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RunVisuals does constant work per epoch: one frame encoded, no metrics lines re-read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const visuals = await RunVisuals.open(dir, { plotEverySeconds: 0 });
    const perEpoch: number[][] = [];
    for (let epoch = 0; epoch < 6; epoch++) {
      const before = { ...visuals.work };
      for (let step = 0; step < 20; step++) visuals.record({ lossD: 1 + step, lossG: 2, dx: 0.5, dgz1: 0.4 });
      await visuals.addEpochGrid(grid(epoch));
      await visuals.drawPlot();
      perEpoch.push([
        visuals.work.framesEncoded - before.framesEncoded,
        visuals.work.metricLinesRead - before.metricLinesRead,
        visuals.work.plotsDrawn - before.plotsDrawn,
      ]);
    }
    assert.deepEqual(perEpoch, Array(6).fill([1, 0, 1]));
    assert.equal(await gifFrameCount(join(dir, "progress.gif")), 6);
    assert.equal(visuals.history.lossD.length, 120);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RunVisuals.open rebuilds progress.gif once when it misses an epoch grid on disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { saveImageArray } = await import("../../tasks/image/grid.ts");
    for (const epoch of [1, 2]) {
      const [c, h, w] = grid(epoch).shape;
      await saveImageArray(
        { data: grid(epoch).data, shape: [1, c, h, w] },
        join(dir, `fake_samples_epoch_00${epoch}.png`),
      );
    }
    await Deno.writeTextFile(
      join(dir, "metrics.jsonl"),
      '{"lossD":1,"lossG":2}\n{"lossD":1.5,"lossG":2}\n{"loss',
    );
    const visuals = await RunVisuals.open(dir);
    assert.equal(visuals.work.framesEncoded, 2);
    assert.equal(visuals.history.lossD.length, 2); // the torn last line is skipped
    assert.equal(await gifFrameCount(join(dir, "progress.gif")), 2);
    const again = await RunVisuals.open(dir);
    assert.equal(again.work.framesEncoded, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
