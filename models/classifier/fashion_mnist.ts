/**
 * The Fashion-MNIST classifier that ships with the package as an offline feature network: its 128-d
 * penultimate features serve FID, KID, precision and recall, and its 10-class logits serve the Inception
 * Score and a conditional generator's accuracy, for `--data fashion-mnist` without Inception weights.
 *
 * The same network in PyTorch (state-dict keys are these field names):
 *
 * ```python
 * class FashionMnistClassifier(nn.Module):
 *     def __init__(self):
 *         super().__init__()
 *         self.conv1, self.bn1 = nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16)
 *         self.conv2, self.bn2 = nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32)
 *         self.conv3, self.bn3 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
 *         self.fc1, self.fc2 = nn.Linear(64 * 4 * 4, 128), nn.Linear(128, 10)
 *     def features(self, x):
 *         x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)  # 16 x 16 x 16
 *         x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)  # 32 x 8 x 8
 *         x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2)  # 64 x 4 x 4
 *         return F.relu(self.fc1(x.flatten(1)))                  # 128
 *     def forward(self, x):
 *         return self.fc2(F.dropout(self.features(x), 0.3, self.training))
 * ```
 *
 * @module
 */

import { conv2d } from "../../ops/conv.ts";
import { interpolate, maxPool2d } from "../../ops/pool.ts";
import { dropout } from "../../ops/activation.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { Device } from "../../ops/device.ts";
import { loadCheckpoint } from "../io/state_dict_file.ts";
import { Conv2d } from "../nn/conv.ts";
import { Linear } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";
import { BatchNorm2d } from "../nn/norm.ts";

/** Side of the images the classifier is trained on (`--data fashion-mnist --image-size 32`). */
export const CLASSIFIER_SIZE = 32;

/** Length of the penultimate feature vector. */
export const CLASSIFIER_FEATURES = 128;

/** Number of classes (Fashion-MNIST's ten). */
export const CLASSIFIER_CLASSES = 10;

/** Dropout before the last layer while training. */
export const CLASSIFIER_DROPOUT = 0.3;

/** The shipped weights: models/pretrained/fashion_mnist_classifier.safetensors (float16, 0.3 MB). */
export const PRETRAINED_CLASSIFIER: URL = new URL(
  "../pretrained/fashion_mnist_classifier.safetensors",
  import.meta.url,
);

/**
 * A small CNN for 1 x 32 x 32 Fashion-MNIST images in [-1, 1]: three conv-BN-ReLU-maxpool blocks
 * (16, 32, 64 channels), a 128-unit ReLU layer (the features) and a 10-class linear layer (the logits).
 * {@linkcode FashionMnistClassifier.features} and {@linkcode FashionMnistClassifier.logits} split
 * `forward` as {@linkcode InceptionV3}'s do, so an evaluation treats both networks alike.
 *
 * @example
 * ```ts
 * import { FashionMnistClassifier } from "@gan/dcgan/metrics";
 * import { noGrad, randn } from "@gan/dcgan";
 * using net = new FashionMnistClassifier().eval();
 * using features = noGrad(() => net.features(randn([2, 1, 32, 32]))); // [2, 128]
 * using logits = noGrad(() => net.logits(features)); // [2, 10]
 * ```
 */
export class FashionMnistClassifier extends Module {
  /** 3x3 conv, 1 to 16 channels (32 x 32). */
  conv1: Conv2d;
  /** BatchNorm of conv1's output. */
  bn1: BatchNorm2d;
  /** 3x3 conv, 16 to 32 channels (16 x 16). */
  conv2: Conv2d;
  /** BatchNorm of conv2's output. */
  bn2: BatchNorm2d;
  /** 3x3 conv, 32 to 64 channels (8 x 8). */
  conv3: Conv2d;
  /** BatchNorm of conv3's output. */
  bn3: BatchNorm2d;
  /** 1024 to 128: the feature layer. */
  fc1: Linear;
  /** 128 to 10: the class logits. */
  fc2: Linear;

  /** Builds the network with PyTorch's default init (train it, or load the shipped weights). */
  constructor() {
    super();
    this.conv1 = new Conv2d(1, 16, 3, { padding: 1 });
    this.bn1 = new BatchNorm2d(16);
    this.conv2 = new Conv2d(16, 32, 3, { padding: 1 });
    this.bn2 = new BatchNorm2d(32);
    this.conv3 = new Conv2d(32, 64, 3, { padding: 1 });
    this.bn3 = new BatchNorm2d(64);
    this.fc1 = new Linear(64 * 4 * 4, CLASSIFIER_FEATURES);
    this.fc2 = new Linear(CLASSIFIER_FEATURES, CLASSIFIER_CLASSES);
  }

  /**
   * The 128-d penultimate features (after fc1's ReLU). Images of another size are first resized to 32
   * (bilinear), so compare sets that went through the same resize.
   *
   * @param images (N, 1, H, W), values in [-1, 1]
   * @returns (N, 128)
   * @throws {TypeError} when the images are not (N, 1, H, W)
   */
  features(images: Tensor): Tensor {
    const shape = images.shape;
    if (shape.length !== 4 || shape[1] !== 1) {
      throw new TypeError(
        `The Fashion-MNIST classifier takes 1-channel images of shape [N, 1, H, W], got [${
          shape.join(", ")
        }]: ` +
          "for RGB data use --inception",
      );
    }
    return tidy(() => {
      let x = images;
      if (shape[2] !== CLASSIFIER_SIZE || shape[3] !== CLASSIFIER_SIZE) {
        x = interpolate(x, { size: CLASSIFIER_SIZE, mode: "bilinear", alignCorners: false });
      }
      x = this.#block(this.conv1, this.bn1, x); // state size: 16 x 16 x 16
      x = this.#block(this.conv2, this.bn2, x); // state size: 32 x 8 x 8
      x = this.#block(this.conv3, this.bn3, x); // state size: 64 x 4 x 4
      return this.fc1.forward(x.flatten(1)).relu(); // state size: 128
    });
  }

  /**
   * `max_pool2d(relu(bn(conv(x))), 2)`. In eval mode BatchNorm is an affine map per channel, folded into
   * the conv's weights, and ReLU runs after the pool (max and ReLU commute): one full-size tensor instead
   * of three: scoring is about a third faster on a 2-core CPU, where allocating large tensors dominates.
   */
  #block(conv: Conv2d, bn: BatchNorm2d, x: Tensor): Tensor {
    if (this.training) return maxPool2d(bn.forward(conv.forward(x)).relu(), 2);
    const scale = bn.weight.mul(bn.running_var.add(bn.eps).rsqrt());
    const shift = bn.bias.sub(bn.running_mean.mul(scale));
    const weight = conv.weight.mul(scale.reshape([-1, 1, 1, 1]));
    const bias = conv.bias ? conv.bias.mul(scale).add(shift) : shift;
    return maxPool2d(conv2d(x, weight, bias, { padding: conv.padding }), 2).relu();
  }

  /**
   * The class logits of features from {@linkcode FashionMnistClassifier.features} (dropout in training
   * mode only).
   *
   * @param features (N, 128)
   * @returns (N, 10)
   */
  logits(features: Tensor): Tensor {
    return tidy(() => this.fc2.forward(dropout(features, CLASSIFIER_DROPOUT, this.training)));
  }

  /**
   * The class logits of images.
   *
   * @param images (N, 1, 32, 32), values in [-1, 1]
   * @returns (N, 10)
   */
  override forward(images: Tensor): Tensor {
    using features = this.features(images);
    return this.logits(features);
  }
}

/** Options of {@linkcode loadClassifier}. */
export interface LoadClassifierOptions {
  /** Where to put the network; default `"cpu"`. */
  device?: Device;
}

/**
 * Loads classifier weights (default: the shipped float16 file) with strict key matching, in eval mode.
 *
 * @param path a safetensors file with {@linkcode FashionMnistClassifier}'s keys; default
 *   {@linkcode PRETRAINED_CLASSIFIER}
 * @param options device
 * @returns the network in eval mode, float32
 * @throws {Error} naming the file when it is missing, or a key is missing or has the wrong shape
 * @example
 * ```ts
 * import { loadClassifier } from "@gan/dcgan/metrics";
 * using net = await loadClassifier();
 * ```
 */
export async function loadClassifier(
  path: string | URL = PRETRAINED_CLASSIFIER,
  options: LoadClassifierOptions = {},
): Promise<FashionMnistClassifier> {
  let file: Awaited<ReturnType<typeof loadCheckpoint>>;
  try {
    file = await loadCheckpoint(path);
  } catch (error) {
    throw new Error(
      `Cannot load the Fashion-MNIST classifier "${path}": ${(error as Error).message}. ` +
        "Train one with `deno task train-classifier`",
      { cause: error },
    );
  }
  const net = new FashionMnistClassifier();
  try {
    net.loadStateDict(file.tensors, { source: `classifier "${path}"` });
    if (options.device !== undefined && options.device !== "cpu") net.to(options.device);
    return net.eval();
  } catch (error) {
    net.dispose();
    throw error;
  } finally {
    for (const t of Object.values(file.tensors)) t.dispose();
  }
}
