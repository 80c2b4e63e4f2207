/**
 * The training-side stabilisers as `DcganTrainer` options, all off by default (then the step is
 * the seed's, op for op and draw for draw), each combinable with the others:
 *
 * | option            | flag                 | what changes in the step                                |
 * | ----------------- | -------------------- | ------------------------------------------------------- |
 * | `augment`         | `--augment POLICY`   | DiffAugment on every image D sees (./augment.ts)        |
 * | `instanceNoise`   | `--instance-noise S` | noise on every image D sees, to 0 over `totalSteps`     |
 * | `fakeLabel`       | two-sided smoothing  | D's target for fakes, e.g. 0.1 (`bce`, `lsgan`)         |
 * | `labelFlip`       | `--label-flip P`     | each of D's targets swapped with probability P          |
 * | `r1`              | `--r1 GAMMA`         | D's loss + gamma/2 E‖∇x D(x)‖² on the real batch        |
 * | `r1Every`         | `--r1-every N`       | R1 on every Nth step only, times N (lazy, StyleGAN2)    |
 * | `featureMatching` | `--feature-matching` | G's loss: feature matching on D's last hidden layer     |
 * | `emaRampup`       | `--ema-rampup R`     | StyleGAN2's warm-up of the average of G (./ema.ts)      |
 *
 * Label noise and instance noise are in ./label_noise.ts, R1 and feature matching in ./regularizers.ts.
 *
 * What D sees is `augment(images + sigma_t * noise)`: the noise first (it blurs the data distribution),
 * then the augmentation (part of D), for real and fake images in D's and G's updates, and for the
 * gradient penalty's interpolates. R1's gradient is taken with respect to the images before both, so
 * it runs through them, as StyleGAN2-ADA's.
 *
 * The random draws, in step order: D's real pass (noise, augmentation), the real targets' flips, the
 * latent noise, D's fake pass, the fake targets' flips, then G's pass; with feature matching, G's pass
 * runs D on the real batch first, then on the fakes.
 *
 * @module
 */

import type { Tensor } from "../../ops/tensor.ts";
import { type Augmentation, diffAugment } from "./augment.ts";
import { emaDecay } from "./ema.ts";
import {
  addInstanceNoise,
  checkLabelNoise,
  discriminatorTargets,
  type InstanceNoiseOptions,
  instanceNoiseSigma,
} from "./label_noise.ts";
import type { GanLoss } from "./losses.ts";

/** The stabilisers of `DcganTrainer`'s step; every one off when left out. */
export interface StabiliserOptions {
  /** DiffAugment's policy for every image D sees, e.g. `["color", "translation", "cutout"]`; default none. */
  augment?: readonly Augmentation[];
  /** Instance noise on every image D sees: sigma at the first step, falling linearly to 0 over totalSteps. */
  instanceNoise?: number;
  /** The run's length in steps, which the instance noise anneals over (the train loop knows it). */
  totalSteps?: number;
  /** D's target for fakes with `bce` and `lsgan`; default 0 (0.1 with realLabel 0.9: two-sided smoothing). */
  fakeLabel?: number;
  /** Probability that each of D's targets is swapped for the other class's (`bce`, `lsgan`); default 0. */
  labelFlip?: number;
  /** R1 penalty weight gamma on D's gradient at the real images; default 0 (off). */
  r1?: number;
  /**
   * R1 on D's steps 1, 1 + r1Every, ... only, weighted by r1Every (StyleGAN2's lazy regularization, which
   * keeps the penalty's average and costs 1/r1Every of it); default 1 (every step).
   */
  r1Every?: number;
  /**
   * G minimizes feature matching on D's last hidden layer instead of its adversarial loss; the
   * discriminator must offer `forwardWithFeatures` (./regularizers.ts). Default false.
   */
  featureMatching?: boolean;
  /** StyleGAN2's `ema_rampup` for the average of G (with `ema`), 0.05 there; default 0 (no warm-up). */
  emaRampup?: number;
}

/**
 * Checks the stabilisers' settings against the loss, once, before training.
 *
 * @param options the stabilisers, with D's real target (`realLabel`)
 * @param loss the GAN loss
 * @throws {RangeError} naming the setting that is out of range or that the loss cannot use
 * @example
 * ```ts
 * import { checkStabilisers } from "./stabilisers.ts";
 * checkStabilisers({ labelFlip: 0.05, r1: 10 }, "bce");
 * ```
 */
export function checkStabilisers(options: StabiliserOptions & { realLabel?: number }, loss: GanLoss): void {
  // r1's and emaRampup's ranges are the train table's checks, run just before this one
  const { fakeLabel = 0, labelFlip = 0, instanceNoise = 0, r1Every = 1 } = options;
  if (r1Every !== 1 && !options.r1) {
    throw new RangeError(`--r1-every ${r1Every} spaces out the R1 penalty: give its weight too, e.g. --r1 1`);
  }
  checkLabelNoise({ realLabel: options.realLabel, fakeLabel, flip: labelFlip });
  if ((fakeLabel !== 0 || labelFlip !== 0) && loss !== "bce" && loss !== "lsgan") {
    throw new RangeError(
      `--loss ${loss} has no targets to smooth or flip: use --loss bce or lsgan, ` +
        "or leave out the fake label and flips",
    );
  }
  if (instanceNoise !== 0) {
    if (options.totalSteps === undefined) {
      throw new RangeError("Instance noise anneals over the run: pass totalSteps, the run's length in steps");
    }
    instanceNoiseSigma(noiseSchedule(options), 0);
  }
}

function noiseSchedule(options: StabiliserOptions): InstanceNoiseOptions {
  return { sigma: options.instanceNoise ?? 0, steps: options.totalSteps ?? 1 };
}

/**
 * The images as D sees them at a step: `augment(images + sigma_t * noise)`, each part only when on.
 *
 * @param images (N, C, H, W)
 * @param options the stabilisers
 * @param step steps taken before this one (anneals the instance noise)
 * @returns a new tensor (a new handle to `images` when both are off); the caller disposes it
 * @example
 * ```ts
 * import { discriminatorInput } from "./stabilisers.ts";
 * import { zeros } from "@gan/dcgan";
 * using seen = discriminatorInput(zeros([2, 3, 8, 8]), { augment: ["cutout"] }, 0);
 * ```
 */
export function discriminatorInput(images: Tensor, options: StabiliserOptions, step: number): Tensor {
  const sigma = options.instanceNoise ? instanceNoiseSigma(noiseSchedule(options), step) : 0;
  using noisy = addInstanceNoise(images, sigma);
  return diffAugment(noisy, options.augment ?? []);
}

/**
 * D's target for a batch: the plain number when no flips are asked for (the losses then fill it as
 * before), per-image targets drawn with the flips otherwise.
 *
 * @param options the stabilisers, with D's real target
 * @param real whether the batch is real images
 * @param output D's output on the batch (N): gives the size and device
 * @returns the target, for ./losses.ts's D losses; a tensor is the caller's to dispose
 * @example
 * ```ts
 * import { discriminatorTarget } from "./stabilisers.ts";
 * import { zeros } from "@gan/dcgan";
 * console.log(discriminatorTarget({ realLabel: 0.9 }, true, zeros([4]))); // 0.9
 * ```
 */
export function discriminatorTarget(
  options: StabiliserOptions & { realLabel?: number },
  real: boolean,
  output: Tensor,
): number | Tensor {
  const { realLabel = 1, fakeLabel = 0, labelFlip = 0 } = options;
  if (labelFlip === 0) return real ? realLabel : fakeLabel;
  return discriminatorTargets(
    output.shape[0]!,
    real,
    { realLabel, fakeLabel, flip: labelFlip },
    output.device,
  );
}

/**
 * The average's decay for a generator update, with the warm-up when `emaRampup` is set.
 *
 * @param options the stabilisers
 * @param decay the `ema` decay
 * @param updates generator updates before this one
 * @returns the decay for ./ema.ts's `emaUpdate`
 * @example
 * ```ts
 * import { stepEmaDecay } from "./stabilisers.ts";
 * console.log(stepEmaDecay({ emaRampup: 0.05 }, 0.999, 0)); // 0
 * ```
 */
export function stepEmaDecay(options: StabiliserOptions, decay: number, updates: number): number {
  return emaDecay(decay, updates, options.emaRampup ?? 0);
}
