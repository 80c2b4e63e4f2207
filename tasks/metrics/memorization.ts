/**
 * The memorization report: each of k generated samples beside its nearest training image (pixel-space
 * L2), as a grid PNG and a list of distances.
 *
 * @module
 */

import { tensor } from "../../ops/creation.ts";
import { normalizeImagesInto } from "../data/loader.ts";
import type { ImageBatch, ImageDataset } from "../data/types.ts";
import { saveImageArray } from "../image/grid.ts";
import { nearestImages } from "./nearest.ts";

/** One sample's nearest training image. */
export interface NearestEntry {
  /** The sample's position among the generated images. */
  sample: number;
  /** The nearest training image's index in the data set. */
  trainIndex: number;
  /** L2 distance over all pixel values in [-1, 1]. */
  distance: number;
  /** The same per value: `distance / sqrt(c * h * w)`, comparable across image sizes. */
  rmsDistance: number;
}

/** What {@linkcode memorizationReport} found. */
export interface MemorizationReport {
  /** Samples looked at. */
  k: number;
  /** One entry per sample, in sample order. */
  nearest: NearestEntry[];
  /** Median of the distances. */
  medianDistance: number;
  /** Smallest distance (a copied training image shows up as a distance near 0). */
  minDistance: number;
}

/**
 * Finds each sample's nearest training image and saves the pairs side by side: sample, then its nearest
 * training image, four pairs per grid row.
 *
 * @param samples (k, c, h, w) generated images in [-1, 1]
 * @param dataset the training images (same c, h, w)
 * @param gridPath the PNG to write
 * @returns the distances
 * @throws {TypeError} when the sample and data set image shapes differ
 * @example
 * ```ts
 * import { memorizationReport } from "@gan/dcgan/metrics";
 * const dataset = { images: new Uint8Array(3 * 3 * 4 * 4).fill(128), count: 3, channels: 3, size: 4, skipped: [] };
 * const samples = { data: new Float32Array(2 * 3 * 4 * 4), shape: [2, 3, 4, 4] as [number, number, number, number] };
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * const report = await memorizationReport(samples, dataset, path);
 * await Deno.remove(path);
 * ```
 */
export async function memorizationReport(
  samples: ImageBatch,
  dataset: ImageDataset,
  gridPath: string,
): Promise<MemorizationReport> {
  const [k, c, h, w] = samples.shape;
  using queries = tensor(samples.data, { shape: samples.shape });
  const { index, distance } = nearestImages(queries, dataset);
  const per = c * h * w;
  const pairs = new Float32Array(2 * k * per);
  for (let i = 0; i < k; i++) {
    pairs.set(samples.data.subarray(i * per, (i + 1) * per), 2 * i * per);
    normalizeImagesInto(dataset, [index[i]!], pairs, (2 * i + 1) * per);
  }
  await saveImageArray({ data: pairs, shape: [2 * k, c, h, w] }, gridPath, {
    nrow: 2 * Math.min(4, k),
    normalize: true,
    valueRange: [-1, 1],
  });
  const nearest = Array.from(index, (trainIndex, sample) => ({
    sample,
    trainIndex,
    distance: distance[sample]!,
    rmsDistance: distance[sample]! / Math.sqrt(per),
  }));
  const sorted = Array.from(distance).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const medianDistance = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { k, nearest, medianDistance, minDistance: sorted[0]! };
}
