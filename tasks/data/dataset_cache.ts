/**
 * The decoded-dataset cache: a data set is decoded once and stored as one uint8 file, so later loads
 * read it back in one go. A file is a small binary format:
 *
 * ```
 * "GANU8DS1"            8 bytes, magic
 * header length         uint32 little-endian
 * header                JSON: { key, count, channels, size, hasLabels, names?, skipped }
 * images                count * channels * size * size bytes, NCHW
 * labels                count int32 little-endian, when hasLabels
 * ```
 *
 * Files are written atomically (temporary file + rename), so a crash never leaves a torn cache.
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import type { ImageDataset } from "./types.ts";

const MAGIC = "GANU8DS1";

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: fall back to the next choice
  }
}

/**
 * The folder for decoded data sets: `$DCGAN_DATA_CACHE`, else the package's cache folder (`$DCGAN_CACHE`,
 * else `$XDG_CACHE_HOME/gan-dcgan`, else `~/.cache/gan-dcgan`).
 *
 * @returns the folder path (it may not exist yet)
 * @throws {Error} When none of DCGAN_CACHE, XDG_CACHE_HOME and HOME is set
 * @example
 * ```ts
 * import { defaultCacheDir } from "./dataset_cache.ts";
 * console.log(defaultCacheDir()); // e.g. /root/.cache/gan-dcgan
 * ```
 */
export function defaultCacheDir(): string {
  const data = readEnv("DCGAN_DATA_CACHE");
  if (data) return data;
  const explicit = readEnv("DCGAN_CACHE");
  if (explicit) return explicit;
  const xdg = readEnv("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "gan-dcgan");
  const home = readEnv("HOME") ?? readEnv("USERPROFILE");
  if (home) return join(home, ".cache", "gan-dcgan");
  throw new Error(
    "Cannot find a cache folder: DCGAN_CACHE, XDG_CACHE_HOME and HOME are all unset; set DCGAN_CACHE " +
      "or pass cacheDir",
  );
}

/**
 * A cache file name for a description of the data (its files, sizes, mtimes and decode settings).
 *
 * @param prefix a readable prefix, e.g. `folder` or `emoji`
 * @param description anything JSON-serializable that changes whenever the decoded data would
 * @returns `<prefix>-<32 hex digits of SHA-256>.ganu8`
 * @example
 * ```ts
 * import { cacheFileName } from "./dataset_cache.ts";
 * console.log(await cacheFileName("emoji", { size: 64, channels: 3 })); // emoji-….ganu8
 * ```
 */
export async function cacheFileName(prefix: string, description: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(description));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}-${hex}.ganu8`;
}

/**
 * Encodes a data set in the cache format.
 *
 * @param dataset the decoded images
 * @returns the file's bytes
 * @example
 * ```ts
 * import { decodeDatasetCache, encodeDatasetCache } from "./dataset_cache.ts";
 * const dataset = { images: new Uint8Array(4), count: 1, channels: 1, size: 2, skipped: [] };
 * console.log(decodeDatasetCache(encodeDatasetCache(dataset))?.count); // 1
 * ```
 */
export function encodeDatasetCache(dataset: ImageDataset): Uint8Array {
  const { images, count, channels, size, labels, names, skipped } = dataset;
  const header = new TextEncoder().encode(
    JSON.stringify({ count, channels, size, hasLabels: labels !== undefined, names, skipped }),
  );
  const labelBytes = labels ? labels.length * 4 : 0;
  const out = new Uint8Array(12 + header.length + images.length + labelBytes);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(images, 12 + header.length);
  if (labels) {
    const base = 12 + header.length + images.length;
    for (let i = 0; i < labels.length; i++) view.setInt32(base + i * 4, labels[i]!, true);
  }
  return out;
}

/**
 * Decodes a cache file, or returns `undefined` when it is not a complete, consistent cache file.
 *
 * @param bytes the file's bytes
 * @returns the data set (its `images` view the given bytes), or `undefined`
 * @example
 * ```ts
 * import { decodeDatasetCache } from "./dataset_cache.ts";
 * console.log(decodeDatasetCache(new Uint8Array(3))); // undefined
 * ```
 */
export function decodeDatasetCache(bytes: Uint8Array): ImageDataset | undefined {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) return undefined;
  let header: {
    count: number;
    channels: number;
    size: number;
    hasLabels: boolean;
    names?: string[];
    skipped: ImageDataset["skipped"];
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    return undefined;
  }
  const { count, channels, size, hasLabels, names, skipped } = header;
  const imageBytes = count * channels * size * size;
  const start = 12 + headerLength;
  if (!Number.isInteger(imageBytes) || start + imageBytes + (hasLabels ? count * 4 : 0) !== bytes.length) {
    return undefined;
  }
  const dataset: ImageDataset = {
    images: bytes.subarray(start, start + imageBytes),
    count,
    channels,
    size,
    skipped: Array.isArray(skipped) ? skipped : [],
  };
  if (hasLabels) {
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) labels[i] = view.getInt32(start + imageBytes + i * 4, true);
    dataset.labels = labels;
  }
  if (names) dataset.names = names;
  return dataset;
}

/**
 * Reads a cached data set, or returns `undefined` on a miss (no file, or an unreadable or torn one).
 *
 * @param dir the cache folder
 * @param name the file name from {@linkcode cacheFileName}
 * @returns the data set, or `undefined`
 * @example
 * ```ts
 * import { readDatasetCache } from "./dataset_cache.ts";
 * console.log(await readDatasetCache(await Deno.makeTempDir(), "none.ganu8")); // undefined
 * ```
 */
export async function readDatasetCache(dir: string, name: string): Promise<ImageDataset | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(join(dir, name));
  } catch {
    return undefined;
  }
  return decodeDatasetCache(bytes);
}

/**
 * Stores a data set in the cache atomically. A failure (read-only folder, full disk) is reported with
 * `console.warn` and otherwise ignored: the cache only saves time.
 *
 * @param dir the cache folder, created if missing
 * @param name the file name from {@linkcode cacheFileName}
 * @param dataset the decoded images
 * @returns `true` when the file was written
 * @example
 * ```ts
 * import { readDatasetCache, writeDatasetCache } from "./dataset_cache.ts";
 * const dir = await Deno.makeTempDir();
 * const dataset = { images: new Uint8Array(4), count: 1, channels: 1, size: 2, skipped: [] };
 * await writeDatasetCache(dir, "x.ganu8", dataset);
 * console.log((await readDatasetCache(dir, "x.ganu8"))?.size); // 2
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeDatasetCache(
  dir: string,
  name: string,
  dataset: ImageDataset,
): Promise<boolean> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, name), encodeDatasetCache(dataset));
    return true;
  } catch (error) {
    console.warn(
      `Cannot write the dataset cache in "${dir}" (${error instanceof Error ? error.message : error}); ` +
        "loading goes on without it; set DCGAN_CACHE or cacheDir to a writable folder",
    );
    return false;
  }
}

/** Where and whether to cache decoded data sets. */
export interface CacheOptions {
  /** Cache folder; default {@linkcode defaultCacheDir}. */
  cacheDir?: string;
  /** `false` decodes every time and writes no cache file; default `true`. */
  cache?: boolean;
}

/**
 * Returns the cached data set for `description`, or builds it with `build` and caches it. A data set
 * with files that could not be read (`unreadable` in `skipped`) is not cached, so that the next load
 * tries them again once their permissions are fixed; corrupt files stay skipped in the cache.
 *
 * @param key `prefix` for the file name and `description` of everything the decoded data depends on
 * @param build decodes the data set on a cache miss
 * @param options `cacheDir` and `cache`
 * @returns the data set, from the cache or freshly built
 * @example
 * ```ts
 * import { loadCached } from "./dataset_cache.ts";
 * const cacheDir = await Deno.makeTempDir();
 * const build = () => Promise.resolve({ images: new Uint8Array(1), count: 1, channels: 1, size: 1, skipped: [] });
 * const dataset = await loadCached({ prefix: "demo", description: { v: 1 } }, build, { cacheDir });
 * console.log(dataset.count); // 1
 * await Deno.remove(cacheDir, { recursive: true });
 * ```
 */
export async function loadCached(
  key: { prefix: string; description: unknown },
  build: () => Promise<ImageDataset>,
  options: CacheOptions = {},
): Promise<ImageDataset> {
  if (options.cache === false) return await build();
  const dir = options.cacheDir ?? defaultCacheDir();
  const name = await cacheFileName(key.prefix, key.description);
  const cached = await readDatasetCache(dir, name);
  if (cached && !cached.skipped.some((s) => s.unreadable)) return cached;
  const dataset = await build();
  // a file that could not be read (permission denied, I/O error) may be readable next time: keep no
  // cache that would leave it out for good, so the next load tries it again
  if (!dataset.skipped.some((s) => s.unreadable)) await writeDatasetCache(dir, name, dataset);
  return dataset;
}
