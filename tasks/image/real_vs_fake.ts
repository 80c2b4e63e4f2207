/**
 * A side-by-side picture of real and generated images, like the last figure of the PyTorch DCGAN
 * tutorial: "Real Images" grid on the left, "Fake Images" grid on the right.
 *
 * @module
 */

import { Image } from "imagescript";
import type { HostImage, ImageBatch } from "../data/types.ts";
import { drawText, GLYPH_HEIGHT, textWidth } from "./font.ts";
import { makeGridArray, toPixels } from "./grid.ts";
import { toImage, writeImage } from "./png.ts";

/** Options for {@linkcode renderRealVsFake} and {@linkcode writeRealVsFake}. */
export interface RealVsFakeOptions {
  /** Images per grid row; default 8. */
  nrow?: number;
  /** Grid padding in pixels; default 2. */
  padding?: number;
  /** Value range of the images, mapped to black..white; default `[-1, 1]` (generator/loader output). */
  valueRange?: [number, number];
  /** Caption scale (pixels per font pixel); default 2. */
  textScale?: number;
}

/** Draws the two captioned grids on a new imagescript image. */
function drawRealVsFake(pair: { real: ImageBatch; fake: ImageBatch }, options: RealVsFakeOptions): Image {
  const { nrow = 8, padding = 2, valueRange = [-1, 1], textScale = 2 } = options;
  const grid = (batch: ImageBatch) =>
    toImage(toPixels(makeGridArray(batch, { nrow, padding, normalize: true, valueRange })));
  const real = grid(pair.real);
  const fake = grid(pair.fake);
  const margin = 12;
  const captionH = GLYPH_HEIGHT * textScale + 10;
  const width = margin * 3 + real.width + fake.width;
  const height = margin * 2 + captionH + Math.max(real.height, fake.height);
  const image = new Image(width, height).fill(0xffffffff);
  const panels: [string, Image, number][] = [["Real Images", real, margin], [
    "Fake Images",
    fake,
    margin * 2 + real.width,
  ]];
  for (const [caption, picture, x] of panels) {
    const textX = x + (picture.width - textWidth(caption, textScale)) / 2;
    drawText(image, caption, { x: textX, y: margin, color: 0x222222ff, scale: textScale });
    image.composite(picture, x, margin + captionH);
  }
  return image;
}

/**
 * Draws a real batch and a fake batch as two captioned grids side by side on white.
 *
 * @param pair `real` and `fake` batches, `[n, c, h, w]`, values in `valueRange`
 * @param options `nrow`, `padding`, `valueRange`, `textScale`
 * @returns the picture as interleaved RGBA pixels
 * @example
 * ```ts
 * import { renderRealVsFake } from "./real_vs_fake.ts";
 * const batch = { data: new Float32Array(16 * 3 * 8 * 8), shape: [16, 3, 8, 8] as [number, number, number, number] };
 * const image = renderRealVsFake({ real: batch, fake: batch }, { nrow: 4 });
 * console.log(image.width, image.height); // 120 92
 * ```
 */
export function renderRealVsFake(
  pair: { real: ImageBatch; fake: ImageBatch },
  options: RealVsFakeOptions = {},
): HostImage {
  const image = drawRealVsFake(pair, options);
  return {
    data: new Uint8Array(image.bitmap.buffer.slice(0)),
    width: image.width,
    height: image.height,
    channels: 4,
  };
}

/**
 * Draws real and fake images side by side (see {@linkcode renderRealVsFake}) and writes a PNG atomically.
 *
 * @param pair `real` and `fake` batches, `[n, c, h, w]`
 * @param path the PNG file to create or replace
 * @param options `nrow`, `padding`, `valueRange`, `textScale`
 * @returns a promise that resolves once the file is in place
 * @example
 * ```ts
 * import { writeRealVsFake } from "./real_vs_fake.ts";
 * const batch = { data: new Float32Array(4 * 1 * 8 * 8), shape: [4, 1, 8, 8] as [number, number, number, number] };
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await writeRealVsFake({ real: batch, fake: batch }, path);
 * await Deno.remove(path);
 * ```
 */
export async function writeRealVsFake(
  pair: { real: ImageBatch; fake: ImageBatch },
  path: string,
  options: RealVsFakeOptions = {},
): Promise<void> {
  await writeImage(drawRealVsFake(pair, options), path);
}
