/**
 * Memorization check: for each generated image, the nearest training image in pixel space (L2 over
 * values in [-1, 1]), found by streaming the training set through `|q|² + |r|² - 2 q·r` in batches.
 *
 * @module
 */

import { tensor } from "../../ops/creation.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { NORMALIZE_TABLE } from "../data/loader.ts";
import type { ImageDataset } from "../data/types.ts";

/** For each query, its nearest reference image. */
export interface NearestImages {
  /** Index of the nearest data set image, per query. */
  index: Int32Array;
  /** L2 distance to it over all pixel values in [-1, 1], per query. */
  distance: Float64Array;
}

/**
 * Finds each query image's nearest data set image by L2 distance in pixel space (values in [-1, 1], as
 * the training loader normalizes them), in float64, `batchSize` data set images at a time.
 *
 * @param queries (k, c, h, w) images in [-1, 1], e.g. generated samples
 * @param dataset the training images (c, h, w must match)
 * @param options batchSize: data set images per distance matrix (default 512)
 * @returns per query, the nearest image's index and distance
 * @throws {TypeError} when the image shapes differ
 * @example
 * ```ts
 * import { nearestImages } from "@gan/dcgan/metrics";
 * import { tensor } from "@gan/dcgan";
 * const dataset = { images: Uint8Array.from([0, 255]), count: 2, channels: 1, size: 1, skipped: [] };
 * const { index } = nearestImages(tensor([[[[0.9]]]]), dataset);
 * console.log(index); // Int32Array(1) [ 1 ]
 * ```
 */
export function nearestImages(
  queries: Tensor,
  dataset: ImageDataset,
  options: { batchSize?: number } = {},
): NearestImages {
  const shape = queries.shape;
  const { count, channels, size, images } = dataset;
  if (shape.length !== 4 || shape[1] !== channels || shape[2] !== size || shape[3] !== size) {
    throw new TypeError(
      `Cannot compare images of shape [${shape.slice(1).join(", ")}] with data set images of ` +
        `[${channels}, ${size}, ${size}]: generate at the data set's size and channels`,
    );
  }
  const batchSize = options.batchSize ?? 512;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`Nearest-image batch size must be a positive integer, got ${batchSize}`);
  }
  const k = shape[0]!;
  const per = channels * size * size;
  const index = new Int32Array(k).fill(-1);
  const squared = new Float64Array(k).fill(Infinity);
  using q = tidy(() => queries.reshape([k, per]).to({ dtype: "float64", device: "cpu" }));
  using qq = tidy(() => q.square().sum(1, { keepdim: true }));
  const host = new Float64Array(Math.min(batchSize, count) * per);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    for (let i = 0; i < n * per; i++) host[i] = NORMALIZE_TABLE[images[start * per + i]!]!;
    const [best, where] = tidy(() => {
      const r = tensor(host.subarray(0, n * per), { shape: [n, per] });
      const d2 = qq.add(r.square().sum(1).reshape([1, n])).sub(q.matmul(r.transpose(0, 1)).mul(2)).clamp(0);
      return [d2.amin(1).toArray() as Float64Array, d2.argmin(1).toArray() as BigInt64Array];
    });
    for (let j = 0; j < k; j++) {
      if (best[j]! < squared[j]!) {
        squared[j] = best[j]!;
        index[j] = start + Number(where[j]!);
      }
    }
  }
  return { index, distance: squared.map(Math.sqrt) };
}
