/**
 * PNG output for the visual helpers: interleaved uint8 pixels encoded with imagescript and written
 * atomically (temporary file + rename), so a viewer never sees half a file.
 *
 * @module
 */

import { Image } from "imagescript";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import type { HostImage } from "../data/types.ts";

/**
 * Converts interleaved gray, RGB or RGBA pixels to an imagescript image.
 *
 * @param pixels `width * height * channels` bytes, channels 1, 3 or 4
 * @returns an imagescript `Image` (opaque unless the input had alpha)
 * @example
 * ```ts
 * import { toImage } from "./png.ts";
 * const image = toImage({ data: Uint8Array.from([255, 0, 0]), width: 1, height: 1, channels: 3 });
 * console.log(image.getPixelAt(1, 1).toString(16)); // ff0000ff
 * ```
 */
export function toImage(pixels: HostImage): Image {
  const { data, width, height, channels } = pixels;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new TypeError(
      `Cannot make an image with ${channels} channels: expected 1 (gray), 3 (RGB) or 4 (RGBA)`,
    );
  }
  if (data.length !== width * height * channels) {
    throw new TypeError(`Pixel data has ${data.length} bytes, expected ${width}x${height}x${channels}`);
  }
  const image = new Image(width, height);
  const rgba = image.bitmap;
  if (channels === 4) {
    rgba.set(data);
    return image;
  }
  for (let i = 0, n = width * height; i < n; i++) {
    const r = data[i * channels]!;
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = channels === 3 ? data[i * 3 + 1]! : r;
    rgba[i * 4 + 2] = channels === 3 ? data[i * 3 + 2]! : r;
    rgba[i * 4 + 3] = 255;
  }
  return image;
}

/**
 * Encodes interleaved pixels as PNG and writes the file atomically.
 *
 * @param pixels `width * height * channels` bytes, channels 1, 3 or 4
 * @param path the PNG file to create or replace
 * @returns a promise that resolves once the file is in place
 * @example
 * ```ts
 * import { writePng } from "./png.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await writePng({ data: new Uint8Array(4 * 4 * 3).fill(128), width: 4, height: 4, channels: 3 }, path);
 * await Deno.remove(path);
 * ```
 */
export async function writePng(pixels: HostImage, path: string): Promise<void> {
  await writeImage(toImage(pixels), path);
}

/**
 * Encodes an imagescript image as PNG and writes the file atomically.
 *
 * @param image the image
 * @param path the PNG file to create or replace
 * @returns a promise that resolves once the file is in place
 * @example
 * ```ts
 * import { Image } from "imagescript";
 * import { writeImage } from "./png.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await writeImage(new Image(2, 2).fill(0x000000ff), path);
 * await Deno.remove(path);
 * ```
 */
export async function writeImage(image: Image, path: string): Promise<void> {
  await writeFileAtomic(path, await image.encode());
}
