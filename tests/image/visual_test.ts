/**
 * The loss plot, the sample-grid GIF and the real-vs-fake picture: the files decode back with the
 * expected sizes, frame counts and colours, and are written without leftovers.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { GIF, Image } from "imagescript";
import { createRng } from "../../tasks/data/prng.ts";
import type { ImageBatch } from "../../tasks/data/types.ts";
import { writeGridAnimation } from "../../tasks/image/gif.ts";
import { type ImageArray, makeGridArray, saveImageArray, toPixels } from "../../tasks/image/grid.ts";
import { type LossHistory, SERIES_COLORS, writeLossPlot } from "../../tasks/image/plot.ts";
import { renderRealVsFake, writeRealVsFake } from "../../tasks/image/real_vs_fake.ts";
import { withTempDir } from "../fixtures.ts";

async function listDir(dir: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

function countColor(image: Image, color: number): number {
  const target = [(color >>> 24) & 255, (color >>> 16) & 255, (color >>> 8) & 255];
  let n = 0;
  for (let i = 0; i < image.width * image.height; i++) {
    if (
      image.bitmap[i * 4] === target[0] && image.bitmap[i * 4 + 1] === target[1] &&
      image.bitmap[i * 4 + 2] === target[2]
    ) n++;
  }
  return n;
}

function history(n: number, seed: number): LossHistory {
  const rng = createRng(seed);
  const h: LossHistory = { lossD: [], lossG: [], dx: [], dgz: [] };
  for (let i = 0; i < n; i++) {
    h.lossD.push(1.4 * Math.exp(-i / n) + 0.2 * rng.next());
    h.lossG.push(2 + i / n + rng.next());
    h.dx.push(0.6 + 0.3 * rng.next());
    h.dgz.push(0.1 + 0.3 * rng.next());
  }
  return h;
}

function randomBatch(shape: [number, number, number, number], seed: number): ImageBatch {
  const rng = createRng(seed);
  return {
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1),
    shape,
  };
}

Deno.test("writeLossPlot() writes a PNG of the requested size with all four series in their colours", async () => {
  await withTempDir(async (dir) => {
    for (const [n, size] of [[3000, {}], [12, { width: 640, height: 480 }], [0, {}]] as const) {
      const path = join(dir, `loss_${n}.png`);
      await writeLossPlot(history(n, n), path, size);
      const image = await Image.decode(await Deno.readFile(path));
      assert.equal(image.width, "width" in size ? size.width : 960);
      assert.equal(image.height, "height" in size ? size.height : 720);
      for (const [name, color] of Object.entries(SERIES_COLORS)) {
        // Every series has at least its legend swatch; with data, a line too.
        assert.ok(countColor(image, color) >= (n > 0 ? 100 : 20), `${name} colour missing (${n} points)`);
      }
    }
    assert.deepEqual(await listDir(dir), ["loss_0.png", "loss_12.png", "loss_3000.png"]);
  });
});

Deno.test("writeLossPlot() copes with gaps, spikes and flat series, and rejects bad input", async () => {
  await withTempDir(async (dir) => {
    const h: LossHistory = {
      lossD: [1, NaN, 0.5, Infinity, 0.7],
      lossG: [3, 3, 3, 3, 3],
      dx: [0.5],
      dgz: [],
    };
    const path = join(dir, "odd.png");
    await writeLossPlot(h, path);
    assert.equal((await Image.decode(await Deno.readFile(path))).width, 960);
    await assert.rejects(
      () => writeLossPlot({ ...h, dx: undefined as unknown as number[] }, path),
      TypeError,
    );
    await assert.rejects(() => writeLossPlot(h, path, { width: 10 }), RangeError);
  });
});

Deno.test("writeGridAnimation() writes one GIF frame per grid, from PNG files or in-memory grids", async () => {
  await withTempDir(async (dir) => {
    const grids: ImageArray[] = [];
    const paths: string[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      const batch = randomBatch([16, 3, 8, 8], epoch);
      const grid = makeGridArray(batch, { normalize: true, valueRange: [-1, 1], nrow: 4 });
      grids.push(grid);
      paths.push(join(dir, `epoch_${epoch}.png`));
      await saveImageArray(grid, paths.at(-1)!);
    }
    for (const [name, frames] of [["files", paths], ["grids", grids]] as const) {
      const path = join(dir, `${name}.gif`);
      await writeGridAnimation(frames, path, { delayMs: 200 });
      const gif = await GIF.decode(await Deno.readFile(path));
      assert.equal(gif.length, 5, `${name}: frame count`);
      assert.equal(gif.width, 42);
      assert.equal(gif.height, 42);
      assert.deepEqual([...gif].map((f) => f.duration), [200, 200, 200, 200, 800]);
      // GIF quantizes to 256 colours; the first frame stays close to its grid.
      const expected = toPixels(grids[0]!);
      let worst = 0;
      for (let p = 0; p < 42 * 42; p++) {
        for (let c = 0; c < 3; c++) {
          worst = Math.max(worst, Math.abs(gif[0]!.bitmap[p * 4 + c]! - expected.data[p * 3 + c]!));
        }
      }
      assert.ok(worst <= 64, `${name}: first frame differs from its grid by ${worst}`);
    }
    await assert.rejects(() => writeGridAnimation([], join(dir, "none.gif")), RangeError);
    const small = makeGridArray(randomBatch([4, 3, 8, 8], 9), { normalize: true });
    await assert.rejects(() => writeGridAnimation([grids[0]!, small], join(dir, "mixed.gif")), TypeError);
    await assert.rejects(() => writeGridAnimation([join(dir, "missing.png")], join(dir, "x.gif")), /frame 0/);
    const names = await listDir(dir);
    assert.ok(names.every((n) => !n.includes(".tmp-")), `temporary files left: ${names}`);
    assert.ok(!names.includes("none.gif") && !names.includes("mixed.gif"));
  });
});

Deno.test("writeRealVsFake() puts the real grid left and the fake grid right, captioned", async () => {
  await withTempDir(async (dir) => {
    const real: ImageBatch = { data: new Float32Array(16 * 3 * 8 * 8).fill(1), shape: [16, 3, 8, 8] }; // white
    const fake: ImageBatch = { data: new Float32Array(16 * 1 * 8 * 8).fill(-1), shape: [16, 1, 8, 8] }; // black
    const path = join(dir, "real_vs_fake.png");
    await writeRealVsFake({ real, fake }, path, { nrow: 4 });
    const image = await Image.decode(await Deno.readFile(path));
    const expected = renderRealVsFake({ real, fake }, { nrow: 4 });
    assert.equal(image.width, expected.width);
    assert.equal(image.height, expected.height);
    assert.equal(image.width, 12 * 3 + 42 * 2);
    // Centre of the first image of each grid: real is white, fake is black.
    const y = image.height - 12 - 42 + 2 + 4;
    assert.deepEqual([
      ...image.bitmap.subarray((y * image.width + 12 + 6) * 4, (y * image.width + 12 + 6) * 4 + 3),
    ], [255, 255, 255]);
    const fx = 12 * 2 + 42 + 6;
    assert.deepEqual([...image.bitmap.subarray((y * image.width + fx) * 4, (y * image.width + fx) * 4 + 3)], [
      0,
      0,
      0,
    ]);
    // Captions are dark text above the grids.
    let dark = 0;
    for (let p = 0; p < image.width * 30; p++) if (image.bitmap[p * 4]! < 100) dark++;
    assert.ok(dark > 50, "captions missing");
  });
});
