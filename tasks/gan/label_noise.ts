/**
 * Noise on what D is told and on what D sees, the seeds' "hacks" for a discriminator that wins too
 * early:
 *
 * - two-sided label smoothing: D's targets are e.g. 0.9 for real images and 0.1 for fakes, not 1 and 0
 *   (one-sided smoothing, Salimans et al. 2016, keeps the fake target 0);
 * - random label flips: each of D's targets is swapped (real ↔ fake) with probability p, drawn per image;
 * - instance noise (Sønderby et al. 2016): Gaussian noise of standard deviation sigma added to every
 *   image D sees, real and fake, sigma annealed linearly to 0 over the run.
 *
 * Targets only mean something to the `bce` and `lsgan` losses (see ./losses.ts); instance noise works
 * with any loss.
 *
 * @module
 */

import { full, rand, randn } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import { where } from "../../ops/combine.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** D's targets and how often they are flipped. */
export interface LabelNoiseOptions {
  /** D's target for real images; default 1 (0.9: label smoothing). */
  realLabel?: number;
  /** D's target for fakes; default 0 (0.1 with two-sided smoothing). */
  fakeLabel?: number;
  /** Probability that a target is swapped for the other class's, per image; default 0. */
  flip?: number;
}

/**
 * Checks label-noise settings up front.
 *
 * @param options the targets and the flip probability
 * @throws {RangeError} when a target is outside [0, 1], the real target is not above the fake one, or
 *   the flip probability is outside [0, 0.5)
 */
export function checkLabelNoise(options: LabelNoiseOptions): void {
  const { realLabel = 1, fakeLabel = 0, flip = 0 } = options;
  if (!(realLabel >= 0 && realLabel <= 1)) {
    throw new RangeError(`realLabel must be in [0, 1], got ${realLabel}`);
  }
  if (!(fakeLabel >= 0 && fakeLabel <= 1)) {
    throw new RangeError(`fakeLabel must be in [0, 1], got ${fakeLabel}`);
  }
  if (!(realLabel > fakeLabel)) {
    throw new RangeError(`realLabel (${realLabel}) must be above fakeLabel (${fakeLabel})`);
  }
  if (!(flip >= 0 && flip < 0.5)) {
    throw new RangeError(`label flip probability must be in [0, 0.5), got ${flip}`);
  }
}

/**
 * D's targets for a batch of real or fake images: `realLabel` or `fakeLabel`, each swapped for the other
 * with probability `flip`. With a flip probability it draws one `rand(n)` on `device`'s generator, as
 * PyTorch's `torch.where(torch.rand(n) < flip, other, label)`; without, it draws nothing.
 *
 * @param n the batch size
 * @param real whether the batch is real images
 * @param options targets and flip probability (defaults 1, 0, 0)
 * @param device where the targets live; default the CPU
 * @returns (n) float32 targets
 * @example
 * ```ts
 * import { discriminatorTargets } from "@gan/dcgan/gan";
 * using targets = discriminatorTargets(4, false, { realLabel: 0.9, fakeLabel: 0.1, flip: 0.05 });
 * ```
 */
export function discriminatorTargets(
  n: number,
  real: boolean,
  options: LabelNoiseOptions = {},
  device: Device = "cpu",
): Tensor {
  const { realLabel = 1, fakeLabel = 0, flip = 0 } = options;
  const [label, other] = real ? [realLabel, fakeLabel] : [fakeLabel, realLabel];
  const targets = full([n], label, { device });
  if (flip === 0) return targets;
  using kept = targets;
  using u = rand([n], { device });
  using flipped = u.lt(flip);
  using swapped = full([n], other, { device });
  return where(flipped, swapped, kept);
}

/** The instance noise's starting level and the run length it anneals over. */
export interface InstanceNoiseOptions {
  /** Standard deviation at the first step, in image units ([-1, 1] images). */
  sigma: number;
  /** Steps of the run: sigma falls linearly to 0 over them. */
  steps: number;
}

/**
 * The instance noise's level at a step: `sigma * max(0, 1 - step / steps)`, sigma at step 0 and sigma /
 * steps at the last step (steps - 1) of the run.
 *
 * @param options sigma and the run's steps
 * @param step steps taken before this one (0 for the first)
 * @returns the standard deviation for this step
 * @throws {RangeError} when sigma is negative or steps is not a positive integer
 * @example
 * ```ts
 * import { instanceNoiseSigma } from "@gan/dcgan/gan";
 * console.log(instanceNoiseSigma({ sigma: 0.1, steps: 100 }, 50)); // 0.05
 * ```
 */
export function instanceNoiseSigma(options: InstanceNoiseOptions, step: number): number {
  const { sigma, steps } = options;
  if (!(sigma >= 0)) throw new RangeError(`instance noise sigma must be >= 0, got ${sigma}`);
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`instance noise steps must be a positive integer, got ${steps}`);
  }
  return sigma * Math.max(0, 1 - step / steps);
}

/**
 * Images plus Gaussian noise, `x + sigma * torch.randn_like(x)`, differentiable in `x`. With sigma 0 it
 * draws nothing and returns a new handle to `images`.
 *
 * @param images any shape
 * @param sigma the noise's standard deviation
 * @returns a new tensor; the caller disposes it
 * @example
 * ```ts
 * import { addInstanceNoise } from "@gan/dcgan/gan";
 * import { zeros } from "@gan/dcgan";
 * using noisy = addInstanceNoise(zeros([2, 3, 8, 8]), 0.1);
 * ```
 */
export function addInstanceNoise(images: Tensor, sigma: number): Tensor {
  if (sigma === 0) return images.ref();
  using noise = randn(images.shape, { dtype: images.dtype, device: images.device });
  using scaled = noise.mul(sigma);
  return images.add(scaled);
}
