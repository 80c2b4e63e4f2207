/**
 * Decodes one PNG or JPEG file into an RGB or grayscale uint8 image: the header is checked against a
 * pixel limit first, imagescript decodes, alpha is composited on white like PIL's
 * `Image.alpha_composite(white, image)`, and grayscale is PIL's `convert("L")` (ITU-R 601-2).
 *
 * @module
 */

import { Image } from "imagescript";
import { readImageHeader } from "./image_header.ts";
import type { HostImage } from "./types.ts";

/** The default largest image that is decoded: 50 megapixels (200 MB as RGBA). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** Options for {@linkcode decodeImage}. */
export interface DecodeOptions {
  /** 3 for RGB (default), 1 for grayscale. */
  channels?: 1 | 3;
  /** Images whose header claims more pixels are refused before decoding; default 50 megapixels. */
  maxPixels?: number;
}

/**
 * PIL's `alpha_composite` of one RGBA pixel channel over opaque white (AlphaComposite.c with
 * PRECISION_BITS 7).
 */
function overWhite(value: number, alpha: number): number {
  if (alpha === 0) return 255;
  const coef1 = alpha * 128;
  const coef2 = 255 * 128 - coef1;
  const tmp = value * coef1 + 255 * coef2 + (0x80 << 7);
  return (((tmp >> 8) + tmp) >> 8) >> 7;
}

/**
 * Turns an RGBA bitmap into RGB composited on white, or into PIL "L" grayscale of that.
 *
 * @param rgba `width * height * 4` bytes
 * @param channels 3 for RGB, 1 for grayscale
 * @returns `width * height * channels` bytes
 * @example
 * ```ts
 * import { flattenRgba } from "./decode_image.ts";
 * console.log(flattenRgba(Uint8Array.from([255, 0, 0, 128]), 3)); // Uint8Array(3) [ 255, 127, 127 ]
 * ```
 */
export function flattenRgba(rgba: Uint8Array | Uint8ClampedArray, channels: 1 | 3): Uint8Array {
  if (rgba.length % 4 !== 0) throw new TypeError(`RGBA data has ${rgba.length} bytes, not a multiple of 4`);
  const n = rgba.length / 4;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const a = rgba[i * 4 + 3]!;
    let r = rgba[i * 4]!;
    let g = rgba[i * 4 + 1]!;
    let b = rgba[i * 4 + 2]!;
    if (a !== 255) {
      r = overWhite(r, a);
      g = overWhite(g, a);
      b = overWhite(b, a);
    }
    if (channels === 3) {
      out[i * 3] = r;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = b;
    } else {
      out[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }
  }
  return out;
}

/**
 * Decodes a PNG or JPEG file's bytes into an RGB or grayscale image, alpha composited on white.
 *
 * @param bytes the whole file
 * @param options `channels` (3 or 1) and `maxPixels` (default 50 megapixels)
 * @returns the decoded image, interleaved
 * @throws {Error} When the file is not PNG/JPEG, is corrupt, or claims more pixels than `maxPixels`;
 * the message says which, so callers can skip the file with it as the reason
 * @example
 * ```ts
 * import { Image } from "imagescript";
 * import { decodeImage } from "@gan/dcgan/data";
 * const png = await new Image(3, 2).fill(0xff000080).encode();
 * const image = await decodeImage(png, { channels: 1 });
 * console.log(image.width, image.height, image.data[0]); // 3 2 165
 * ```
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<HostImage> {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new RangeError(`Channels must be 1 or 3, got ${channels}`);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const header = readImageHeader(bytes);
  const pixels = header.width * header.height;
  if (pixels > maxPixels) {
    throw new Error(
      `${header.format.toUpperCase()} header claims ${header.width}x${header.height} pixels, over the ` +
        `${maxPixels}-pixel limit; raise maxPixels to load it`,
    );
  }
  let image: Image;
  try {
    image = await Image.decode(bytes);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`${header.format.toUpperCase()} data is corrupt: the decoder failed (${detail})`, {
      cause: error,
    });
  }
  if (image.width !== header.width || image.height !== header.height) {
    throw new Error(
      `${header.format.toUpperCase()} is inconsistent: header says ${header.width}x${header.height}, ` +
        `decoder gave ${image.width}x${image.height}`,
    );
  }
  return { data: flattenRgba(image.bitmap, channels), width: image.width, height: image.height, channels };
}
