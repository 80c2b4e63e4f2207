/**
 * Batches as tensors on the training device, with no per-pixel work in JavaScript: images travel as
 * uint8 (a quarter of float32's bytes) and are normalised on the device through a 256-entry float32
 * table, to {@linkcode NORMALIZE_TABLE}'s values bit for bit on any device (CUDA divides by a scalar as
 * a multiply by its reciprocal, which misses the table in 111 of the 256 values).
 *
 * Two ways to gather a batch's images. `"device"` (the default on CUDA): the data set lives on the
 * device as uint8 and each epoch's order goes there once, so a batch is two gathers there, with no
 * host copy and nothing that waits for the GPU: the next batch is queued while the step still runs.
 * `"host"` (the default on the CPU, where the device is the host): rows are copied with
 * `TypedArray.set`, one per image, then handed over as one uint8 tensor, so the data set is not held
 * twice. `deno task bench` times both.
 *
 * Batch for batch, the same images, order and values as {@linkcode BatchLoader} with the same options.
 *
 * @module
 */

import { tensor } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import { keep, tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { BatchLoader, type BatchLoaderOptions, NORMALIZE_TABLE } from "./loader.ts";
import type { ImageDataset } from "./types.ts";

/** Options for {@linkcode DeviceBatches}: {@linkcode BatchLoader}'s, the device and the gather. */
export interface DeviceBatchesOptions extends BatchLoaderOptions {
  /** Where the batches and their labels live; default `"cpu"`. */
  device?: Device;
  /** Where a batch's rows are gathered: `"device"` (default on CUDA) or `"host"` (default on the CPU). */
  gather?: "device" | "host";
}

/** One batch on the device; dispose it (or take it with `using`) when the step is done. */
export interface DeviceBatch extends Disposable {
  /** `[n, c, h, w]` float32 in [-1, 1], normalised as {@linkcode NORMALIZE_TABLE}. */
  images: Tensor;
  /** `[n]` int64 class labels, where the data set has labels. */
  labels?: Tensor;
  /** Which data set images are in the batch, in order (a view of the epoch's order on the host). */
  indices: Int32Array;
}

/**
 * A data set batched onto a device as {@linkcode BatchLoader} batches it.
 *
 * @example
 * ```ts
 * import { DeviceBatches } from "@gan/dcgan/data";
 * const dataset = { images: Uint8Array.from([0, 255, 0]), count: 3, channels: 1, size: 1, skipped: [] };
 * using batches = new DeviceBatches(dataset, { batchSize: 2, shuffle: false });
 * for (using batch of batches.epoch(0)) console.log(batch.images.shape, batch.images.toArray());
 * // [ 2, 1, 1, 1 ] Float32Array(2) [ -1, 1 ], then [ 1, 1, 1, 1 ] Float32Array(1) [ -1 ]
 * ```
 */
export class DeviceBatches implements Disposable {
  /** The host-side loader whose order and batch sizes these batches follow. */
  readonly loader: BatchLoader;
  /** Where the batches live. */
  readonly device: Device;
  /** Where a batch's rows are gathered. */
  readonly gather: "device" | "host";
  readonly #dataset: ImageDataset;
  /** The data set on the device (device gather): uint8 images and int64 labels. */
  #images?: Tensor;
  #labels?: Tensor;
  #table?: Tensor;
  /** The host gather's staging rows, reused batch after batch. */
  #rows?: Uint8Array;

  /**
   * Checks the options; with the device gather, copies the data set to the device (uint8 images,
   * int64 labels).
   *
   * @param dataset the images to batch
   * @param options {@linkcode BatchLoader}'s options, `device` and `gather`
   * @throws {RangeError} or {@linkcode TypeError} as {@linkcode BatchLoader} does
   */
  constructor(dataset: ImageDataset, options: DeviceBatchesOptions) {
    this.loader = new BatchLoader(dataset, options);
    this.device = options.device ?? "cpu";
    this.gather = options.gather ?? (this.device === "cpu" ? "host" : "device");
    if (this.gather !== "device" && this.gather !== "host") {
      throw new RangeError(`gather must be "device" or "host", got "${this.gather}"`);
    }
    this.#dataset = dataset;
    const { count, channels, size, images, labels } = dataset;
    const device = this.device;
    // kept: they belong to this object, whatever scope it is made in
    this.#table = keep(tensor(NORMALIZE_TABLE, { device }));
    if (this.gather === "host") return;
    this.#images = keep(tensor(images, { shape: [count, channels, size, size], device }));
    if (labels) this.#labels = keep(tensor(BigInt64Array.from(labels, (label) => BigInt(label)), { device }));
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    return this.loader.batchesPerEpoch;
  }

  /**
   * The batches of epoch `e`, in {@linkcode BatchLoader.epoch}'s order.
   *
   * @param e the epoch (0-based); it picks the shuffle seed
   * @param options `from`: the first batch to make (a run resumed inside the epoch skips the others
   *   without gathering them); default 0
   * @returns a generator of {@linkcode DeviceBatch}es, each the caller's to dispose
   */
  *epoch(e: number, options: { from?: number } = {}): Generator<DeviceBatch> {
    const from = options.from ?? 0;
    if (!Number.isInteger(from) || from < 0) {
      throw new RangeError(`First batch must be a non-negative integer, got ${from}`);
    }
    if (!this.#table) throw new Error("DeviceBatches: this loader was disposed");
    const order = this.loader.order(e);
    // the device gather's order goes to the device once per epoch, freed when the epoch ends
    using onDevice = this.gather === "device" ? keep(tensor(order, { device: this.device })) : undefined;
    const { batchSize, batchesPerEpoch } = this.loader;
    for (let b = from; b < batchesPerEpoch; b++) {
      const start = b * batchSize;
      const end = Math.min(start + batchSize, order.length);
      const indices = order.subarray(start, end);
      yield tidy(() =>
        onDevice ? this.#onDevice(onDevice.slice(0, start, end), indices) : this.#onHost(indices)
      );
    }
  }

  #onDevice(rows: Tensor, indices: Int32Array): DeviceBatch {
    const images = this.#normalise(this.#images!.indexSelect(0, rows));
    return batchOf(images, this.#labels?.indexSelect(0, rows), indices);
  }

  #onHost(indices: Int32Array): DeviceBatch {
    const { channels, size, images, labels } = this.#dataset;
    const per = channels * size * size;
    const rows = this.#rows ??= new Uint8Array(this.loader.batchSize * per);
    indices.forEach((index, k) => rows.set(images.subarray(index * per, (index + 1) * per), k * per));
    const shape = [indices.length, channels, size, size];
    const bytes = tensor(rows.subarray(0, indices.length * per), { shape, device: this.device });
    const labelTensor = labels
      ? tensor(BigInt64Array.from(indices, (index) => BigInt(labels[index]!)), { device: this.device })
      : undefined;
    return batchOf(this.#normalise(bytes), labelTensor, indices);
  }

  /** uint8 `[n, c, h, w]` to float32 through the table: the table's bits, whatever the device's division. */
  #normalise(bytes: Tensor): Tensor {
    return this.#table!.indexSelect(0, bytes.flatten().to("int32")).view(bytes.shape);
  }

  /** Frees the device's copies; batches already made stay valid. */
  dispose(): void {
    for (const held of [this.#images, this.#labels, this.#table]) held?.dispose();
    this.#images = this.#labels = this.#table = undefined;
  }

  /** Frees the device's copies at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function batchOf(images: Tensor, labels: Tensor | undefined, indices: Int32Array): DeviceBatch {
  return {
    images,
    labels,
    indices,
    [Symbol.dispose]() {
      images.dispose();
      labels?.dispose();
    },
  };
}
