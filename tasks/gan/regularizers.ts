/**
 * Extra terms of the GAN losses: the R1 penalty on D (`--r1 GAMMA`) and feature matching for G
 * (`--feature-matching`).
 *
 * - R1 (Mescheder et al. 2018, as StyleGAN2's `loss.py` computes it): `gamma / 2 * E‖∇x D(x)‖²` over the
 *   real batch, the gradient taken with `create_graph` so that the penalty backpropagates into D. D(x) is
 *   what the discriminator returns: raw scores (logits) for `lsgan`, `hinge` and `wgan-gp`; for `bce`
 *   the network ends in Sigmoid, and the penalty is then on the probabilities' gradient, which is smaller.
 * - Feature matching (Salimans et al. 2016): G's loss is `‖mean f(G(z)) - mean f(x)‖²` (a mean over the
 *   feature's entries), f being D's last hidden activations, means taken over the batch; it replaces G's
 *   adversarial loss.
 *
 * @module
 */

import { grad } from "../../ops/autograd.ts";
import { mseLoss } from "../../ops/loss.ts";
import type { Tensor } from "../../ops/tensor.ts";

/**
 * What a discriminator offers for feature matching: its output and its last hidden activations (the
 * input of its final layer) from one forward pass.
 */
export interface FeatureDiscriminator {
  /**
   * D's output and hidden features of one batch.
   *
   * @param images (N, C, H, W)
   * @param labels (N) classes, for a conditional discriminator
   * @returns `output` as `forward` returns it, and `features` (N, ...) from the same pass
   */
  forwardWithFeatures(images: Tensor, labels?: Tensor): { output: Tensor; features: Tensor };
}

/**
 * The R1 penalty `gamma / 2 * mean_n sum_{c,h,w} (∂ sum D(x) / ∂x)²`, from D's scores on inputs that
 * require gradients: the gradient is taken with `create_graph`, so `penalty.backward()` reaches D's
 * weights (a double backward).
 *
 * @param scores D's output (N) on `inputs`, computed with gradients
 * @param inputs the real images (N, C, H, W) D was run on: a leaf with `requiresGrad` (e.g.
 *   `real.detach().requiresGrad_(true)`), before any augmentation, so the gradient runs through it
 * @param gamma the penalty's weight
 * @returns the penalty, a scalar that requires gradients
 * @throws {RangeError} when gamma is negative
 * @throws {TypeError} when `scores` does not depend on `inputs`
 * @example
 * ```ts
 * import { r1Penalty } from "@gan/dcgan/gan";
 * import { randn } from "@gan/dcgan";
 * using w = randn([1, 3, 4, 4], { requiresGrad: true });
 * using x = randn([2, 3, 4, 4]).requiresGrad_(true);
 * using scores = x.mul(w).sum([1, 2, 3]);
 * using penalty = r1Penalty(scores, x, 10); // 5 * mean ‖w‖² = 5 * ‖w‖²
 * ```
 */
export function r1Penalty(scores: Tensor, inputs: Tensor, gamma: number): Tensor {
  if (!(gamma >= 0)) throw new RangeError(`R1 gamma must be >= 0, got ${gamma}`);
  const message = "R1 needs D's scores computed from the inputs that require gradients: pass those inputs";
  if (!scores.requiresGrad || !inputs.requiresGrad) throw new TypeError(message);
  using total = scores.sum();
  const [gradient] = grad([total], [inputs], { createGraph: true, allowUnused: true });
  if (gradient === undefined) {
    throw new TypeError(
      "R1 needs D's scores computed from the inputs that require gradients: pass those inputs",
    );
  }
  using g = gradient;
  using squares = g.square();
  using norms = squares.sum([1, 2, 3]);
  using mean = norms.mean();
  return mean.mul(gamma / 2);
}

/**
 * Feature matching: `mean((mean_n fake - mean_n real)²)`, PyTorch's `F.mse_loss(fake.mean(0),
 * real.mean(0))`, with the real features detached.
 *
 * @param realFeatures D's features of a real batch (N, ...)
 * @param fakeFeatures D's features of the fakes (M, ...), with G's graph
 * @returns the loss, a scalar
 * @throws {TypeError} when the features' shapes differ beyond the batch size
 * @example
 * ```ts
 * import { featureMatchingLoss } from "@gan/dcgan/gan";
 * import { randn } from "@gan/dcgan";
 * using loss = featureMatchingLoss(randn([4, 8, 2, 2]), randn([4, 8, 2, 2]));
 * ```
 */
export function featureMatchingLoss(realFeatures: Tensor, fakeFeatures: Tensor): Tensor {
  if (realFeatures.shape.slice(1).join(",") !== fakeFeatures.shape.slice(1).join(",")) {
    throw new TypeError(
      `Feature matching needs features of one shape: real [${realFeatures.shape}], ` +
        `fake [${fakeFeatures.shape}]`,
    );
  }
  using realMean = realFeatures.mean(0);
  using target = realMean.detach();
  using fakeMean = fakeFeatures.mean(0);
  return mseLoss(fakeMean, target);
}
