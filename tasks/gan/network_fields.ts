/**
 * The train table's rows for the networks, the optimizers, the loss and the stabilisers (./config.ts
 * holds the rest: data, length, device, run folder). Defaults a recipe may change read it through
 * ./recipes.ts.
 *
 * @module
 */

import { NON_NEGATIVE_INTEGER, numberWhere, oneOf, POSITIVE_INTEGER, SWITCH } from "../cli/flags.ts";
import { ARCHS } from "../../models/dcgan/networks.ts";
import { type Augmentation, parseAugmentPolicy } from "./augment.ts";
import type { TrainConfig, TrainField } from "./config_type.ts";
import { GAN_LOSSES, type GanLoss } from "./losses.ts";
import { recipeDefault, recipeDefaultText, settingOf } from "./recipes.ts";

/** The settings a loss brings when its flags are not given: WGAN-GP's paper uses its own. */
const LOSS_DEFAULTS: Record<GanLoss, { lr: number; beta1: number; beta2: number; nCritic: number }> = {
  bce: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  lsgan: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  hinge: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  "wgan-gp": { lr: 1e-4, beta1: 0, beta2: 0.9, nCritic: 5 },
};
export const UNIT_RATE = (example: string) =>
  numberWhere((n) => n >= 0 && n < 1, `a number in [0, 1), e.g. ${example}`);

/** The loss as the defaults resolve it: the flag's, else the recipe's, else bce. */
function lossOf(config: TrainConfig): GanLoss {
  return settingOf(config, "loss", "bce");
}

/** A row's default that recipes may change, with its `--help` text. */
export function fromRecipe<K extends keyof TrainConfig>(field: K, base: TrainConfig[K]) {
  return { default: recipeDefault(field, base), defaultText: recipeDefaultText(field, String(base)) };
}

/** DiffAugment's policy: a comma-separated list, or "none". */
const AUGMENT_POLICY = {
  expected: 'a comma-separated list of color, translation, cutout, or "none"',
  placeholder: "<list>",
  read: (raw: string) => {
    try {
      return raw === "none" ? [] : parseAugmentPolicy(raw);
    } catch {
      return undefined;
    }
  },
  check: (value: Augmentation[]) => Array.isArray(value),
};

const NON_NEGATIVE = (example: string) => numberWhere((n) => n >= 0, `a number >= 0, e.g. ${example}`);

/** The rows for the networks, the optimizers, the loss and the stabilisers, in `--help` order. */
export const NETWORK_FIELDS = {
  nz: {
    flag: "nz",
    kind: POSITIVE_INTEGER,
    default: 128,
    help: "size of the latent vector z",
    resume: "checkpoint",
  },
  ngf: {
    flag: "ngf",
    kind: POSITIVE_INTEGER,
    ...fromRecipe("ngf", 64),
    help: "generator feature maps",
    resume: "checkpoint",
  },
  ndf: {
    flag: "ndf",
    kind: POSITIVE_INTEGER,
    ...fromRecipe("ndf", 64),
    help: "discriminator feature maps",
    resume: "checkpoint",
  },
  lr: {
    flag: "lr",
    kind: numberWhere((n) => n > 0 && n < 1, "a number in (0, 1), e.g. 0.0002"),
    default: recipeDefault("lr", (config) => LOSS_DEFAULTS[lossOf(config)].lr),
    defaultText: "0.0002; 0.0001 with --loss wgan-gp",
    help: "Adam learning rate of both networks",
    resume: "checkpoint",
  },
  lrD: {
    flag: "lr-d",
    kind: numberWhere((n) => n > 0 && n < 1, "a number in (0, 1), e.g. 0.0004"),
    default: recipeDefault("lrD", (config) => config.lr),
    defaultText: "--lr",
    help: "D's Adam learning rate (two time-scale update rule)",
    resume: "checkpoint",
  },
  lrG: {
    flag: "lr-g",
    kind: numberWhere((n) => n > 0 && n < 1, "a number in (0, 1), e.g. 0.0001"),
    default: recipeDefault("lrG", (config) => config.lr),
    defaultText: "--lr",
    help: "G's Adam learning rate (two time-scale update rule)",
    resume: "checkpoint",
  },
  beta1: {
    flag: "beta1",
    kind: UNIT_RATE("0.5"),
    default: recipeDefault("beta1", (config) => LOSS_DEFAULTS[lossOf(config)].beta1),
    defaultText: "0.5; 0 with --loss wgan-gp",
    help: "Adam beta1",
    resume: "checkpoint",
  },
  beta2: {
    flag: "beta2",
    kind: UNIT_RATE("0.999"),
    default: recipeDefault("beta2", (config) => LOSS_DEFAULTS[lossOf(config)].beta2),
    defaultText: "0.999; 0.9 with --loss wgan-gp",
    help: "Adam beta2",
    resume: "checkpoint",
  },
  loss: {
    flag: "loss",
    kind: oneOf(GAN_LOSSES),
    ...fromRecipe("loss", "bce"),
    help: "GAN loss: bce (the seed's), lsgan, hinge or wgan-gp",
    resume: "checkpoint",
  },
  nCritic: {
    flag: "n-critic",
    kind: POSITIVE_INTEGER,
    default: recipeDefault("nCritic", (config) => LOSS_DEFAULTS[lossOf(config)].nCritic),
    defaultText: "1; 5 with --loss wgan-gp",
    help: "D (critic) updates per G update",
    resume: "checkpoint",
  },
  labelSmoothing: {
    flag: "label-smoothing",
    kind: numberWhere((n) => n > 0 && n <= 1, "a number in (0, 1], e.g. 0.9"),
    default: 1,
    help: "D's target for real images, e.g. 0.9 (one-sided; bce and lsgan)",
    resume: "checkpoint",
    conflict: (target, config, name) =>
      target !== 1 && config.loss !== "bce" && config.loss !== "lsgan"
        ? `${name("labelSmoothing")} sets the real target of bce and lsgan; ${name("loss")} ${config.loss} ` +
          "has no target: drop one of them"
        : undefined,
  },
  replay: {
    flag: "replay",
    kind: NON_NEGATIVE_INTEGER,
    default: 0,
    help: "replay buffer of K past fakes shown to D (0: off)",
    resume: "checkpoint",
  },
  ema: {
    flag: "ema",
    kind: UNIT_RATE("0.999"),
    ...fromRecipe("ema", 0),
    help: "moving average of G's weights, e.g. 0.999 (0: off)",
    resume: "checkpoint",
  },
  conditional: {
    flag: "conditional",
    kind: SWITCH,
    help: "conditional DCGAN on the data's class labels (e.g. --data fashion-mnist)",
    resume: "checkpoint",
  },
  arch: {
    flag: "arch",
    kind: oneOf(ARCHS),
    default: "dcgan",
    help: "networks: dcgan, or the seeds' mlp and mnist (32x32, e.g. --data fashion-mnist --image-size 32)",
    resume: "checkpoint",
  },
  spectralNorm: {
    flag: "spectral-norm",
    kind: SWITCH,
    ...fromRecipe("spectralNorm", false),
    help: "spectral norm on every layer of D, which then has no BatchNorm",
    resume: "checkpoint",
  },
  spectralNormG: {
    flag: "spectral-norm-g",
    kind: SWITCH,
    help: "spectral norm on every layer of G too",
    resume: "checkpoint",
  },
  attention: {
    flag: "attention",
    kind: NON_NEGATIVE_INTEGER,
    default: 0,
    help: "SAGAN self-attention in G and D at this resolution, e.g. 16 (0: none)",
    resume: "checkpoint",
    conflict: (size, config, name) =>
      size !== 0 && !(size >= 8 && size < config.imageSize && Number.isInteger(Math.log2(size)))
        ? `${name("attention")} must be 0 or a power of two from 8 below ${name("imageSize")} ` +
          `${config.imageSize}, got ${size}`
        : undefined,
  },
  minibatchStd: {
    flag: "minibatch-std",
    kind: SWITCH,
    help: "ProGAN's minibatch standard deviation layer before D's last layer",
    resume: "checkpoint",
  },
  dDropout: {
    flag: "d-dropout",
    kind: UNIT_RATE("0.3"),
    default: 0,
    help: "dropout after each of D's LeakyReLUs (0: none)",
    resume: "checkpoint",
  },
  augment: {
    flag: "augment",
    kind: AUGMENT_POLICY,
    default: recipeDefault("augment", []),
    defaultText: recipeDefaultText("augment", "none"),
    help: "DiffAugment on every image D sees, real and fake: color,translation,cutout",
    resume: "checkpoint",
  },
  instanceNoise: {
    flag: "instance-noise",
    kind: NON_NEGATIVE("0.1"),
    default: 0,
    help: "instance noise sigma on D's inputs, annealed to 0 over the run (0: none)",
    resume: "checkpoint",
  },
  labelFlip: {
    flag: "label-flip",
    kind: UNIT_RATE("0.05"),
    default: 0,
    help: "probability of swapping each of D's targets (bce and lsgan)",
    resume: "checkpoint",
  },
  fakeLabel: {
    flag: "fake-label",
    kind: UNIT_RATE("0.1"),
    default: 0,
    help: "D's target for fakes, e.g. 0.1 with --label-smoothing 0.9: two-sided smoothing (bce and lsgan)",
    resume: "checkpoint",
  },
  r1: {
    flag: "r1",
    kind: NON_NEGATIVE("10"),
    ...fromRecipe("r1", 0),
    help: "R1 penalty gamma on D's gradient at real images (0: none)",
    resume: "checkpoint",
  },
  r1Every: {
    flag: "r1-every",
    kind: POSITIVE_INTEGER,
    // `--r1 0` turns a recipe's lazy R1 off whole: its spacing goes with it
    default: (config) => settingOf(config, "r1", 0) > 0 ? recipeDefault("r1Every", 1)(config) : 1,
    defaultText: recipeDefaultText("r1Every", "1"),
    help: "R1 on every Nth D step only, weighted by N (StyleGAN2's lazy regularization, e.g. 16)",
    resume: "checkpoint",
  },
  featureMatching: {
    flag: "feature-matching",
    kind: SWITCH,
    help: "G matches the mean of D's last hidden features on real images",
    resume: "checkpoint",
  },
  emaRampup: {
    flag: "ema-rampup",
    kind: NON_NEGATIVE("0.05"),
    ...fromRecipe("emaRampup", 0),
    help: "StyleGAN2's EMA warm-up for short runs, e.g. 0.05 (with --ema; 0: none)",
    resume: "checkpoint",
  },
} as const satisfies { readonly [K in keyof TrainConfig]?: TrainField<TrainConfig[K]> };
