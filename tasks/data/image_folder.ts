/**
 * A folder of PNG/JPEG images as a data set, like torchvision's `ImageFolder` with
 * `Resize(size)` + `CenterCrop(size)`: searched recursively, decoded once and cached as uint8.
 *
 * @module
 */

import { join, relative, resolve, sep } from "node:path";
import { type CacheOptions, loadCached } from "./dataset_cache.ts";
import { decodeFiles, warnSkipped } from "./decode_files.ts";
import type { ImageDataset, SkippedFile } from "./types.ts";

/** Options for {@linkcode loadImageFolder}. */
export interface ImageFolderOptions extends CacheOptions {
  /** Side of the square output images (Resize of the shorter side, then CenterCrop). */
  size: number;
  /** 3 for RGB (default), 1 for grayscale (PIL "L"). */
  channels?: 1 | 3;
  /** Images whose header claims more pixels are skipped; default 50 megapixels. */
  maxPixels?: number;
  /** Called after each decoded file with the number done and the total (not called on a cache hit). */
  onProgress?: (done: number, total: number) => void;
}

const IMAGE_EXTENSION = /\.(png|jpe?g)$/i;

/** Bumped whenever decoding changes, so old cache files are not reused. */
const DECODE_VERSION = 2; // 2: files that could not be read are marked and never cached

interface FoundFile {
  path: string;
  size: number;
  mtime: number;
}

/** Why `error` stopped a read, for messages. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function walk(
  dir: string,
  found: FoundFile[],
  seen: Set<string>,
  unreadable: SkippedFile[],
): Promise<void> {
  const real = await Deno.realPath(dir);
  if (seen.has(real)) return; // a symlink loop
  seen.add(real);
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    let isDirectory = entry.isDirectory;
    let isFile = entry.isFile;
    if (entry.isSymlink) {
      const target = await Deno.stat(path).catch(() => undefined);
      isDirectory = target?.isDirectory ?? false;
      isFile = target?.isFile ?? false;
    }
    if (isDirectory) {
      // a subfolder that cannot be listed is left out, as an unreadable file is; only the root must be readable
      await walk(path, found, seen, unreadable).catch((error) =>
        unreadable.push({ path, reason: reasonOf(error) })
      );
    } else if (isFile && IMAGE_EXTENSION.test(entry.name)) {
      try {
        const info = await Deno.stat(path);
        found.push({ path, size: info.size, mtime: info.mtime?.getTime() ?? 0 });
      } catch (error) {
        unreadable.push({ path, reason: reasonOf(error) });
      }
    }
  }
}

/**
 * Lists the PNG/JPEG files under a folder, recursively, sorted by path, with their sizes and mtimes.
 * Subfolders (and files) that cannot be read are left out and listed in `options.unreadable`.
 *
 * @param dir the folder
 * @param options `unreadable`: collects the subfolders and files that could not be listed, and why
 * @returns the files found (possibly none)
 * @throws {Error} When the folder itself does not exist or cannot be read
 * @example
 * ```ts
 * import { listImageFiles } from "@gan/dcgan/data";
 * const dir = await Deno.makeTempDir();
 * console.log(await listImageFiles(dir)); // []
 * await Deno.remove(dir);
 * ```
 */
export async function listImageFiles(
  dir: string,
  options: { unreadable?: SkippedFile[] } = {},
): Promise<{ path: string; size: number; mtime: number }[]> {
  const root = resolve(dir);
  const found: FoundFile[] = [];
  try {
    await walk(root, found, new Set(), options.unreadable ?? []);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "it does not exist" : reasonOf(error);
    throw new Error(`Cannot read image folder "${dir}": ${why}`, { cause: error });
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Says which subfolders could not be read, on one `console.warn` line, as warnSkipped does for files. */
function warnUnreadable(unreadable: SkippedFile[], dir: string): void {
  if (unreadable.length === 0) return;
  const named = unreadable.slice(0, 5).map((s) => `${relative(resolve(dir), s.path)} (${s.reason})`);
  const more = unreadable.length > 5 ? `; and ${unreadable.length - 5} more` : "";
  console.warn(
    `Skipped ${unreadable.length} unreadable ${unreadable.length === 1 ? "entry" : "entries"} in folder ` +
      `"${dir}", and the images in them: ${named.join("; ")}${more}; fix their permissions to include them`,
  );
}

/** Class labels from top-level subfolders, when every image sits in one (ImageFolder's layout). */
function classesOf(root: string, files: FoundFile[]): { labels: number[]; names: string[] } | undefined {
  const tops = files.map((f) => relative(root, f.path).split(sep));
  if (tops.some((parts) => parts.length < 2)) return undefined;
  const names = [...new Set(tops.map((parts) => parts[0]!))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  return { labels: tops.map((parts) => index.get(parts[0]!)!), names };
}

/**
 * Loads every PNG/JPEG under `dir` (recursively, extensions case-insensitive) as `size` x `size` images:
 * alpha composited on white, optionally grayscale, resized and center-cropped like torchvision. Corrupt,
 * unreadable or oversized files are skipped, named in one warning and listed in `skipped`. When every
 * image sits in a subfolder, labels are the subfolder's index (sorted names, as ImageFolder does).
 *
 * The decoded data is cached under the cache folder (see `cacheDir`), keyed by the sorted file list with
 * sizes and mtimes, the size and the channels; a second load reads the cache.
 *
 * @param dir the folder
 * @param options `size` (required), `channels`, `maxPixels`, `onProgress`, `cacheDir`, `cache`
 * @returns the data set
 * @throws {Error} When the folder is missing or holds no images, or none of them could be decoded
 * @example
 * ```ts
 * import { Image } from "imagescript";
 * import { loadImageFolder } from "@gan/dcgan";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/a.png`, await new Image(72, 64).fill(0xff0000ff).encode());
 * const dataset = await loadImageFolder(dir, { size: 64, cache: false });
 * console.log(dataset.count, dataset.channels, dataset.size); // 1 3 64
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions): Promise<ImageDataset> {
  const { size, maxPixels, onProgress } = options;
  const channels = options.channels ?? 3;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Image size must be a positive integer, got ${size}`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`Channels must be 1 or 3, got ${channels}`);
  const root = resolve(dir);
  const unreadable: SkippedFile[] = [];
  const files = await listImageFiles(root, { unreadable });
  warnUnreadable(unreadable, dir);
  if (files.length === 0) {
    throw new Error(
      `No images in folder "${dir}": expected .png, .jpg or .jpeg files (searched recursively)`,
    );
  }
  const classes = classesOf(root, files);
  const description = {
    version: DECODE_VERSION,
    files: files.map((f) => [f.path, f.size, f.mtime]),
    size,
    channels,
    maxPixels: maxPixels ?? null,
  };
  const build = () =>
    decodeFiles(files.map((f) => f.path), {
      size,
      channels,
      maxPixels,
      onProgress,
      labels: classes?.labels,
      names: classes?.names,
    });
  const dataset = await loadCached({ prefix: "folder", description }, build, options);
  warnSkipped(dataset.skipped, files.length, { source: `folder "${dir}"` });
  if (dataset.count === 0) {
    const first = dataset.skipped[0];
    throw new Error(
      `None of the ${files.length} images in folder "${dir}" could be decoded` +
        (first ? `; the first, "${first.path}", failed: ${first.reason}` : ""),
    );
  }
  return dataset;
}
