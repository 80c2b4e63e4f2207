/**
 * makeGridArray / saveImageArray against torchvision.utils.make_grid / save_image (0.14) on the same
 * random inputs: grid floats bit-identical, saved PNG pixels identical.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Image } from "imagescript";
import { createRng } from "../../tasks/data/prng.ts";
import type { ImageBatch } from "../../tasks/data/types.ts";
import { type GridOptions, makeGridArray, saveImageArray } from "../../tasks/image/grid.ts";
import { python } from "../fixtures.ts";

function randomBatch(shape: [number, number, number, number], seed: number, lo = -1.3, hi = 1.3): ImageBatch {
  const rng = createRng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rng.next();
  return { data, shape };
}

interface Case {
  name: string;
  shape: [number, number, number, number];
  options: GridOptions;
}

const CASES: Case[] = [
  { name: "defaults, 3 channels", shape: [16, 3, 8, 8], options: {} },
  {
    name: "nrow 5, incomplete last row",
    shape: [13, 3, 6, 5],
    options: { nrow: 5, padding: 3, padValue: 0.25 },
  },
  { name: "1 channel becomes 3", shape: [7, 1, 9, 9], options: { nrow: 4 } },
  { name: "normalize by min and max", shape: [10, 3, 8, 8], options: { normalize: true } },
  { name: "normalize by valueRange", shape: [9, 3, 7, 7], options: { normalize: true, valueRange: [-1, 1] } },
  { name: "scaleEach", shape: [6, 1, 5, 5], options: { normalize: true, scaleEach: true, padding: 1 } },
  {
    name: "scaleEach with valueRange",
    shape: [6, 3, 4, 4],
    options: { normalize: true, scaleEach: true, valueRange: [-0.5, 0.7] },
  },
  { name: "single image, no padding", shape: [1, 1, 12, 10], options: { normalize: true, padding: 4 } },
  { name: "padding 0, nrow above n", shape: [3, 3, 5, 5], options: { padding: 0, nrow: 10 } },
  { name: "4 channels", shape: [5, 4, 6, 6], options: { nrow: 2, normalize: true, valueRange: [-1, 1] } },
];

function pyOptions(o: GridOptions): string {
  const parts = [];
  if (o.nrow !== undefined) parts.push(`nrow=${o.nrow}`);
  if (o.padding !== undefined) parts.push(`padding=${o.padding}`);
  if (o.normalize !== undefined) parts.push(`normalize=${o.normalize ? "True" : "False"}`);
  if (o.valueRange) parts.push(`value_range=(${o.valueRange[0]}, ${o.valueRange[1]})`);
  if (o.scaleEach !== undefined) parts.push(`scale_each=${o.scaleEach ? "True" : "False"}`);
  if (o.padValue !== undefined) parts.push(`pad_value=${o.padValue}`);
  return parts.join(", ");
}

Deno.test("makeGridArray() and saveImageArray() match torchvision make_grid and save_image", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcgan-grid-" });
  try {
    const lines = [
      "import json, numpy as np, torch",
      "from torchvision.utils import make_grid, save_image",
      "from PIL import Image",
      "meta = {}",
    ];
    const batches = CASES.map((c, i) => {
      const batch = randomBatch(c.shape, 100 + i);
      // A few exact extremes and out-of-range values exercise clamping and rounding at the edges.
      batch.data[0] = 0;
      batch.data[1] = 1;
      batch.data[2] = 0.5 / 255;
      return batch;
    });
    for (const [i, c] of CASES.entries()) {
      await Deno.writeFile(join(dir, `in${i}.bin`), new Uint8Array(batches[i]!.data.buffer));
      lines.push(
        `x = torch.from_numpy(np.fromfile("in${i}.bin", dtype=np.float32).reshape(${
          JSON.stringify(c.shape)
        }))`,
        `g = make_grid(x, ${pyOptions(c.options)})`,
        `g.numpy().astype(np.float32).tofile("grid${i}.bin")`,
        `meta[${i}] = list(g.shape)`,
        `save_image(x, "ref${i}.png", ${pyOptions(c.options)})`,
        `a = np.asarray(Image.open("ref${i}.png"))`,
        `a.tofile("refpix${i}.bin")`,
      );
    }
    lines.push(`json.dump(meta, open("meta.json", "w"))`);
    await python(dir, lines.join("\n"));
    const meta: Record<string, number[]> = JSON.parse(await Deno.readTextFile(join(dir, "meta.json")));
    for (const [i, c] of CASES.entries()) {
      const grid = makeGridArray(batches[i]!, c.options);
      assert.deepEqual(grid.shape, meta[i], `${c.name}: grid shape`);
      const ref = new Float32Array((await Deno.readFile(join(dir, `grid${i}.bin`))).buffer);
      let worst = 0;
      for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(ref[k]! - grid.data[k]!));
      assert.equal(worst, 0, `${c.name}: grid differs from make_grid by up to ${worst}`);

      const path = join(dir, `ours${i}.png`);
      await saveImageArray(batches[i]!, path, c.options);
      const ours = await Image.decode(await Deno.readFile(path));
      const refPixels = await Deno.readFile(join(dir, `refpix${i}.bin`));
      const channels = grid.shape[0];
      assert.equal(ours.width * ours.height * channels, refPixels.length, `${c.name}: PNG size`);
      let mismatches = 0;
      for (let p = 0; p < ours.width * ours.height; p++) {
        for (let ch = 0; ch < channels; ch++) {
          if (ours.bitmap[p * 4 + ch] !== refPixels[p * channels + ch]) mismatches++;
        }
      }
      assert.equal(mismatches, 0, `${c.name}: ${mismatches} PNG values differ from save_image`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("makeGridArray() rejects bad shapes and options", () => {
  const batch = randomBatch([2, 3, 4, 4], 1);
  assert.throws(() => makeGridArray({ data: batch.data.subarray(1), shape: batch.shape }), TypeError);
  assert.throws(() => makeGridArray(batch, { nrow: 0 }), RangeError);
  assert.throws(() => makeGridArray(batch, { padding: -1 }), RangeError);
  assert.throws(() => makeGridArray({ data: new Float32Array(0), shape: [0, 3, 4, 4] }), RangeError);
});

Deno.test("saveImageArray() leaves no temporary file behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcgan-grid-" });
  try {
    await saveImageArray(randomBatch([4, 3, 8, 8], 2, 0, 1), join(dir, "grid.png"));
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["grid.png"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
