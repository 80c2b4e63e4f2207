/**
 * Copies interleaved (HWC) images into planar (CHW) slots of a data set's image buffer.
 *
 * @module
 */

import type { HostImage } from "./types.ts";

/**
 * Writes an interleaved image into `target` in planar order (all of channel 0, then channel 1, ...),
 * starting at byte `offset`.
 *
 * @param image the interleaved image
 * @param target the data set's NCHW buffer
 * @param options `offset`: where the image's first byte goes (default 0)
 * @example
 * ```ts
 * import { copyToPlanar } from "./planar.ts";
 * const image = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3 };
 * const target = new Uint8Array(6);
 * copyToPlanar(image, target);
 * console.log(target); // Uint8Array(6) [ 1, 4, 2, 5, 3, 6 ]
 * ```
 */
export function copyToPlanar(image: HostImage, target: Uint8Array, options: { offset?: number } = {}): void {
  const { data, width, height, channels } = image;
  const offset = options.offset ?? 0;
  const plane = width * height;
  if (offset < 0 || offset + plane * channels > target.length) {
    throw new RangeError(
      `Cannot copy a ${width}x${height}x${channels} image to offset ${offset} of a ${target.length}-byte buffer`,
    );
  }
  if (channels === 1) {
    target.set(data, offset);
    return;
  }
  for (let ch = 0; ch < channels; ch++) {
    const base = offset + ch * plane;
    for (let p = 0; p < plane; p++) target[base + p] = data[p * channels + ch]!;
  }
}
