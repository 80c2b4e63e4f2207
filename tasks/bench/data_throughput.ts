/**
 * Throughput of the data pipeline, for the benchmark task: how many images per second are decoded
 * (read + decode + composite + resize/crop) and how many are assembled into normalized float32 batches.
 *
 * @module
 */

import { decodeFiles } from "../data/decode_files.ts";
import { BatchLoader } from "../data/loader.ts";
import type { ImageDataset } from "../data/types.ts";

/** One throughput measurement. */
export interface ThroughputResult {
  /** Images processed. */
  images: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** `images / seconds`. */
  imagesPerSecond: number;
}

function result(images: number, start: number): ThroughputResult {
  const seconds = (performance.now() - start) / 1000;
  return { images, seconds, imagesPerSecond: seconds > 0 ? images / seconds : Infinity };
}

/**
 * Measures decoding: reads, decodes, composites and resizes `files` (no cache involved).
 *
 * @param files PNG/JPEG paths (e.g. from `emojiFiles()`)
 * @param options `size` of the output (default 64), `channels` (default 3), `limit`: decode at most this
 * many files (default all)
 * @returns images decoded (skipped files not counted), seconds and images per second
 * @example
 * ```ts
 * import { emojiFiles } from "../data/emoji.ts";
 * import { measureDecode } from "./data_throughput.ts";
 * const { paths } = await emojiFiles();
 * const { imagesPerSecond } = await measureDecode(paths, { size: 64, limit: 200 });
 * console.log(`${imagesPerSecond.toFixed(0)} img/s`);
 * ```
 */
export async function measureDecode(
  files: string[],
  options: { size?: number; channels?: 1 | 3; limit?: number } = {},
): Promise<ThroughputResult> {
  const { size = 64, channels = 3, limit = files.length } = options;
  const chosen = files.slice(0, limit);
  const start = performance.now();
  const dataset = await decodeFiles(chosen, { size, channels });
  return result(dataset.count, start);
}

/**
 * Measures batch assembly: shuffling and normalizing uint8 images into float32 `[n, c, h, w]` batches,
 * as {@linkcode BatchLoader} does during training.
 *
 * @param dataset the decoded images
 * @param options `batchSize` (default 128), `epochs` (default 1), `shuffle` (default `true`)
 * @returns images assembled, seconds and images per second
 * @example
 * ```ts
 * import { measureBatchAssembly } from "./data_throughput.ts";
 * const dataset = { images: new Uint8Array(1000 * 3 * 64 * 64), count: 1000, channels: 3, size: 64, skipped: [] };
 * const { imagesPerSecond } = measureBatchAssembly(dataset, { batchSize: 128 });
 * console.log(`${imagesPerSecond.toFixed(0)} img/s`);
 * ```
 */
export function measureBatchAssembly(
  dataset: ImageDataset,
  options: { batchSize?: number; epochs?: number; shuffle?: boolean } = {},
): ThroughputResult {
  const { batchSize = 128, epochs = 1, shuffle = true } = options;
  const loader = new BatchLoader(dataset, { batchSize, shuffle });
  let images = 0;
  let checksum = 0;
  const start = performance.now();
  for (let e = 0; e < epochs; e++) {
    for (const batch of loader.epoch(e)) {
      images += batch.images.shape[0];
      checksum += batch.images.data[0]!; // keeps the work observable
    }
  }
  const measured = result(images, start);
  if (Number.isNaN(checksum)) throw new Error("Batch assembly produced NaN: the data set is corrupt");
  return measured;
}
