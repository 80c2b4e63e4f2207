/**
 * Decodes a list of image files into one square uint8 data set (decode, composite on white, optional
 * grayscale, Resize + CenterCrop), skipping files that cannot be used and warning once about them.
 *
 * @module
 */

import { basename } from "node:path";
import { decodeImage, DEFAULT_MAX_PIXELS } from "./decode_image.ts";
import { copyToPlanar } from "./planar.ts";
import { resizeCenterCrop } from "./resize.ts";
import type { ImageDataset, SkippedFile } from "./types.ts";

/** Options for {@linkcode decodeFiles}. */
export interface DecodeFilesOptions {
  /** Side of the square output images. */
  size: number;
  /** 3 for RGB (default), 1 for grayscale. */
  channels?: 1 | 3;
  /** One class index per file, kept for the files that decode. */
  labels?: ArrayLike<number>;
  /** Class names, copied to the data set. */
  names?: string[];
  /** Largest image decoded, in pixels (header-checked); default 50 megapixels. */
  maxPixels?: number;
  /** Called after each file with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** How many skipped files the warning names. */
const NAMED_IN_WARNING = 5;

/**
 * Says which files were skipped, naming the first few, on one `console.warn` line.
 *
 * @param skipped the files left out and why
 * @param total how many files there were
 * @param options `source`: what was loaded, e.g. `folder "data/faces"`
 * @example
 * ```ts
 * import { warnSkipped } from "./decode_files.ts";
 * warnSkipped([{ path: "a.png", reason: "PNG data is corrupt" }], 10, { source: 'folder "faces"' });
 * ```
 */
export function warnSkipped(skipped: SkippedFile[], total: number, options: { source?: string } = {}): void {
  if (skipped.length === 0) return;
  const named = skipped.slice(0, NAMED_IN_WARNING).map((s) => `${basename(s.path)} (${s.reason})`);
  const more = skipped.length > NAMED_IN_WARNING ? `; and ${skipped.length - NAMED_IN_WARNING} more` : "";
  const source = options.source ? ` in ${options.source}` : "";
  console.warn(`Skipped ${skipped.length} of ${total} image files${source}: ${named.join("; ")}${more}`);
}

/**
 * Decodes image files into a data set of `size` x `size` images, in the given order. Files that are
 * unreadable, corrupt or over the pixel limit are left out and listed in `skipped` (report them with
 * {@linkcode warnSkipped}); those that could not be read at all are marked `unreadable`.
 *
 * @param paths the PNG/JPEG files
 * @param options `size`, `channels`, `labels`, `names`, `maxPixels`, `onProgress`
 * @returns the data set; `count` may be below `paths.length` when files were skipped
 * @example
 * ```ts
 * import { Image } from "imagescript";
 * import { decodeFiles } from "./decode_files.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await Deno.writeFile(path, await new Image(8, 6).fill(0x336699ff).encode());
 * const dataset = await decodeFiles([path], { size: 4 });
 * console.log(dataset.count, dataset.images.length); // 1 48
 * await Deno.remove(path);
 * ```
 */
export async function decodeFiles(paths: string[], options: DecodeFilesOptions): Promise<ImageDataset> {
  const { size, labels, names, onProgress } = options;
  const channels = options.channels ?? 3;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Image size must be a positive integer, got ${size}`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`Channels must be 1 or 3, got ${channels}`);
  if (labels && labels.length !== paths.length) {
    throw new TypeError(`Got ${labels.length} labels for ${paths.length} files; give one label per file`);
  }
  const per = channels * size * size;
  let images = new Uint8Array(paths.length * per);
  const kept: number[] = [];
  const skipped: SkippedFile[] = [];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const reason = (error: unknown) => error instanceof Error ? error.message : String(error);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      skipped.push({ path, reason: reason(error), unreadable: true }); // may pass: not cached (see loadCached)
    }
    if (bytes) {
      try {
        const image = resizeCenterCrop(await decodeImage(bytes, { channels, maxPixels }), size);
        copyToPlanar(image, images, { offset: kept.length * per });
        kept.push(i);
      } catch (error) {
        skipped.push({ path, reason: reason(error) });
      }
    }
    onProgress?.(i + 1, paths.length);
  }
  if (kept.length < paths.length) images = images.slice(0, kept.length * per);
  const dataset: ImageDataset = { images, count: kept.length, channels, size, skipped };
  if (labels) dataset.labels = Int32Array.from(kept, (i) => labels[i]!);
  if (names) dataset.names = names;
  return dataset;
}
