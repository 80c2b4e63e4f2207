/**
 * The two image streams an evaluation compares: generated images (seeded, quantized to 8 bits as
 * saving them as PNGs would) and real images (a seeded sample of the data set), both as float32 batches
 * in [-1, 1] on the host.
 *
 * @module
 */

import type { GeneratorNetwork } from "../../models/dcgan/networks.ts";
import { noGrad } from "../../ops/autograd.ts";
import { randint, randn } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { BatchLoader, NORMALIZE_TABLE, normalizeImagesInto } from "../data/loader.ts";
import type { ImageBatch, ImageDataset } from "../data/types.ts";
import { unitToByte } from "../image/grid.ts";

const f32 = Math.fround;

/**
 * Rounds generator output to the 256 levels a PNG holds, in place: the value `save_image(x, normalize=True,
 * value_range=(-1, 1))` writes, read back as the data loader reads it (`ToTensor` + `Normalize(0.5, 0.5)`).
 * torch-fidelity and pytorch-fid see generated images this way (uint8, or PNG files).
 *
 * @param data float32 values in [-1, 1] (clamped)
 * @returns the same array
 * @example
 * ```ts
 * import { quantizeImages } from "./images.ts";
 * console.log(quantizeImages(Float32Array.of(-2, 0, 0.999))); // -1, 0.003921..., 1
 * ```
 */
export function quantizeImages(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    const clamped = Number.isNaN(x) ? x : x < -1 ? -1 : x > 1 ? 1 : x;
    const unit = f32(f32(clamped + 1) / 2); // grid.ts normalizeRange with value_range (-1, 1)
    data[i] = NORMALIZE_TABLE[unitToByte(unit)]!; // grid.ts toPixels
  }
  return data;
}

/** Options of {@linkcode generatedBatches}. */
export interface GeneratedBatchOptions {
  /** Images per batch. */
  batchSize: number;
  /** Seed of the latent vectors: `manualSeed(seed); randn([n, nz, 1, 1])`, as `deno task sample` draws them. */
  seed: number;
  /** Where the generator runs; default "cpu". */
  device?: Device;
  /** Round to 8 bits as a saved PNG would; default true. */
  quantize?: boolean;
}

/** A batch of generated images, with the class labels a conditional generator was asked for. */
export interface GeneratedBatch extends ImageBatch {
  /** The requested class of each image; undefined for an unconditional generator. */
  labels?: Int32Array;
}

/**
 * Generates `n` images in batches. The latent vectors are drawn at once, so the images do not depend on
 * the batch size, and image `i` is the one `deno task sample --seed S --n N` (N > i) puts at position i.
 * A conditional generator gets class labels drawn uniformly after the latents.
 *
 * @param netG the generator (conditional or not), in eval mode
 * @param n how many images
 * @param options batchSize, seed, device, quantize
 * @returns a generator of host batches (each a new array), with their labels for a conditional generator
 * @example
 * ```ts
 * import { generatedBatches } from "./images.ts";
 * import { Generator } from "@gan/dcgan";
 * using netG = new Generator({ nz: 8, ngf: 4, imageSize: 32 }).eval();
 * for (const batch of generatedBatches(netG, 5, { batchSize: 2, seed: 0 })) console.log(batch.shape[0]); // 2, 2, 1
 * ```
 */
export function* generatedBatches(
  netG: GeneratorNetwork,
  n: number,
  options: GeneratedBatchOptions,
): Generator<GeneratedBatch> {
  const { batchSize, seed, device = "cpu", quantize = true } = options;
  manualSeed(seed);
  using z = randn([n, netG.nz, 1, 1]);
  using labels = netG.numClasses > 0 ? randint(0, netG.numClasses, [n]) : undefined;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const batch = noGrad(() => {
      using slice = z.slice(0, start, start + count);
      using input = slice.to(device);
      using y = labels?.slice(0, start, start + count);
      using onDevice = y?.to(device);
      using images = netG.forward(input, onDevice);
      return {
        data: images.toFloat32Array(),
        shape: images.shape as ImageBatch["shape"],
        labels: y ? Int32Array.from(y.toArray() as ArrayLike<number | bigint>, Number) : undefined,
      };
    });
    if (quantize) quantizeImages(batch.data);
    yield batch;
  }
}

/**
 * A seeded sample of `n` data set images (all of them when the set is smaller), in batches, normalized
 * to [-1, 1] as the training loader does. With `skip`, the sample starts that many images later in the
 * same seeded order, so `skip: n` draws a second sample that shares no image with the first.
 *
 * @param dataset the decoded data set
 * @param n how many images at most
 * @param options batchSize, seed (of the sample), skip (default 0)
 * @returns a generator of host batches (each a new array) with the data set indices they hold
 * @example
 * ```ts
 * import { realBatches } from "./images.ts";
 * const dataset = { images: new Uint8Array(5 * 3 * 2 * 2), count: 5, channels: 3, size: 2, skipped: [] };
 * for (const { images } of realBatches(dataset, 3, { batchSize: 2, seed: 1 })) console.log(images.shape[0]); // 2, 1
 * ```
 */
export function* realBatches(
  dataset: ImageDataset,
  n: number,
  options: { batchSize: number; seed: number; skip?: number },
): Generator<{ images: ImageBatch; indices: Int32Array }> {
  // the training loader's seeded order of epoch 0; only the images taken are normalized
  const loader = new BatchLoader(dataset, {
    batchSize: options.batchSize,
    seed: options.seed,
    shuffle: true,
  });
  const skip = Math.min(options.skip ?? 0, dataset.count);
  const taken = loader.order(0).subarray(skip, skip + Math.max(0, Math.min(n, dataset.count - skip)));
  const { channels, size } = dataset;
  for (let start = 0; start < taken.length; start += options.batchSize) {
    const indices = taken.slice(start, start + options.batchSize);
    const data = new Float32Array(indices.length * channels * size * size);
    normalizeImagesInto(dataset, indices, data);
    yield { images: { data, shape: [indices.length, channels, size, size] }, indices };
  }
}
