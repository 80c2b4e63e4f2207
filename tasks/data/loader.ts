/**
 * Batches over a uint8 data set, like PyTorch's `DataLoader` with torchvision's
 * `ToTensor()` + `Normalize(0.5, 0.5)`: seeded per-epoch shuffling, an optional smaller last batch, and
 * float32 values in [-1, 1] computed with the same float32 arithmetic.
 *
 * @module
 */

import { permutation } from "./prng.ts";
import type { ImageBatch, ImageDataset } from "./types.ts";

/**
 * `(x / 255 - 0.5) / 0.5` in float32 for every uint8 `x`, as ToTensor + Normalize(0.5, 0.5) computes it
 * (each step rounded to float32; `x / 127.5 - 1` in float64 differs in the last bit for some `x`).
 */
export const NORMALIZE_TABLE: Float32Array = (() => {
  const table = new Float32Array(256);
  for (let x = 0; x < 256; x++) table[x] = Math.fround(Math.fround(Math.fround(x / 255) - 0.5) / 0.5);
  return table;
})();

/**
 * Writes the data set's images at `indices` into `out` from `offset` on, one after another, normalized to
 * [-1, 1] by {@linkcode NORMALIZE_TABLE} as the loader's batches are.
 *
 * @param dataset the decoded data set
 * @param indices which images, in the order written
 * @param out where they go
 * @param offset the first value of `out` written; default 0
 */
export function normalizeImagesInto(
  dataset: ImageDataset,
  indices: ArrayLike<number>,
  out: Float32Array,
  offset = 0,
): void {
  const { channels, size, images } = dataset;
  const per = channels * size * size;
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k]! * per;
    const dst = offset + k * per;
    for (let p = 0; p < per; p++) out[dst + p] = NORMALIZE_TABLE[images[src + p]!]!;
  }
}

/** Options for {@linkcode BatchLoader}. */
export interface BatchLoaderOptions {
  /** Images per batch. */
  batchSize: number;
  /** Shuffle each epoch (default `true`); epoch `e` uses seed `seed + e`, so a resumed run reproduces. */
  shuffle?: boolean;
  /** The shuffle seed; default 0. */
  seed?: number;
  /** Leave out the last batch when it is smaller than `batchSize`; default `false`. */
  dropLast?: boolean;
  /**
   * Data-parallel training: this rank's share of each epoch, as PyTorch's `DistributedSampler` (with
   * `drop_last=False`) gives it. The epoch's order is padded with its own first indices to a multiple of
   * `worldSize`, and rank `r` takes positions r, r + worldSize, ...; default: the whole epoch.
   */
  shard?: { rank: number; worldSize: number };
}

/** One batch: normalized images, and labels where the data set has them. */
export interface LoaderBatch {
  /** `[n, c, h, w]` float32 in [-1, 1]. Its buffer is reused by the next batch of the same size. */
  images: ImageBatch;
  /** Labels of the batch's images, where the data set has labels (reused like `images`). */
  labels?: Int32Array;
  /** Which data set images are in the batch, in order. */
  indices: Int32Array;
}

/**
 * Iterates over a data set in batches of normalized float32 images.
 *
 * Batches reuse their buffers: copy a batch's `data` (or hand it to a tensor) before taking the next one.
 *
 * @example
 * ```ts
 * import { BatchLoader } from "@gan/dcgan";
 * const dataset = { images: new Uint8Array(10 * 3 * 4 * 4).fill(255), count: 10, channels: 3, size: 4, skipped: [] };
 * const loader = new BatchLoader(dataset, { batchSize: 4, seed: 1 });
 * for (const { images } of loader.epoch(0)) console.log(images.shape[0], images.data[0]); // 4 1, 4 1, 2 1
 * console.log(loader.batchesPerEpoch); // 3
 * ```
 */
export class BatchLoader {
  /** Images per (full) batch. */
  readonly batchSize: number;
  /** Whether each epoch is shuffled. */
  readonly shuffle: boolean;
  /** The shuffle seed; epoch `e` uses `seed + e`. */
  readonly seed: number;
  /** Whether a smaller last batch is left out. */
  readonly dropLast: boolean;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  readonly #dataset: ImageDataset;
  readonly #buffers = new Map<number, { data: Float32Array; labels: Int32Array }>();
  readonly #shard?: { rank: number; worldSize: number };

  /**
   * Checks the options and the data set's sizes; nothing is copied.
   *
   * @param dataset the images to batch
   * @param options `batchSize` (required), `shuffle` (default `true`), `seed` (default 0), `dropLast`
   * (default `false`)
   */
  constructor(dataset: ImageDataset, options: BatchLoaderOptions) {
    const { batchSize, shuffle = true, seed = 0, dropLast = false, shard } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`Batch size must be a positive integer, got ${batchSize}`);
    }
    if (!Number.isInteger(seed)) throw new RangeError(`Seed must be an integer, got ${seed}`);
    const { count, channels, size, images, labels } = dataset;
    if (images.length !== count * channels * size * size) {
      throw new TypeError(
        `Data set has ${images.length} image bytes, expected ${count}x${channels}x${size}x${size} = ` +
          `${count * channels * size * size}`,
      );
    }
    if (labels && labels.length !== count) {
      throw new TypeError(
        `Data set has ${labels.length} labels for ${count} images; give one label per image`,
      );
    }
    this.#dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    if (shard && !(Number.isInteger(shard.rank) && shard.rank >= 0 && shard.rank < shard.worldSize)) {
      throw new RangeError(`Shard rank must be an integer in 0..${shard.worldSize - 1}, got ${shard.rank}`);
    }
    this.#shard = shard;
    const share = shard ? Math.ceil(count / shard.worldSize) : count;
    this.batchesPerEpoch = dropLast ? Math.floor(share / batchSize) : Math.ceil(share / batchSize);
  }

  /**
   * The order in which epoch `e` visits the images.
   *
   * @param e the epoch (0-based)
   * @returns image indices: a seeded permutation, or `0..count-1` without shuffling; with `shard`, this
   *   rank's share of it
   * @example
   * ```ts
   * import { BatchLoader } from "@gan/dcgan";
   * const dataset = { images: new Uint8Array(3), count: 3, channels: 1, size: 1, skipped: [] };
   * console.log(new BatchLoader(dataset, { batchSize: 2, shuffle: false }).order(5)); // Int32Array(3) [ 0, 1, 2 ]
   * ```
   */
  order(e: number): Int32Array {
    if (!Number.isInteger(e) || e < 0) throw new RangeError(`Epoch must be a non-negative integer, got ${e}`);
    const n = this.#dataset.count;
    const order = this.shuffle ? permutation(n, this.seed + e) : Int32Array.from({ length: n }, (_, i) => i);
    if (!this.#shard) return order;
    const { rank, worldSize } = this.#shard;
    // DistributedSampler: indices + indices[:padding], then indices[rank::worldSize]
    return Int32Array.from(
      { length: Math.ceil(n / worldSize) },
      (_, i) => order[(rank + i * worldSize) % n]!,
    );
  }

  /**
   * The batches of epoch `e`, in order.
   *
   * @param e the epoch (0-based); it picks the shuffle seed
   * @returns a generator of {@linkcode LoaderBatch}es; each one's buffers are reused by the next batch of
   * the same size
   * @example
   * ```ts
   * import { BatchLoader } from "@gan/dcgan";
   * const dataset = { images: Uint8Array.from([0, 255, 0]), count: 3, channels: 1, size: 1, skipped: [] };
   * const [first] = new BatchLoader(dataset, { batchSize: 3, shuffle: false }).epoch(0);
   * console.log(first?.images.data); // Float32Array(3) [ -1, 1, -1 ]
   * ```
   */
  *epoch(e: number): Generator<LoaderBatch> {
    const order = this.order(e);
    const { channels, size, labels } = this.#dataset;
    const per = channels * size * size;
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));
      const n = indices.length;
      const buffer = this.#buffer(n, per);
      normalizeImagesInto(this.#dataset, indices, buffer.data);
      if (labels) indices.forEach((index, k) => (buffer.labels[k] = labels[index]!));
      const batch: LoaderBatch = { images: { data: buffer.data, shape: [n, channels, size, size] }, indices };
      if (labels) batch.labels = buffer.labels;
      yield batch;
    }
  }

  /**
   * Batches of epoch 0; use {@linkcode BatchLoader.epoch} for later epochs.
   *
   * @returns a generator of batches
   */
  [Symbol.iterator](): Generator<LoaderBatch> {
    return this.epoch(0);
  }

  #buffer(n: number, per: number): { data: Float32Array; labels: Int32Array } {
    let buffer = this.#buffers.get(n);
    if (!buffer) {
      buffer = { data: new Float32Array(n * per), labels: new Int32Array(n) };
      this.#buffers.set(n, buffer);
    }
    return buffer;
  }
}
