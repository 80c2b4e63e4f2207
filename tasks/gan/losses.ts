/**
 * The GAN losses the train task offers (`--loss`), each split as the seed's loop uses them: D's loss
 * on real images, D's loss on fakes, and G's loss on fakes, all means over the batch.
 *
 * | loss      | D output    | D on real x           | D on fake G(z)        | G                       |
 * | --------- | ----------- | --------------------- | --------------------- | ----------------------- |
 * | `bce`     | probability | BCE(D(x), 1)          | BCE(D(G(z)), 0)       | BCE(D(G(z)), 1)         |
 * | `lsgan`   | raw score   | (D(x) - 1)²           | D(G(z))²              | (D(G(z)) - 1)²          |
 * | `hinge`   | raw score   | relu(1 - D(x))        | relu(1 + D(G(z)))     | -D(G(z))                |
 * | `wgan-gp` | raw score   | -D(x)                 | D(G(z))               | -D(G(z))                |
 *
 * `bce` is the seed's (pytorch/examples `dcgan/main.py`); `lsgan` is Mao et al. 2017 with a = 0,
 * b = c = 1, summed over the real and fake halves as the seed sums BCE's (the paper's objective
 * times 2, the same optimum); `hinge` is the SN-GAN/BigGAN hinge; `wgan-gp` is Gulrajani et al. 2017,
 * whose D loss also has the gradient penalty ({@linkcode gradientPenalty}). One-sided label smoothing
 * (Salimans et al. 2016) replaces the real target 1 of `bce` and `lsgan` by e.g. 0.9; two-sided smoothing
 * also the fake target 0 by e.g. 0.1; label flips pass per-image targets (see ./label_noise.ts).
 *
 * @module
 */

import { grad } from "../../ops/autograd.ts";
import { full, rand } from "../../ops/creation.ts";
import { binaryCrossEntropy, mseLoss } from "../../ops/loss.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** The losses `--loss` picks from. */
export const GAN_LOSSES = ["bce", "lsgan", "hinge", "wgan-gp"] as const;

/** One of {@linkcode GAN_LOSSES}. */
export type GanLoss = typeof GAN_LOSSES[number];

/** The gradient penalty's weight, lambda = 10 as in the WGAN-GP paper. */
export const GP_WEIGHT = 10;

/**
 * Whether the discriminator ends with Sigmoid for this loss (only `bce` takes probabilities).
 *
 * @param loss the loss
 * @returns true for `bce`
 * @example
 * ```ts
 * import { usesSigmoid } from "@gan/dcgan/gan";
 * console.log(usesSigmoid("hinge")); // false
 * ```
 */
export function usesSigmoid(loss: GanLoss): boolean {
  return loss === "bce";
}

/** `value` as a target of `output`'s shape: a filled tensor, or a new handle to a per-image target tensor. */
function target(output: Tensor, value: number | Tensor): Tensor {
  return typeof value === "number" ? full(output.shape, value, { device: output.device }) : value.ref();
}

/**
 * D's loss on real images.
 *
 * @param loss the loss
 * @param output D's output on the real batch (probabilities for `bce`, raw scores otherwise)
 * @param realLabel the real target of `bce` and `lsgan`: 1, or e.g. 0.9 with one-sided label smoothing,
 *   or per-image targets (N) such as ./label_noise.ts's (flipped labels); the other losses ignore it
 * @returns the mean loss
 * @example
 * ```ts
 * import { discriminatorRealLoss } from "@gan/dcgan/gan";
 * import { tensor } from "@gan/dcgan";
 * using loss = discriminatorRealLoss("hinge", tensor([0.5, 2]), 1); // mean(relu(1 - x)) = 0.25
 * ```
 */
export function discriminatorRealLoss(loss: GanLoss, output: Tensor, realLabel: number | Tensor = 1): Tensor {
  switch (loss) {
    case "bce": {
      using label = target(output, realLabel);
      return binaryCrossEntropy(output, label);
    }
    case "lsgan": {
      using label = target(output, realLabel);
      return mseLoss(output, label);
    }
    case "hinge": {
      using margin = output.rsub(1);
      using hinge = margin.relu();
      return hinge.mean();
    }
    case "wgan-gp": {
      using mean = output.mean();
      return mean.neg();
    }
  }
}

/**
 * D's loss on generated images.
 *
 * @param loss the loss
 * @param output D's output on the fake batch
 * @param fakeLabel the fake target of `bce` and `lsgan`: 0, or e.g. 0.1 with two-sided label smoothing,
 *   or per-image targets (N) such as ./label_noise.ts's (flipped labels); the other losses ignore it
 * @returns the mean loss
 * @example
 * ```ts
 * import { discriminatorFakeLoss } from "@gan/dcgan/gan";
 * import { tensor } from "@gan/dcgan";
 * using loss = discriminatorFakeLoss("lsgan", tensor([0.5, 0.5])); // 0.25
 * ```
 */
export function discriminatorFakeLoss(loss: GanLoss, output: Tensor, fakeLabel: number | Tensor = 0): Tensor {
  switch (loss) {
    case "bce": {
      using label = target(output, fakeLabel);
      return binaryCrossEntropy(output, label);
    }
    case "lsgan": {
      using label = target(output, fakeLabel);
      return mseLoss(output, label);
    }
    case "hinge": {
      using margin = output.add(1);
      using hinge = margin.relu();
      return hinge.mean();
    }
    case "wgan-gp":
      return output.mean();
  }
}

/**
 * G's loss: D's output on the fakes, pushed towards "real".
 *
 * @param loss the loss
 * @param output D's output on the fake batch (not detached)
 * @returns the mean loss
 * @example
 * ```ts
 * import { generatorLoss } from "@gan/dcgan/gan";
 * import { tensor } from "@gan/dcgan";
 * using loss = generatorLoss("wgan-gp", tensor([1, 3])); // -2
 * ```
 */
export function generatorLoss(loss: GanLoss, output: Tensor): Tensor {
  switch (loss) {
    case "bce": {
      using label = target(output, 1);
      return binaryCrossEntropy(output, label);
    }
    case "lsgan": {
      using label = target(output, 1);
      return mseLoss(output, label);
    }
    case "hinge":
    case "wgan-gp": {
      using mean = output.mean();
      return mean.neg();
    }
  }
}

/**
 * WGAN-GP's gradient penalty: on random interpolates `x̂ = α x + (1 - α) G(z)`, α ~ U(0, 1) per sample,
 * `weight * mean((‖∇x̂ D(x̂)‖₂ - 1)²)`, with the gradient taken as `torch.autograd.grad(...,
 * create_graph=True)` so that the penalty itself backpropagates into D.
 *
 * @param critic D, as a function of a batch of images
 * @param real the real batch (N, C, H, W)
 * @param fake the generated batch, detached, same shape
 * @param weight lambda; default 10
 * @returns the penalty (a scalar that requires gradients)
 * @example
 * ```ts
 * import { gradientPenalty } from "@gan/dcgan/gan";
 * import { randn } from "@gan/dcgan";
 * using w = randn([1, 3, 4, 4], { requiresGrad: true });
 * using penalty = gradientPenalty((x) => x.mul(w).sum([1, 2, 3]), randn([2, 3, 4, 4]), randn([2, 3, 4, 4]));
 * ```
 */
export function gradientPenalty(
  critic: (images: Tensor) => Tensor,
  real: Tensor,
  fake: Tensor,
  weight = GP_WEIGHT,
): Tensor {
  const n = real.shape[0]!;
  using alpha = rand([n, 1, 1, 1], { device: real.device });
  using realPart = real.mul(alpha);
  using beta = alpha.rsub(1);
  using fakePart = fake.mul(beta);
  using mixed = realPart.add(fakePart);
  using interpolates = mixed.detach().requiresGrad_(true);
  using scores = critic(interpolates);
  const [gradient] = grad([scores], [interpolates], { createGraph: true });
  using g = gradient!;
  using flat = g.view([n, -1]);
  using squares = flat.square();
  using sums = squares.sum(1);
  using norms = sums.sqrt();
  using gap = norms.sub(1);
  using gaps = gap.square();
  using mean = gaps.mean();
  return mean.mul(weight);
}
