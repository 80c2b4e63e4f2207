/**
 * Pixel drawing on imagescript images for the plots: rectangles and thick lines, alpha-blended.
 * Coordinates are 0-based pixels; everything is clipped to the image.
 *
 * @module
 */

import type { Image } from "imagescript";

/** Blends colour 0xRRGGBBAA over pixel (x, y), if it is inside the image. */
function blend(image: Image, x: number, y: number, color: number): void {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  const i = (y * image.width + x) * 4;
  const bitmap = image.bitmap;
  const a = (color & 255) / 255;
  bitmap[i] = bitmap[i]! * (1 - a) + ((color >>> 24) & 255) * a;
  bitmap[i + 1] = bitmap[i + 1]! * (1 - a) + ((color >>> 16) & 255) * a;
  bitmap[i + 2] = bitmap[i + 2]! * (1 - a) + ((color >>> 8) & 255) * a;
  bitmap[i + 3] = 255;
}

/**
 * Fills a rectangle, blending by the colour's alpha.
 *
 * @param image the image to draw on
 * @param rect `x`, `y`, `width`, `height` in pixels
 * @param options `color` as 0xRRGGBBAA (default opaque black)
 * @example
 * ```ts
 * import { Image } from "imagescript";
 * import { fillRect } from "./draw.ts";
 * fillRect(new Image(10, 10), { x: 2, y: 2, width: 4, height: 3 }, { color: 0xff0000ff });
 * ```
 */
export function fillRect(
  image: Image,
  rect: { x: number; y: number; width: number; height: number },
  options: { color?: number } = {},
): void {
  const color = options.color ?? 0x000000ff;
  const x0 = Math.max(0, Math.round(rect.x));
  const y0 = Math.max(0, Math.round(rect.y));
  const x1 = Math.min(image.width, Math.round(rect.x + rect.width));
  const y1 = Math.min(image.height, Math.round(rect.y + rect.height));
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) blend(image, x, y, color);
}

/**
 * Draws a straight line from `from` to `to` with a square pen of `thickness` pixels. Each pixel is
 * blended once per line, so translucent lines do not darken where the pen overlaps itself.
 *
 * @param image the image to draw on
 * @param line `from` and `to` as `[x, y]`
 * @param options `color` as 0xRRGGBBAA (default opaque black), `thickness` (default 1)
 * @example
 * ```ts
 * import { Image } from "imagescript";
 * import { drawLine } from "./draw.ts";
 * drawLine(new Image(20, 20), { from: [0, 0], to: [19, 10] }, { color: 0x0000ffff, thickness: 2 });
 * ```
 */
export function drawLine(
  image: Image,
  line: { from: [number, number]; to: [number, number] },
  options: { color?: number; thickness?: number } = {},
): void {
  const { color = 0x000000ff, thickness = 1 } = options;
  let x0 = Math.round(line.from[0]);
  let y0 = Math.round(line.from[1]);
  const x1 = Math.round(line.to[0]);
  const y1 = Math.round(line.to[1]);
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  const lo = -Math.floor((thickness - 1) / 2);
  const hi = lo + thickness;
  const done = new Set<number>();
  for (;;) {
    for (let oy = lo; oy < hi; oy++) {
      for (let ox = lo; ox < hi; ox++) {
        const key = (y0 + oy) * 65536 + (x0 + ox);
        if (done.has(key)) continue;
        done.add(key);
        blend(image, x0 + ox, y0 + oy, color);
      }
    }
    if (x0 === x1 && y0 === y1) break;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}
