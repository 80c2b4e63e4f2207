/**
 * torchvision's `utils.make_grid` and `utils.save_image` (0.14) on host float32 arrays, reproduced value
 * for value: 1-channel images become 3-channel, `normalize` clamps then scales in float32, a batch of one
 * image comes back without padding, and saving rounds with `mul(255).add_(0.5).clamp_(0, 255)`.
 *
 * @module
 */

import type { HostImage, ImageBatch } from "../data/types.ts";
import { writePng } from "./png.ts";

/** One image (or a grid) as float32 values in CHW order. */
export interface ImageArray {
  /** `c * h * w` values, row-major CHW. */
  data: Float32Array;
  /** `[c, h, w]`. */
  shape: [number, number, number];
}

/** Options of {@linkcode makeGridArray}, named after torchvision's `make_grid` arguments. */
export interface GridOptions {
  /** Images per row; default 8. */
  nrow?: number;
  /** Pixels between and around images; default 2. */
  padding?: number;
  /** Shift values to [0, 1] by `valueRange` (or the min and max); default `false`. */
  normalize?: boolean;
  /** `[lo, hi]` for `normalize`; default the data's min and max. */
  valueRange?: [number, number];
  /** Normalize each image by its own min and max; default `false`. */
  scaleEach?: boolean;
  /** Value of the padding pixels; default 0. */
  padValue?: number;
}

const f32 = Math.fround;

/** `norm_ip`: clamp to [lo, hi], subtract lo, divide by max(hi - lo, 1e-5), each step in float32. */
function normalizeRange(data: Float32Array, range: [number, number] | undefined): void {
  let lo: number;
  let hi: number;
  if (range) {
    [lo, hi] = range;
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (const v of data) {
      if (v < lo || Number.isNaN(v)) lo = v;
      if (v > hi || Number.isNaN(v)) hi = v;
    }
  }
  const low = f32(lo);
  const high = f32(hi);
  const scale = f32(Math.max(hi - lo, 1e-5));
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const clamped = Number.isNaN(v) ? v : v < low ? low : v > high ? high : v;
    data[i] = f32(clamped - low) / scale;
  }
}

function asBatch(input: ImageBatch | ImageArray): ImageBatch {
  const { data, shape } = input;
  if (shape.length === 3) return { data, shape: [1, shape[0], shape[1], shape[2]] };
  if (shape.length !== 4) {
    throw new TypeError(
      `Expected images of shape [n, c, h, w] or [c, h, w], got [${(shape as number[]).join(", ")}]`,
    );
  }
  return input as ImageBatch;
}

/**
 * Arranges a batch of images in a grid, exactly like `torchvision.utils.make_grid`: `nrow` images per
 * row, `padding` pixels of `padValue` around each, 1-channel input repeated to 3 channels. A single
 * image (n = 1) comes back as it is, without padding.
 *
 * @param batch `[n, c, h, w]` float32 images (or one `[c, h, w]` image)
 * @param options `nrow`, `padding`, `normalize`, `valueRange`, `scaleEach`, `padValue`
 * @returns the grid, `[c', H, W]` with `c'` 3 for 1-channel input, else `c`
 * @example
 * ```ts
 * import { makeGridArray } from "@gan/dcgan/image";
 * const batch = { data: new Float32Array(5 * 1 * 4 * 4).fill(0.5), shape: [5, 1, 4, 4] as [number, number, number, number] };
 * console.log(makeGridArray(batch, { nrow: 3 }).shape); // [ 3, 14, 20 ]
 * ```
 */
export function makeGridArray(batch: ImageBatch | ImageArray, options: GridOptions = {}): ImageArray {
  const { nrow = 8, padding = 2, normalize = false, valueRange, scaleEach = false, padValue = 0 } = options;
  if (!Number.isInteger(nrow) || nrow < 1) {
    throw new RangeError(`nrow must be a positive integer, got ${nrow}`);
  }
  if (!Number.isInteger(padding) || padding < 0) {
    throw new RangeError(`padding must be a non-negative integer, got ${padding}`);
  }
  const { data: input, shape } = asBatch(batch);
  const [n, c0, h, w] = shape;
  if (input.length !== n * c0 * h * w) {
    throw new TypeError(
      `Image data has ${input.length} values, expected ${n}x${c0}x${h}x${w} = ${n * c0 * h * w}`,
    );
  }
  if (n < 1) throw new RangeError("Cannot make a grid of 0 images: the batch is empty");
  const c = c0 === 1 ? 3 : c0;
  let data = input;
  if (c0 === 1) {
    data = new Float32Array(n * 3 * h * w);
    const plane = h * w;
    for (let k = 0; k < n; k++) {
      const src = input.subarray(k * plane, (k + 1) * plane);
      for (let ch = 0; ch < 3; ch++) data.set(src, (k * 3 + ch) * plane);
    }
  }
  if (normalize) {
    if (data === input) data = input.slice();
    if (scaleEach) {
      const per = c * h * w;
      for (let k = 0; k < n; k++) normalizeRange(data.subarray(k * per, (k + 1) * per), valueRange);
    } else {
      normalizeRange(data, valueRange);
    }
  }
  if (n === 1) return { data: data === input ? input.slice() : data, shape: [c, h, w] };
  const xmaps = Math.min(nrow, n);
  const ymaps = Math.ceil(n / xmaps);
  const height = h + padding;
  const width = w + padding;
  const gridH = height * ymaps + padding;
  const gridW = width * xmaps + padding;
  const grid = new Float32Array(c * gridH * gridW).fill(padValue);
  for (let k = 0; k < n; k++) {
    const top = Math.floor(k / xmaps) * height + padding;
    const left = (k % xmaps) * width + padding;
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        const src = ((k * c + ch) * h + y) * w;
        grid.set(data.subarray(src, src + w), (ch * gridH + top + y) * gridW + left);
      }
    }
  }
  return { data: grid, shape: [c, gridH, gridW] };
}

/**
 * One value in [0, 1] as a byte, as torchvision's `save_image`: `(x * 255 + 0.5)` clamped to [0, 255] and
 * truncated, in float32; NaN becomes 0.
 *
 * @param value a normalized pixel value
 * @returns 0..255
 */
export function unitToByte(value: number): number {
  const v = f32(f32(value * 255) + 0.5);
  return v > 0 ? (v < 255 ? Math.trunc(v) : 255) : 0;
}

/**
 * Converts a `[c, h, w]` float image with values in [0, 1] to interleaved uint8 pixels as `save_image`
 * does: `mul(255).add_(0.5).clamp_(0, 255)` in float32, then truncation.
 *
 * @param image a `[c, h, w]` image or grid
 * @returns interleaved (HWC) pixels
 * @example
 * ```ts
 * import { toPixels } from "@gan/dcgan/image";
 * const image = { data: Float32Array.from([0, 0.5, 1.2]), shape: [3, 1, 1] as [number, number, number] };
 * console.log(toPixels(image).data); // Uint8Array(3) [ 0, 128, 255 ]
 * ```
 */
export function toPixels(image: ImageArray): HostImage {
  const [c, h, w] = image.shape;
  if (image.data.length !== c * h * w) {
    throw new TypeError(`Image data has ${image.data.length} values, expected ${c}x${h}x${w} = ${c * h * w}`);
  }
  const out = new Uint8Array(c * h * w);
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < plane; p++) {
      out[p * c + ch] = unitToByte(image.data[ch * plane + p]!);
    }
  }
  return { data: out, width: w, height: h, channels: c };
}

/**
 * Saves images as a PNG like `torchvision.utils.save_image`: a batch goes through
 * {@linkcode makeGridArray} (with `options`), values in [0, 1] become uint8 by
 * `mul(255).add_(0.5).clamp_(0, 255)`. The file is written atomically.
 *
 * @param images `[n, c, h, w]` images or a `[c, h, w]` image/grid, values in [0, 1] (or use `normalize`)
 * @param path the PNG file to create or replace
 * @param options the grid options of {@linkcode makeGridArray}
 * @returns a promise that resolves once the file is in place
 * @throws {TypeError} When the images have a channel count other than 1, 3 or 4
 * @example
 * ```ts
 * import { saveImageArray } from "@gan/dcgan/image";
 * const batch = { data: new Float32Array(4 * 3 * 8 * 8).fill(-0.5), shape: [4, 3, 8, 8] as [number, number, number, number] };
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await saveImageArray(batch, path, { nrow: 2, normalize: true, valueRange: [-1, 1] });
 * await Deno.remove(path);
 * ```
 */
export async function saveImageArray(
  images: ImageBatch | ImageArray,
  path: string,
  options: GridOptions = {},
): Promise<void> {
  await writePng(toPixels(makeGridArray(images, options)), path);
}
