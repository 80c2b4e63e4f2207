/**
 * Runs image batches through a feature network (Inception-v3's 2048-d pool features, or the shipped
 * Fashion-MNIST classifier's 128-d ones) and gathers the features.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import { tensor } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { ImageBatch } from "../data/types.ts";

/** A network that maps images to feature vectors: `InceptionV3` or `FashionMnistClassifier`. */
export interface FeatureNetwork {
  /** (N, C, H, W) images in [-1, 1] to (N, d) features. */
  features(images: Tensor): Tensor;
}

/** Options of {@linkcode imageFeatures}. */
export interface FeatureOptions {
  /** Where the network is; default "cpu". */
  device?: Device;
  /** Called after each batch with the number of images done so far. */
  onBatch?: (done: number) => void;
}

/**
 * The features of every image in `batches`, e.g. Inception's pool features (images resized to 299, gray
 * repeated to RGB) or the Fashion-MNIST classifier's.
 *
 * @param net the network, in eval mode
 * @param batches host batches of images in [-1, 1]
 * @param options device, onBatch
 * @returns (n, d) float32 features on the CPU
 * @throws {RangeError} when there are no images
 * @example
 * ```ts
 * import { imageFeatures } from "@gan/dcgan/metrics";
 * import { InceptionV3 } from "@gan/dcgan/metrics";
 * using net = new InceptionV3().eval();
 * const batch = { data: new Float32Array(2 * 3 * 32 * 32), shape: [2, 3, 32, 32] as [number, number, number, number] };
 * using features = imageFeatures(net, [batch]); // [2, 2048]
 * ```
 */
export function imageFeatures(
  net: FeatureNetwork,
  batches: Iterable<ImageBatch>,
  options: FeatureOptions = {},
): Tensor {
  const device = options.device ?? "cpu";
  const chunks: Float32Array[] = [];
  let done = 0;
  for (const batch of batches) {
    const features = noGrad(() => {
      using host = tensor(batch.data, { shape: batch.shape });
      using images = host.to(device);
      using out = net.features(images);
      return out.toFloat32Array();
    });
    chunks.push(features);
    done += batch.shape[0];
    options.onBatch?.(done);
  }
  if (done === 0) {
    throw new RangeError("Cannot compute image features of no images: pass at least one batch");
  }
  const all = new Float32Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return tensor(all, { shape: [done, all.length / done] });
}

/**
 * The Inception pool features of every image in `batches`: {@linkcode imageFeatures} with Inception-v3.
 *
 * @param net the network, in eval mode
 * @param batches host batches of images in [-1, 1]
 * @param options device, onBatch
 * @returns (n, 2048) float32 features on the CPU
 * @throws {RangeError} when there are no images
 */
export function inceptionFeatures(
  net: FeatureNetwork,
  batches: Iterable<ImageBatch>,
  options: FeatureOptions = {},
): Tensor {
  return imageFeatures(net, batches, options);
}
