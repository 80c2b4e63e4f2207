/**
 * The ways a shuffled batch can reach the training device, timed for the bench: the float32 path
 * (BatchLoader normalises each pixel in JavaScript, then 4 bytes per value are copied) and
 * {@linkcode DeviceBatches}' two gathers (uint8 rows copied with `TypedArray.set` on the host, or
 * gathered from the data set kept on the device), both normalised on the device.
 *
 * @module
 */

import { tensor } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { DeviceBatches } from "../data/device_batches.ts";
import { BatchLoader } from "../data/loader.ts";
import type { ImageDataset } from "../data/types.ts";

/** Images per second of each path, batches on the device ready for a step. */
export interface BatchPathRates {
  /** BatchLoader's float32 batches, copied to the device. */
  float32: number;
  /** {@linkcode DeviceBatches} with the host gather. */
  hostGather: number;
  /** {@linkcode DeviceBatches} with the device gather. */
  deviceGather: number;
}

/**
 * Times one epoch of each path after one warm-up batch, reading one value of each batch back so that
 * its work is done, as a step would wait for it.
 *
 * @param dataset the decoded images
 * @param options `batchSize` (default 128), `device` (default `"cpu"`)
 * @returns images per second of each path
 * @example
 * ```ts
 * import { measureBatchPaths } from "./batch_paths.ts";
 * const dataset = { images: new Uint8Array(300 * 3 * 16 * 16), count: 300, channels: 3, size: 16, skipped: [] };
 * console.log(measureBatchPaths(dataset, { batchSize: 64 }));
 * ```
 */
export function measureBatchPaths(
  dataset: ImageDataset,
  options: { batchSize?: number; device?: Device } = {},
): BatchPathRates {
  const { batchSize = 128, device = "cpu" } = options;
  const time = (batches: Iterable<Tensor>) => {
    let images = 0;
    let start = 0;
    for (const batch of batches) {
      const n = batch.shape[0]!;
      tidy(() => batch.flatten().slice(0, 0, 1).item());
      batch.dispose();
      if (start > 0) images += n;
      start ||= performance.now(); // from the end of the warm-up batch, which allocates
    }
    return images / ((performance.now() - start) / 1000);
  };
  const loader = new BatchLoader(dataset, { batchSize });
  const float32 = time(function* () {
    for (const { images } of loader.epoch(0)) yield tensor(images.data, { shape: images.shape, device });
  }());
  const gathered = (gather: "host" | "device") => {
    using batches = new DeviceBatches(dataset, { batchSize, device, gather });
    return time(function* () {
      for (const batch of batches.epoch(0)) {
        batch.labels?.dispose();
        yield batch.images;
      }
    }());
  };
  return { float32, hostGather: gathered("host"), deviceGather: gathered("device") };
}
