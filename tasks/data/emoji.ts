/**
 * The default data set: Twitter's emoji (Twemoji) from the npm package `emoji-datasource-twitter@16.0.0`,
 * 3,786 64x64 PNGs (skin-tone variants included), labelled by their emoji.json category.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CacheOptions, loadCached } from "./dataset_cache.ts";
import { decodeFiles, warnSkipped } from "./decode_files.ts";
import type { ImageDataset } from "./types.ts";

/** The npm package and version the emoji come from. */
export const EMOJI_PACKAGE = "emoji-datasource-twitter@16.0.0";

/** Options for {@linkcode loadEmojiDataset}. */
export interface EmojiOptions extends CacheOptions {
  /** Side of the square output images; default 64 (the PNGs' own size). */
  size?: number;
  /** 3 for RGB (default), 1 for grayscale. */
  channels?: 1 | 3;
  /** Keep only this emoji.json category, e.g. `"Smileys & Emotion"`. */
  category?: string;
  /** Called after each decoded file with the number done and the total (not called on a cache hit). */
  onProgress?: (done: number, total: number) => void;
}

interface EmojiEntry {
  image: string;
  category: string;
  has_img_twitter?: boolean;
  skin_variations?: Record<string, { image: string; has_img_twitter?: boolean }>;
}

/** Bumped whenever decoding changes, so old cache files are not reused. */
const DECODE_VERSION = 1;

/** The package's JSON files, read once by emoji_json_worker.ts. */
let jsonFiles: Promise<Record<string, unknown>> | undefined;

async function importJson<T>(file: "emoji.json" | "categories.json"): Promise<T> {
  jsonFiles ??= new Promise<Record<string, unknown>>((resolve, reject) => {
    const worker = new Worker(new URL("./emoji_json_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(event.message));
    };
  }).catch((error) => {
    jsonFiles = undefined; // try again on the next load
    throw new Error(
      `Cannot load the emoji data set from npm package ${EMOJI_PACKAGE}: ${
        error instanceof Error ? error.message : error
      }; check that the npm registry is reachable (or that the package is in Deno's cache)`,
      { cause: error },
    );
  });
  return (await jsonFiles)[file] as T;
}

/** The package's folder on disk, found through Deno's npm resolution once the JSON is imported. */
function packageFolder(): string {
  // a literal, so that JSR can analyse it; resolving does not download (the worker did)
  const url = import.meta.resolve("emoji-datasource-twitter/emoji.json");
  if (!url.startsWith("file:")) {
    throw new Error(
      `Cannot find the files of npm package ${EMOJI_PACKAGE}: it resolved to ${url}, not a file`,
    );
  }
  return dirname(fileURLToPath(url));
}

/**
 * The emoji categories in Unicode's order, as emoji.json names them; labels index this list.
 *
 * @returns the category names, e.g. `["Smileys & Emotion", "People & Body", ...]`
 * @example
 * ```ts
 * import { emojiCategories } from "@gan/dcgan/data";
 * console.log((await emojiCategories()).includes("Smileys & Emotion")); // true
 * ```
 */
export async function emojiCategories(): Promise<string[]> {
  const entries = await importJson<EmojiEntry[]>("emoji.json");
  const ordered = Object.keys(await importJson<Record<string, unknown>>("categories.json"));
  const present = new Set(entries.map((e) => e.category));
  return [
    ...ordered.filter((c) => present.has(c)),
    ...[...present].filter((c) => !ordered.includes(c)).sort(),
  ];
}

/**
 * The Twemoji PNG files of the package, sorted by file name, with their category labels.
 *
 * @param options `category`: keep only this emoji.json category
 * @returns the 64x64 PNG paths, one label per path (index into `names`), and all category names
 * @throws {RangeError} When `category` is not one of emoji.json's categories (the message lists them)
 * @example
 * ```ts
 * import { emojiFiles } from "./emoji.ts";
 * const { paths, labels, names } = await emojiFiles({ category: "Flags" });
 * console.log(paths.length, names[labels[0]!]); // 270 Flags
 * ```
 */
export async function emojiFiles(
  options: { category?: string } = {},
): Promise<{ paths: string[]; labels: number[]; names: string[] }> {
  const { category } = options;
  const entries = await importJson<EmojiEntry[]>("emoji.json");
  const names = await emojiCategories();
  if (category !== undefined && !names.includes(category)) {
    throw new RangeError(
      `Unknown emoji category "${category}": expected one of ${names.map((n) => `"${n}"`).join(", ")}`,
    );
  }
  const files: { image: string; label: number }[] = [];
  for (const entry of entries) {
    if (category !== undefined && entry.category !== category) continue;
    const label = names.indexOf(entry.category);
    if (entry.has_img_twitter !== false) files.push({ image: entry.image, label });
    for (const variant of Object.values(entry.skin_variations ?? {})) {
      if (variant.has_img_twitter !== false) files.push({ image: variant.image, label });
    }
  }
  files.sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
  const folder = join(packageFolder(), "img", "twitter", "64");
  return { paths: files.map((f) => join(folder, f.image)), labels: files.map((f) => f.label), names };
}

/**
 * Loads the Twemoji PNGs as a data set: alpha composited on white, resized and center-cropped to `size`
 * when it is not 64, labelled by category index (into `names`, which always lists every category).
 * Downloads the npm package into Deno's cache on first use; the decoded images are cached too.
 *
 * @param options `size` (default 64), `channels`, `category`, `onProgress`, `cacheDir`, `cache`
 * @returns the data set: 3,786 images for all categories
 * @throws {RangeError} When `category` is not one of emoji.json's categories (the message lists them)
 * @example
 * ```ts
 * import { loadEmojiDataset } from "@gan/dcgan";
 * const smileys = await loadEmojiDataset({ size: 32, category: "Smileys & Emotion" });
 * console.log(smileys.count, smileys.images.length === smileys.count * 3 * 32 * 32); // 169 true
 * ```
 */
export async function loadEmojiDataset(options: EmojiOptions = {}): Promise<ImageDataset> {
  const size = options.size ?? 64;
  const channels = options.channels ?? 3;
  const { category, onProgress } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Image size must be a positive integer, got ${size}`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`Channels must be 1 or 3, got ${channels}`);
  const { paths, labels, names } = await emojiFiles({ category });
  const description = {
    version: DECODE_VERSION,
    package: EMOJI_PACKAGE,
    size,
    channels,
    category: category ?? null,
  };
  const build = () => decodeFiles(paths, { size, channels, labels, names, onProgress });
  const dataset = await loadCached({ prefix: "emoji", description }, build, options);
  warnSkipped(dataset.skipped, paths.length, { source: `npm package ${EMOJI_PACKAGE}` });
  return dataset;
}
