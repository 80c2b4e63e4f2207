/**
 * Classification accuracy: how often a classifier's most likely class is the wanted one. For a
 * conditional generator the wanted class is the one each image was generated for (conditional
 * accuracy); for a labelled data set it is the label (the classifier's own test accuracy).
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import { tensor } from "../../ops/creation.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { BatchLoader } from "../data/loader.ts";
import type { ImageDataset } from "../data/types.ts";

/**
 * The fraction of rows whose largest logit is at the row's label (ties go to the first, as `argmax`).
 *
 * @param logits (n, classes)
 * @param labels n class indices
 * @returns accuracy in [0, 1]
 * @throws {TypeError} when the logits are not 2-D or the counts differ
 * @example
 * ```ts
 * import { accuracy } from "@gan/dcgan/metrics";
 * import { tensor } from "@gan/dcgan";
 * using logits = tensor([[2, 0], [0, 2], [3, 1]]);
 * console.log(accuracy(logits, Int32Array.of(0, 1, 1))); // 0.666...
 * ```
 */
export function accuracy(logits: Tensor, labels: Int32Array): number {
  const shape = logits.shape;
  if (shape.length !== 2 || shape[0] !== labels.length) {
    throw new TypeError(
      `Accuracy needs logits [n, classes] and n labels, got [${
        shape.join(", ")
      }] and ${labels.length} labels`,
    );
  }
  const predicted = tidy(() => logits.argmax(1).toArray());
  let correct = 0;
  predicted.forEach((p, i) => (correct += Number(p) === labels[i] ? 1 : 0));
  return labels.length === 0 ? 0 : correct / labels.length;
}

/**
 * The fraction of a labelled data set that a classifier gets right.
 *
 * @param net the classifier (anything whose `forward` maps images in [-1, 1] to logits), in eval mode
 * @param dataset images with labels
 * @param options batchSize (default 500)
 * @returns accuracy in [0, 1]
 * @throws {TypeError} when the data set has no labels
 * @example
 * ```ts ignore
 * import { datasetAccuracy } from "@gan/dcgan/metrics";
 * import { loadClassifier } from "@gan/dcgan/metrics";
 * import { loadFashionMnist } from "@gan/dcgan";
 * using net = await loadClassifier();
 * console.log(datasetAccuracy(net, await loadFashionMnist({ size: 32, train: false }))); // 0.91...
 * ```
 */
export function datasetAccuracy(
  net: { forward(images: Tensor): Tensor },
  dataset: ImageDataset,
  options: { batchSize?: number } = {},
): number {
  if (!dataset.labels) throw new TypeError("Accuracy needs a data set with labels, e.g. Fashion-MNIST");
  const loader = new BatchLoader(dataset, { batchSize: options.batchSize ?? 500, shuffle: false });
  let correct = 0;
  for (const { images, labels } of loader.epoch(0)) {
    const batchAccuracy = noGrad(() =>
      tidy(() => accuracy(net.forward(tensor(images.data, { shape: images.shape })), labels!))
    );
    correct += Math.round(batchAccuracy * images.shape[0]);
  }
  return correct / dataset.count;
}
