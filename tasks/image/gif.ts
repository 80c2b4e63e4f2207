/**
 * An animated GIF of the fixed-noise sample grids across epochs (imagescript's GIF encoder), written
 * atomically.
 *
 * @module
 */

import { Frame, GIF, Image } from "imagescript";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import { type ImageArray, toPixels } from "./grid.ts";
import { toImage } from "./png.ts";

/** Options for {@linkcode writeGridAnimation}. */
export interface GridAnimationOptions {
  /** How long each frame shows, in milliseconds (GIF stores hundredths of a second); default 500. */
  delayMs?: number;
  /** How long the last frame shows; default 4 x `delayMs`, so a loop pauses on the final epoch. */
  lastDelayMs?: number;
  /** The GIF's loop count: 0 (default) loops forever, n > 0 repeats the animation n times. */
  loops?: number;
}

async function toFrameImage(frame: string | ImageArray, index: number): Promise<Image> {
  if (typeof frame !== "string") return toImage(toPixels(frame));
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(frame);
  } catch (error) {
    throw new Error(`Cannot read animation frame ${index} "${frame}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return await Image.decode(bytes);
  } catch (error) {
    throw new Error(`Cannot decode animation frame ${index} "${frame}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Writes an animated GIF with one frame per grid: PNG files (e.g. the per-epoch samples) or in-memory
 * `[c, h, w]` grids with values in [0, 1] (as from {@linkcode makeGridArray}). All frames must have one size.
 *
 * @param frames PNG paths or grids, in play order
 * @param path the GIF file to create or replace
 * @param options `delayMs` (default 500), `lastDelayMs` (default 4 x delayMs), `loops` (default 0: forever)
 * @returns a promise that resolves once the file is in place
 * @throws {RangeError} When there are no frames or a delay is negative
 * @throws {TypeError} When the frames differ in size
 * @example
 * ```ts
 * import { writeGridAnimation } from "./gif.ts";
 * const grid = (v: number) => ({ data: new Float32Array(3 * 8 * 8).fill(v), shape: [3, 8, 8] as [number, number, number] });
 * const path = await Deno.makeTempFile({ suffix: ".gif" });
 * await writeGridAnimation([grid(0), grid(0.5), grid(1)], path, { delayMs: 200 });
 * await Deno.remove(path);
 * ```
 */
export async function writeGridAnimation(
  frames: (string | ImageArray)[],
  path: string,
  options: GridAnimationOptions = {},
): Promise<void> {
  const delayMs = options.delayMs ?? 500;
  const lastDelayMs = options.lastDelayMs ?? delayMs * 4;
  const loops = options.loops ?? 0;
  if (frames.length === 0) throw new RangeError(`Cannot write animation "${path}": no frames given`);
  if (!(delayMs >= 0) || !(lastDelayMs >= 0)) {
    throw new RangeError(`Frame delays must be non-negative milliseconds, got ${delayMs} and ${lastDelayMs}`);
  }
  if (!Number.isInteger(loops) || loops < 0) {
    throw new RangeError(`loops must be a non-negative integer, got ${loops}`);
  }
  const gifFrames: Frame[] = [];
  for (const [i, frame] of frames.entries()) {
    const image = await toFrameImage(frame, i);
    const first = gifFrames[0];
    if (first && (image.width !== first.width || image.height !== first.height)) {
      throw new TypeError(
        `Animation frame ${i} is ${image.width}x${image.height}, but frame 0 is ${first.width}x${first.height}; ` +
          "all frames must have the same size",
      );
    }
    const duration = i === frames.length - 1 ? lastDelayMs : delayMs;
    gifFrames.push(Frame.from(image, duration));
  }
  // imagescript takes -1 for "forever" and otherwise passes the count on as the GIF's repeat count.
  const gif = new GIF(gifFrames, loops === 0 ? -1 : loops);
  await writeFileAtomic(path, await gif.encode());
}
