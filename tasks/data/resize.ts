/**
 * torchvision's `transforms.Resize(size)` + `transforms.CenterCrop(size)` on PIL images, reproduced on
 * uint8 host images: PIL's BILINEAR resampling with antialiasing (the filter support grows with the
 * downscale factor, as in PIL's `ImagingResample`), fixed-point coefficients and rounding as PIL does them,
 * a horizontal pass then a vertical pass, each rounded to uint8.
 *
 * @module
 */

import type { HostImage } from "./types.ts";

/** PIL's `PRECISION_BITS` for 8-bit resampling: 32 - 8 - 2. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** PIL's bilinear (triangle) filter, support 1. */
function bilinear(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

/** Per output pixel: first input index, number of taps, and `ksize` fixed-point weights. */
interface Coefficients {
  bounds: Int32Array;
  weights: Int32Array;
  ksize: number;
}

/** Recently used coefficients: data sets resize many images of the same size. */
const coefficientCache = new Map<string, Coefficients>();

function precompute(inSize: number, outSize: number): Coefficients {
  const key = `${inSize}:${outSize}`;
  let found = coefficientCache.get(key);
  if (!found) {
    found = computeCoefficients(inSize, outSize);
    if (coefficientCache.size >= 32) coefficientCache.delete(coefficientCache.keys().next().value!);
    coefficientCache.set(key, found);
  }
  return found;
}

/** PIL's `precompute_coeffs` + `normalize_coeffs_8bpc` for one axis, box `[0, inSize]`. */
function computeCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bilinear((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax ? (ww !== 0 ? k[x]! / ww : k[x]!) : 0;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, weights, ksize };
}

/** PIL's `clip8`: drop the fraction bits and clamp to 0..255. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resampleHorizontal(src: HostImage, outWidth: number): HostImage {
  const { width, height, channels: c } = src;
  const { bounds, weights, ksize } = precompute(width, outWidth);
  const out = new Uint8Array(outWidth * height * c);
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2]!;
      const xmax = bounds[xx * 2 + 1]!;
      const kbase = xx * ksize;
      for (let ch = 0; ch < c; ch++) {
        let sum = HALF;
        for (let x = 0; x < xmax; x++) sum += src.data[row + (x + xmin) * c + ch]! * weights[kbase + x]!;
        out[(y * outWidth + xx) * c + ch] = clip8(sum);
      }
    }
  }
  return { data: out, width: outWidth, height, channels: c };
}

function resampleVertical(src: HostImage, outHeight: number): HostImage {
  const { width, height, channels: c } = src;
  const { bounds, weights, ksize } = precompute(height, outHeight);
  const stride = width * c;
  const out = new Uint8Array(stride * outHeight);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2]!;
    const ymax = bounds[yy * 2 + 1]!;
    const kbase = yy * ksize;
    for (let i = 0; i < stride; i++) {
      let sum = HALF;
      for (let y = 0; y < ymax; y++) sum += src.data[(y + ymin) * stride + i]! * weights[kbase + y]!;
      out[yy * stride + i] = clip8(sum);
    }
  }
  return { data: out, width, height: outHeight, channels: c };
}

function checkImage(image: HostImage): void {
  const { data, width, height, channels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(
      `Cannot resize a ${width}x${height} image: width and height must be positive integers`,
    );
  }
  if (data.length !== width * height * channels) {
    throw new TypeError(
      `Cannot resize image: it has ${data.length} bytes, expected ${width}x${height}x${channels} = ` +
        `${width * height * channels}`,
    );
  }
}

function checkSize(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
}

/**
 * The size torchvision's `Resize(size)` gives an image: the shorter side becomes `size`, the longer
 * `int(size * long / short)`.
 *
 * @param image the input's width and height
 * @param size the new length of the shorter side
 * @returns the output width and height
 * @example
 * ```ts
 * import { resizedSize } from "./resize.ts";
 * console.log(resizedSize({ width: 100, height: 80 }, 64)); // { width: 80, height: 64 }
 * ```
 */
export function resizedSize(
  image: { width: number; height: number },
  size: number,
): { width: number; height: number } {
  checkSize("Resize size", size);
  const { width: w, height: h } = image;
  const [short, long] = w <= h ? [w, h] : [h, w];
  const newLong = Math.trunc(size * long / short);
  return w <= h ? { width: size, height: newLong } : { width: newLong, height: size };
}

/**
 * Resizes an interleaved uint8 image like PIL's `Image.resize(size, Image.BILINEAR)`: antialiased when
 * shrinking, exact to PIL's fixed-point arithmetic.
 *
 * @param image the input, any number of channels
 * @param target the output width and height
 * @returns a new image of the target size
 * @example
 * ```ts
 * import { resizeBilinear } from "./resize.ts";
 * const image = { data: new Uint8Array(4 * 4).fill(200), width: 4, height: 4, channels: 1 };
 * console.log(resizeBilinear(image, { width: 2, height: 2 }).data); // Uint8Array(4) [ 200, 200, 200, 200 ]
 * ```
 */
export function resizeBilinear(image: HostImage, target: { width: number; height: number }): HostImage {
  checkImage(image);
  checkSize("Resize width", target.width);
  checkSize("Resize height", target.height);
  let out = image;
  if (target.width !== image.width) out = resampleHorizontal(out, target.width);
  if (target.height !== image.height) out = resampleVertical(out, target.height);
  return out === image ? { ...image, data: image.data.slice() } : out;
}

/** Python 3's `round()`: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Crops the central `size` x `size` square like torchvision's `CenterCrop(size)`: offsets
 * `int(round((h - size) / 2))`, and zero padding where the image is smaller than the crop.
 *
 * @param image the input
 * @param size the side of the square crop
 * @returns a new `size` x `size` image
 * @example
 * ```ts
 * import { centerCrop } from "./resize.ts";
 * const image = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 3, height: 2, channels: 1 };
 * console.log(centerCrop(image, 2).data); // Uint8Array(4) [ 1, 2, 4, 5 ] (offset round(0.5) = 0)
 * ```
 */
export function centerCrop(image: HostImage, size: number): HostImage {
  checkImage(image);
  checkSize("Crop size", size);
  const { width, height, channels: c } = image;
  // torchvision pads (fill 0) with the extra pixel on the right/bottom, then crops the centre.
  const padLeft = size > width ? Math.floor((size - width) / 2) : 0;
  const padTop = size > height ? Math.floor((size - height) / 2) : 0;
  const paddedW = size > width ? size : width;
  const paddedH = size > height ? size : height;
  const left = roundHalfEven((paddedW - size) / 2) - padLeft;
  const top = roundHalfEven((paddedH - size) / 2) - padTop;
  const out = new Uint8Array(size * size * c);
  for (let y = 0; y < size; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= height) continue;
    for (let x = 0; x < size; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= width) continue;
      const s = (sy * width + sx) * c;
      out.set(image.data.subarray(s, s + c), (y * size + x) * c);
    }
  }
  return { data: out, width: size, height: size, channels: c };
}

/**
 * torchvision's `Compose([Resize(size), CenterCrop(size)])` on a PIL image: the shorter side is resized
 * to `size` with antialiased bilinear resampling, then the central square is kept.
 *
 * @param image the input, interleaved uint8
 * @param size the side of the square output
 * @returns a new `size` x `size` image with the input's channels
 * @example
 * ```ts
 * import { resizeCenterCrop } from "@gan/dcgan/data";
 * const image = { data: new Uint8Array(72 * 64 * 3).fill(9), width: 72, height: 64, channels: 3 };
 * const out = resizeCenterCrop(image, 32);
 * console.log(out.width, out.height, out.data[0]); // 32 32 9
 * ```
 */
export function resizeCenterCrop(image: HostImage, size: number): HostImage {
  checkImage(image);
  const target = resizedSize(image, size);
  const resized = target.width === image.width && target.height === image.height
    ? image
    : resizeBilinear(image, target);
  return centerCrop(resized, size);
}
