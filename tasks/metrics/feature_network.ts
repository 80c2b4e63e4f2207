/**
 * The network an evaluation scores images with: Inception-v3 from a weights file (`--inception`), the
 * Fashion-MNIST classifier that ships with the package (for `--data fashion-mnist` without Inception), or
 * 16x16 pixels (`--pixel-features`, for data with neither). The networks give features (FID, KID,
 * precision, recall) and class logits (IS, conditional accuracy); pixels give features only. The feature
 * spaces differ, so their FIDs are never comparable, and the names say which one a number comes from.
 *
 * @module
 */

import {
  type FashionMnistClassifier,
  loadClassifier,
  PRETRAINED_CLASSIFIER,
} from "../../models/classifier/fashion_mnist.ts";
import { type InceptionV3, type InceptionVariant, loadInception } from "../../models/inception/inception.ts";
import { noGrad } from "../../ops/autograd.ts";
import type { Device } from "../../ops/device.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { ImageBatch } from "../data/types.ts";
import { type FeatureOptions, imageFeatures } from "./features.ts";
import { PIXEL_FEATURE_SIDE, PixelFeatures } from "./pixel_features.ts";

/** Which network, and how its numbers are labelled. */
export interface ScoringNetworkInfo {
  /** `"inception"`, `"fashion-mnist-classifier"` or `"pixels"`. */
  kind: "inception" | "fashion-mnist-classifier" | "pixels";
  /** For messages: `Inception-v3 (fid)`, `F-MNIST classifier` or `16x16 pixels`. */
  name: string;
  /** The FID's name: `FID` with Inception, `FID (F-MNIST features)` or `FID (pixel features)`. */
  fidName: string;
  /** The weights file; `""` for pixels. */
  path: string;
  /** The Inception variant, with Inception. */
  variant?: InceptionVariant;
  /** Length of a feature vector: 2048, 128, or 256 per channel for pixels. */
  dims: number;
  /** Classes of the logits; 0 when the network has none (an Inception file without `fc`). */
  classes: number;
}

/** A loaded scoring network; dispose it when done. */
export interface ScoringNetwork {
  /** What it is. */
  readonly info: ScoringNetworkInfo;
  /** The network, in eval mode. */
  readonly net: InceptionV3 | FashionMnistClassifier | PixelFeatures;
  /** Where it runs. */
  readonly device: Device;
  /** Frees the network. */
  [Symbol.dispose](): void;
}

/** Options of {@linkcode openScoringNetwork}. */
export interface ScoringNetworkOptions {
  /** Inception-v3 weights (safetensors); undefined: the Fashion-MNIST classifier, or pixels. */
  inception?: string;
  /** Score in 16x16 pixels instead of a network's features (without `inception`). */
  pixelFeatures?: boolean;
  /** The images' channels, for the pixels' feature length; default 3. */
  channels?: number;
  /** Override the variant the Inception file implies. */
  inceptionVariant?: InceptionVariant;
  /** The classifier's weights; default the shipped {@linkcode PRETRAINED_CLASSIFIER}. */
  classifier?: string;
  /** Where to run; default "cpu". */
  device?: Device;
}

/**
 * Loads Inception-v3 when `inception` is given, pixels with `pixelFeatures`, else the Fashion-MNIST
 * classifier.
 *
 * @param options inception, inceptionVariant, pixelFeatures, channels, classifier, device
 * @returns the network and how to label its numbers
 * @throws {Error} naming the file when the weights cannot be loaded
 * @example
 * ```ts
 * import { openScoringNetwork } from "@gan/dcgan/metrics";
 * using scorer = await openScoringNetwork();
 * console.log(scorer.info.fidName); // "FID (F-MNIST features)"
 * ```
 */
export async function openScoringNetwork(options: ScoringNetworkOptions = {}): Promise<ScoringNetwork> {
  const device = options.device ?? "cpu";
  if (options.inception !== undefined) {
    const net = await loadInception(options.inception, { variant: options.inceptionVariant, device });
    const classes = net.fc?.outFeatures ?? 0;
    return {
      info: {
        kind: "inception",
        name: `Inception-v3 (${net.variant})`,
        fidName: "FID",
        path: options.inception,
        variant: net.variant,
        dims: 2048,
        classes,
      },
      net,
      device,
      [Symbol.dispose]: () => net.dispose(),
    };
  }
  if (options.pixelFeatures) {
    const net = new PixelFeatures();
    const dims = PIXEL_FEATURE_SIDE * PIXEL_FEATURE_SIDE * (options.channels ?? 3);
    return {
      info: {
        kind: "pixels",
        name: "16x16 pixels",
        fidName: "FID (pixel features)",
        path: "",
        dims,
        classes: 0,
      },
      net,
      device,
      [Symbol.dispose]: () => net.dispose(),
    };
  }
  const path = options.classifier ?? PRETRAINED_CLASSIFIER;
  const net = await loadClassifier(path, { device });
  return {
    info: {
      kind: "fashion-mnist-classifier",
      name: "F-MNIST classifier",
      fidName: "FID (F-MNIST features)",
      path: path instanceof URL ? (path.protocol === "file:" ? path.pathname : path.href) : path,
      dims: 128,
      classes: 10,
    },
    net,
    device,
    [Symbol.dispose]: () => net.dispose(),
  };
}

/** Features of a set of images, with their logits and the labels they were generated for. */
export interface ScoredSet {
  /** (n, d) float32 features on the CPU. */
  features: Tensor;
  /** (n, classes) float32 logits on the CPU, where the network has a classifier. */
  logits?: Tensor;
  /** The class each image was generated for (conditional generators). */
  labels?: Int32Array;
  /** Frees the tensors. */
  [Symbol.dispose](): void;
}

/**
 * Runs batches through a scoring network: features, logits (computed from the features, as the last
 * layer is linear on them) and the batches' labels, if any.
 *
 * @param scorer from {@linkcode openScoringNetwork}
 * @param batches host batches of images in [-1, 1], with `labels` where a conditional generator made them
 * @param options onBatch (progress), device (default the scorer's)
 * @returns the scored set; dispose it when done
 * @throws {RangeError} when there are no images
 * @example
 * ```ts
 * import { openScoringNetwork, scoreImages } from "@gan/dcgan/metrics";
 * using scorer = await openScoringNetwork();
 * const batch = { data: new Float32Array(4 * 32 * 32), shape: [4, 1, 32, 32] as [number, number, number, number] };
 * using set = scoreImages(scorer, [batch]);
 * console.log(set.features.shape, set.logits?.shape); // [4, 128] [4, 10]
 * ```
 */
export function scoreImages(
  scorer: ScoringNetwork,
  batches: Iterable<ImageBatch & { labels?: Int32Array }>,
  options: FeatureOptions = {},
): ScoredSet {
  const labelChunks: Int32Array[] = [];
  const withLabels = (function* () {
    for (const batch of batches) {
      if (batch.labels) labelChunks.push(batch.labels);
      yield batch;
    }
  })();
  const features = imageFeatures(scorer.net, withLabels, { device: scorer.device, ...options });
  let logits: Tensor | undefined;
  try {
    const net = scorer.net;
    if (scorer.info.classes > 0 && !(net instanceof PixelFeatures)) {
      logits = noGrad(() => {
        using onDevice = features.to(scorer.device);
        using out = net.logits(onDevice);
        return out.to("cpu");
      });
    }
  } catch (error) {
    features.dispose();
    throw error;
  }
  let labels: Int32Array | undefined;
  if (labelChunks.length > 0) {
    labels = new Int32Array(labelChunks.reduce((n, chunk) => n + chunk.length, 0));
    let offset = 0;
    for (const chunk of labelChunks) {
      labels.set(chunk, offset);
      offset += chunk.length;
    }
  }
  return {
    features,
    logits,
    labels,
    [Symbol.dispose]() {
      features.dispose();
      logits?.dispose();
    },
  };
}
