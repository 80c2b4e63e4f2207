/**
 * Trains the Fashion-MNIST classifier that evaluations use as their offline feature network
 * (`deno task train-classifier`): Adam with a cosine learning-rate schedule and cross-entropy on the
 * 60,000 training images at 32x32, as `--data fashion-mnist` loads them, then its accuracy on the 10,000
 * test images. Seeded: the init, the shuffles and dropout follow `seed`.
 *
 * @module
 */

import { FashionMnistClassifier } from "../../models/classifier/fashion_mnist.ts";
import { saveStateDict } from "../../models/io/state_dict_file.ts";
import { Adam } from "../../models/optim/adam.ts";
import { tensor } from "../../ops/creation.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { loadFashionMnist } from "../data/fashion_mnist.ts";
import { BatchLoader } from "../data/loader.ts";
import type { ImageDataset } from "../data/types.ts";
import { datasetAccuracy } from "./accuracy.ts";

/** Settings of {@linkcode trainClassifier}; the defaults made the shipped weights. */
export interface ClassifierTrainConfig {
  /** Passes over the training set; default 3. */
  epochs?: number;
  /** Images per step; default 128. */
  batchSize?: number;
  /** Adam's starting learning rate, annealed to 0 along a cosine; default 2e-3. */
  lr?: number;
  /** Seed of the init, the shuffles and dropout; default 0. */
  seed?: number;
  /** Use only the first this many training and test images (for tests); default all. */
  limit?: number;
  /** Where to save the weights (float16 safetensors); default: not saved. */
  out?: string;
  /** Folder with the Fashion-MNIST IDX files; default the loader's. */
  dataDir?: string;
}

/** What {@linkcode trainClassifier} did. */
export interface ClassifierTrainResult {
  /** The trained network, in eval mode; the caller disposes it. */
  net: FashionMnistClassifier;
  /** Mean training loss of each epoch. */
  losses: number[];
  /** Accuracy on the test images, with the float32 weights. */
  testAccuracy: number;
  /** How many test images: 10,000, or `limit`. */
  testCount: number;
  /** Wall time of the training and the test, in seconds. */
  seconds: number;
}

/**
 * Mean cross-entropy of logits against integer labels, as `F.cross_entropy`: `-log_softmax(x)[label]`,
 * with log-softmax as `x - max - log(sum(exp(x - max)))`.
 *
 * @param logits (N, C)
 * @param labels N class indices in [0, C)
 * @returns the scalar loss
 * @throws {RangeError} when a label is out of range or the counts differ
 * @example
 * ```ts
 * import { crossEntropy } from "@gan/dcgan/metrics";
 * import { tensor } from "@gan/dcgan";
 * using loss = crossEntropy(tensor([[2, 0], [0, 2]]), Int32Array.of(0, 1)); // 0.1269
 * ```
 */
export function crossEntropy(logits: Tensor, labels: Int32Array): Tensor {
  const [n = 0, c = 0] = logits.shape;
  if (logits.shape.length !== 2 || labels.length !== n) {
    throw new RangeError(
      `Cross-entropy needs logits [N, C] and N labels, got [${logits.shape.join(", ")}] and ${labels.length}`,
    );
  }
  const oneHot = new Float32Array(n * c);
  labels.forEach((label, i) => {
    if (!(label >= 0 && label < c)) throw new RangeError(`Label ${label} is outside [0, ${c})`);
    oneHot[i * c + label] = 1;
  });
  return tidy(() => {
    const shifted = logits.sub(logits.detach().amax(1, { keepdim: true }));
    const logProbs = shifted.sub(shifted.exp().sum(1, { keepdim: true }).log());
    return logProbs.mul(tensor(oneHot, { shape: [n, c] })).sum().div(-n);
  });
}

/** The first `n` images (and labels) of a data set. */
function head(dataset: ImageDataset, n: number): ImageDataset {
  if (n >= dataset.count) return dataset;
  const per = dataset.channels * dataset.size * dataset.size;
  return {
    ...dataset,
    count: n,
    images: dataset.images.subarray(0, n * per),
    labels: dataset.labels?.subarray(0, n),
  };
}

/**
 * Trains a {@linkcode FashionMnistClassifier} from scratch on Fashion-MNIST at 32x32 and measures its
 * test accuracy; saves it as float16 when `out` is set.
 *
 * @param config epochs (3), batchSize (128), lr (2e-3), seed (0), limit, out, dataDir
 * @param log where progress lines go; default nowhere
 * @returns the network, the losses and the test accuracy
 * @throws {RangeError} for a setting out of range
 * @throws {Error} when the Fashion-MNIST files are missing (the message names the package)
 * @example
 * ```ts ignore
 * import { trainClassifier } from "@gan/dcgan/metrics";
 * const { net, testAccuracy } = await trainClassifier({ epochs: 1, limit: 2000 });
 * net.dispose();
 * ```
 */
export async function trainClassifier(
  config: ClassifierTrainConfig = {},
  log: (line: string) => void = () => {},
): Promise<ClassifierTrainResult> {
  const { epochs = 3, batchSize = 128, lr = 2e-3, seed = 0 } = config;
  for (const [name, value] of Object.entries({ epochs, batchSize })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }
  if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`lr must be a number > 0, got ${lr}`);
  const started = performance.now();
  const train = head(await loadFashionMnist({ size: 32, dir: config.dataDir }), config.limit ?? Infinity);
  const test = head(
    await loadFashionMnist({ size: 32, train: false, dir: config.dataDir }),
    config.limit ?? Infinity,
  );
  manualSeed(seed);
  const net = new FashionMnistClassifier();
  try {
    using optimizer = new Adam(net.parameters(), { lr });
    const loader = new BatchLoader(train, { batchSize, seed, shuffle: true, dropLast: true });
    const total = epochs * loader.batchesPerEpoch;
    const losses: number[] = [];
    let step = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      let sum = 0;
      for (const { images, labels } of loader.epoch(epoch)) {
        optimizer.lr = lr * 0.5 * (1 + Math.cos((Math.PI * step) / total)); // CosineAnnealingLR per step
        optimizer.zeroGrad();
        sum += tidy(() => {
          const loss = crossEntropy(net.forward(tensor(images.data, { shape: images.shape })), labels!);
          loss.backward();
          return loss.item();
        });
        optimizer.step();
        step++;
      }
      losses.push(sum / loader.batchesPerEpoch);
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      log(`epoch ${epoch + 1}/${epochs}: loss ${losses.at(-1)!.toFixed(4)} (${seconds}s)`);
    }
    net.eval();
    const testAccuracy = datasetAccuracy(net, test);
    if (config.out) {
      await saveStateDict(net, config.out, {
        dtype: "float16",
        metadata: { model: "FashionMnistClassifier", testAccuracy: String(testAccuracy), seed: String(seed) },
      });
    }
    return {
      net,
      losses,
      testAccuracy,
      testCount: test.count,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    net.dispose();
    throw error;
  }
}
