/**
 * Growing an animated GIF one frame at a time: the new grid is encoded alone and its frame blocks are
 * spliced in before the trailer, so an epoch costs one frame's encoding however long the run is. The
 * file is rewritten atomically, so it is a complete GIF after every append.
 *
 * @module
 */

import { Frame, GIF, Image } from "imagescript";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import { type ImageArray, toPixels } from "./grid.ts";
import { toImage } from "./png.ts";

/** Options for {@linkcode appendGridFrame}. */
export interface AppendFrameOptions {
  /** How long each frame but the last shows, in milliseconds; default 500. */
  delayMs?: number;
  /** How long the (new) last frame shows; default 4 x `delayMs`, so a loop pauses on the latest epoch. */
  lastDelayMs?: number;
}

/** Where a GIF's parts are: its screen size, the last frame's delay field and the trailer. */
interface GifLayout {
  width: number;
  height: number;
  /** Byte offset of the last graphic control extension's delay (little-endian hundredths of a second). */
  lastDelayAt?: number;
  /** Byte offset where the first frame's blocks start. */
  framesAt: number;
  /** Byte offset of the trailer (0x3b). */
  trailerAt: number;
  /** How many image descriptors (frames) it holds. */
  frames: number;
}

function skipSubBlocks(bytes: Uint8Array, at: number, name: string): number {
  while (at < bytes.length && bytes[at] !== 0) at += bytes[at]! + 1;
  if (at >= bytes.length) throw new Error(`${name} ends inside a data block`);
  return at + 1;
}

/** Walks a GIF's blocks (GIF89a spec, section 17-27) without decoding any image data. */
function gifLayout(bytes: Uint8Array, name: string): GifLayout {
  const magic = new TextDecoder().decode(bytes.subarray(0, 6));
  if (bytes.length < 13 || (magic !== "GIF89a" && magic !== "GIF87a")) {
    throw new Error(`${name} is not a GIF file`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  const packed = bytes[10]!;
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  let framesAt: number | undefined;
  let lastDelayAt: number | undefined;
  let frames = 0;
  while (at < bytes.length) {
    const block = bytes[at]!;
    if (block === 0x3b) {
      return { width, height, lastDelayAt, framesAt: framesAt ?? at, trailerAt: at, frames };
    }
    if (block === 0x21) {
      const label = bytes[at + 1];
      if (label === 0xf9) {
        framesAt ??= at;
        lastDelayAt = at + 4;
      }
      at = skipSubBlocks(bytes, at + 2, name);
    } else if (block === 0x2c) {
      framesAt ??= at;
      frames++;
      const local = bytes[at + 9]!;
      at += 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0);
      at = skipSubBlocks(bytes, at + 1, name); // +1: the LZW minimum code size
    } else {
      throw new Error(`${name} has an unknown block 0x${block.toString(16)} at byte ${at}`);
    }
  }
  throw new Error(`${name} has no trailer: it was cut short`);
}

function hundredths(ms: number): number {
  return Math.min(0xffff, Math.round(ms / 10));
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read the animation "${path}": ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Appends one grid to an animated GIF (creating it, looping forever, when it does not exist): the new
 * frame shows `lastDelayMs`, the frame before it is set back to `delayMs`. Only the new frame is encoded.
 *
 * @param path the GIF file
 * @param frame a `[c, h, w]` grid with values in [0, 1] (as from `makeGridArray`), or decoded pixels
 * @param options `delayMs` (500), `lastDelayMs` (4 x delayMs)
 * @returns the number of frames encoded (always 1), for callers that count work
 * @throws {TypeError} when the frame's size differs from the animation's
 * @throws {Error} naming the file when it exists but is not a complete GIF
 * @example
 * ```ts
 * import { appendGridFrame } from "./gif_append.ts";
 * const path = (await Deno.makeTempDir()) + "/progress.gif";
 * const grid = (v: number) => ({ data: new Float32Array(3 * 8 * 8).fill(v), shape: [3, 8, 8] as [number, number, number] });
 * await appendGridFrame(path, grid(0));
 * await appendGridFrame(path, grid(1)); // a 2-frame GIF
 * ```
 */
export async function appendGridFrame(
  path: string,
  frame: ImageArray | Image,
  options: AppendFrameOptions = {},
): Promise<number> {
  const delayMs = options.delayMs ?? 500;
  const lastDelayMs = options.lastDelayMs ?? delayMs * 4;
  if (!(delayMs >= 0) || !(lastDelayMs >= 0)) {
    throw new RangeError(`Frame delays must be non-negative milliseconds, got ${delayMs} and ${lastDelayMs}`);
  }
  const image = frame instanceof Image ? frame : toImage(toPixels(frame));
  const single = await new GIF([Frame.from(image, lastDelayMs)], -1).encode();
  const existing = await readIfExists(path);
  if (!existing) {
    await writeFileAtomic(path, single);
    return 1;
  }
  const old = gifLayout(existing, `The animation "${path}"`);
  if (old.width !== image.width || old.height !== image.height) {
    throw new TypeError(
      `Cannot append a ${image.width}x${image.height} frame to "${path}", whose frames are ${old.width}x${old.height}`,
    );
  }
  const added = gifLayout(single, "The encoded frame");
  const blocks = single.subarray(added.framesAt, added.trailerAt);
  const out = new Uint8Array(old.trailerAt + blocks.length + 1);
  out.set(existing.subarray(0, old.trailerAt));
  if (old.lastDelayAt !== undefined) {
    new DataView(out.buffer).setUint16(old.lastDelayAt, hundredths(delayMs), true);
  }
  out.set(blocks, old.trailerAt);
  out[out.length - 1] = 0x3b;
  await writeFileAtomic(path, out);
  return 1;
}

/**
 * Counts the frames of a GIF file without decoding them.
 *
 * @param path the GIF file
 * @returns the frame count, 0 when the file does not exist
 * @throws {Error} naming the file when it is not a complete GIF
 * @example
 * ```ts ignore
 * import { gifFrameCount } from "./gif_append.ts";
 * console.log(await gifFrameCount("runs/emoji-1/progress.gif"));
 * ```
 */
export async function gifFrameCount(path: string): Promise<number> {
  const bytes = await readIfExists(path);
  return bytes ? gifLayout(bytes, `The animation "${path}"`).frames : 0;
}
