/**
 * The one config of a training run: {@linkcode TRAIN_FIELDS} declares each setting once, with its flag,
 * alias, default (those of the PyTorch DCGAN example, with nz 128; WGAN-GP's paper settings with
 * `--loss wgan-gp`), check, help line and resume rule. The flags parse straight into
 * {@linkcode TrainConfig}, the trainer takes it as it is, and `--resume` merges it by the rule.
 *
 * @module
 */

import {
  checkValues,
  ConfigError,
  DEVICE,
  type FlagSpec,
  formatHelp,
  integerIn,
  NON_EMPTY_PATH,
  NON_NEGATIVE_INTEGER,
  numberWhere,
  oneOf,
  parseFlags,
  PATH,
  POSITIVE_INTEGER,
  SWITCH,
  TEXT,
  withDefaults,
} from "../cli/flags.ts";
import type { Device } from "../../ops/device.ts";
import { type Arch, ARCHS } from "../../models/dcgan/networks.ts";
import { type Augmentation, parseAugmentPolicy } from "./augment.ts";
import { GAN_LOSSES, type GanLoss } from "./losses.ts";
import {
  DEFAULT_RECIPE,
  RECIPE_NAMES,
  recipeDefault,
  recipeDefaultText,
  type RecipeName,
  RECIPES,
  settingOf,
} from "./recipes.ts";

// ConfigError lives with the flag parsing it reports on; mod.ts and the tasks take it from here.
export { ConfigError };

/** Everything that configures a training run; saved into the run folder as config.json. */
export interface TrainConfig {
  /** The named set of defaults the other settings start from (see ./recipes.ts). */
  recipe: RecipeName;
  /** Image folder, `fashion-mnist`, or undefined for the default emoji set. */
  data?: string;
  /** Emoji category filter (e.g. "Smileys & Emotion"), default set only. */
  category?: string;
  /** Passes over the data. */
  epochs: number;
  /** Images per step. */
  batchSize: number;
  /** Side of the square images: 32, 64 or 128. */
  imageSize: number;
  /** Latent size. */
  nz: number;
  /** Generator width. */
  ngf: number;
  /** Discriminator width. */
  ndf: number;
  /** Adam learning rate of both networks (unless lrD / lrG say otherwise). */
  lr: number;
  /** D's Adam learning rate (TTUR); default lr. */
  lrD: number;
  /** G's Adam learning rate (TTUR); default lr. */
  lrG: number;
  /** Adam beta1 of both networks. */
  beta1: number;
  /** Adam beta2 of both networks. */
  beta2: number;
  /** The GAN loss. */
  loss: GanLoss;
  /** D (critic) updates per G update. */
  nCritic: number;
  /** D's target for real images with bce and lsgan: 1, or e.g. 0.9 (one-sided label smoothing). */
  labelSmoothing: number;
  /** Capacity of the replay buffer of past fakes shown to D (0: no replay). */
  replay: number;
  /** Decay of the moving average of G's weights used for the sample grids (0: none). */
  ema: number;
  /** Train a conditional DCGAN on the data set's class labels. */
  conditional: boolean;
  /** The networks: the DCGAN, or the seeds' MLP GAN or MNIST case-study networks (32x32). */
  arch: Arch;
  /** Spectral norm on every layer of D (which then has no BatchNorm). */
  spectralNorm: boolean;
  /** Spectral norm on every layer of G too. */
  spectralNormG: boolean;
  /** A SAGAN self-attention block in G and D at this resolution (0: none). */
  attention: number;
  /** ProGAN's minibatch standard deviation layer before D's last layer. */
  minibatchStd: boolean;
  /** Dropout probability after each of D's LeakyReLUs (0: none). */
  dDropout: number;
  /** DiffAugment's policy for every image D sees (empty: none). */
  augment: Augmentation[];
  /** Instance noise sigma on every image D sees, annealed linearly to 0 over the run (0: none). */
  instanceNoise: number;
  /** Probability of swapping each of D's targets (bce and lsgan; 0: none). */
  labelFlip: number;
  /** D's target for fakes with bce and lsgan: 0, or e.g. 0.1 (two-sided label smoothing). */
  fakeLabel: number;
  /** R1 penalty weight gamma on D's gradient at real images (0: none). */
  r1: number;
  /** G matches the mean of D's last hidden features on real images instead of fooling D. */
  featureMatching: boolean;
  /** StyleGAN2's ema_rampup: warm-up of the EMA of G for short runs (0: none). */
  emaRampup: number;
  /** Where the networks live. */
  device: Device;
  /** Lay out weights and images as channels_last (NHWC). */
  channelsLast: boolean;
  /** Autocast dtype of the networks, CPU or CUDA: "off", "bf16" or "fp16" (fp16 on the CPU: libtorch 2.4+). */
  amp: "off" | "bf16" | "fp16";
  /** Run each step as a replay of one captured CUDA graph. */
  cudaGraph: boolean;
  /** Run folder for checkpoints, grids, metrics. */
  out: string;
  /** Continue the run in `out` from its checkpoint. */
  resume: boolean;
  /** Remove the run files in `out` first (without it, a folder that holds a run is refused). */
  overwrite: boolean;
  /** Seed of weights, noise and shuffling. */
  seed: number;
  /** One step of one epoch, then stop (a smoke test). */
  dryRun: boolean;
  /** Stop after this many steps in all (0: no limit). */
  maxSteps: number;
  /** Print a log line every this many steps. */
  logEvery: number;
  /** Score the sampling generator's FID and KID every this many steps (0: never); see ./train_eval.ts. */
  evalEvery: number;
  /** Samples (and real images) each eval scores. */
  evalSamples: number;
  /** Inception-v3 weights (safetensors) for the evals' features; undefined: the F-MNIST classifier. */
  inception?: string;
}

/**
 * What `--resume` does with a setting: `"checkpoint"` keeps the value saved with the run (the networks'
 * shapes, the data, the variant, the seed), `"flag"` takes the value of this command line (how long to
 * run, where, how fast).
 */
export type ResumeRule = "checkpoint" | "flag";

/** One row of {@linkcode TRAIN_FIELDS}: the setting's flag spec and its resume rule. */
export interface TrainField<T> extends FlagSpec<T, TrainConfig> {
  /** What `--resume` does with it. */
  readonly resume: ResumeRule;
}

/** The settings a loss brings when its flags are not given: WGAN-GP's paper uses its own. */
const LOSS_DEFAULTS: Record<GanLoss, { lr: number; beta1: number; beta2: number; nCritic: number }> = {
  bce: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  lsgan: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  hinge: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  "wgan-gp": { lr: 1e-4, beta1: 0, beta2: 0.9, nCritic: 5 },
};

/** The most epochs one run may ask for (the seed trains 25). */
const MAX_EPOCHS = 100_000;
/** The most samples one eval while training may score (`deno task eval` is the place for more). */
const MAX_EVAL_SAMPLES = 50_000;
/** The largest batch: 4,096 images of 128x128 are 0.8 GB as float32 input alone. */
const MAX_BATCH_SIZE = 4096;

const UNIT_RATE = (example: string) =>
  numberWhere((n) => n >= 0 && n < 1, `a number in [0, 1), e.g. ${example}`);

/** A run folder named after the data and the time: `runs/emoji-20260101-120000`. */
function defaultOut(config: TrainConfig): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  const data = config.data === undefined
    ? "emoji"
    : config.data.replace(/\/+$/, "").split("/").pop() || "data";
  return `runs/${data}-${stamp}`;
}

/** The loss as the defaults resolve it: the flag's, else the recipe's, else bce. */
function lossOf(config: TrainConfig): GanLoss {
  return settingOf(config, "loss", "bce");
}

/** A row's default that recipes may change, with its `--help` text. */
function fromRecipe<K extends keyof TrainConfig>(field: K, base: TrainConfig[K]) {
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

/**
 * Why a run cannot be scored while training, if it cannot: the shipped classifier scores Fashion-MNIST
 * only, Inception-v3 (`inception`) any data.
 *
 * @param config `data` and `inception`
 * @param name how to name a setting; default its flag (`--inception`)
 * @returns the reason, naming the flag to pass; undefined when the run can be scored
 * @example
 * ```ts
 * import { evalRefusal } from "./config.ts";
 * console.log(evalRefusal({ data: "fashion-mnist" })); // undefined
 * ```
 */
export function evalRefusal(
  config: Pick<TrainConfig, "data" | "inception">,
  name: (field: string) => string = (field) => `--${TRAIN_FIELDS[field as keyof TrainConfig].flag}`,
): string | undefined {
  if (config.inception !== undefined || config.data === "fashion-mnist") return undefined;
  return `${name("evalEvery")} scores samples in a feature network's features, and only ${name("data")} ` +
    `fashion-mnist has one that ships with the package: pass ${name("inception")} PATH (Inception-v3 ` +
    `weights as safetensors) for this data, or drop ${name("evalEvery")}`;
}

/** Refuses a GPU-only setting on the CPU. */
function gpuOnly(field: string) {
  return (on: unknown, config: TrainConfig, name: (field: string) => string) =>
    on && on !== "off" && config.device === "cpu"
      ? `${name(field)} runs on the GPU: add ${name("device")} cuda, or drop it`
      : undefined;
}

/**
 * Every training setting, once: flag, alias, kind (how it is read and checked), default, help line and
 * resume rule. A new option is a new row here (and the code that uses it).
 */
export const TRAIN_FIELDS = {
  recipe: {
    flag: "recipe",
    short: "r",
    kind: oneOf(RECIPE_NAMES),
    default: DEFAULT_RECIPE,
    help: RECIPE_NAMES.map((name) => `${name}: ${RECIPES[name].summary}`).join("; "),
    resume: "checkpoint",
  },
  data: {
    flag: "data",
    short: "d",
    kind: PATH,
    help: "image folder, or fashion-mnist (default: the Twitter emoji set)",
    resume: "checkpoint",
  },
  category: {
    flag: "category",
    kind: TEXT,
    help: 'emoji category of the default set, e.g. "Smileys & Emotion"',
    resume: "checkpoint",
  },
  epochs: {
    flag: "epochs",
    kind: integerIn(1, MAX_EPOCHS),
    ...fromRecipe("epochs", 25),
    help: "passes over the data",
    resume: "flag",
  },
  batchSize: {
    flag: "batch-size",
    short: "b",
    kind: integerIn(1, MAX_BATCH_SIZE),
    ...fromRecipe("batchSize", 128),
    help: "images per step",
    resume: "checkpoint",
  },
  imageSize: {
    flag: "image-size",
    kind: numberWhere((n) => n === 32 || n === 64 || n === 128, "32, 64 or 128"),
    default: 64,
    help: "image side: 32, 64 or 128",
    resume: "checkpoint",
  },
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
    default: 0,
    help: "R1 penalty gamma on D's gradient at real images (0: none)",
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
  device: { flag: "device", kind: DEVICE, default: "cpu", help: "cpu, cuda or cuda:N", resume: "flag" },
  channelsLast: {
    flag: "channels-last",
    kind: SWITCH,
    help: "channels_last (NHWC) weights and images",
    resume: "flag",
  },
  amp: {
    flag: "amp",
    kind: oneOf(["off", "bf16", "fp16"], "off, bf16 or fp16"),
    default: "off",
    help: "autocast dtype of the networks: off, bf16 or fp16 (fp16 on the CPU needs libtorch 2.4+)",
    resume: "flag",
  },
  cudaGraph: {
    flag: "cuda-graph",
    kind: SWITCH,
    help: "capture the whole step as one CUDA graph and replay it (CUDA only)",
    resume: "flag",
    conflict: gpuOnly("cudaGraph"),
  },
  out: {
    flag: "out",
    short: "o",
    kind: NON_EMPTY_PATH,
    default: defaultOut,
    defaultText: "runs/<data>-<time>",
    help: "run folder",
    resume: "flag",
  },
  resume: {
    flag: "resume",
    kind: SWITCH,
    help: "continue the run in --out from its checkpoint",
    resume: "flag",
  },
  overwrite: {
    flag: "overwrite",
    kind: SWITCH,
    help: "replace the run in --out (its run files) instead of refusing the folder",
    resume: "flag",
    conflict: (overwrite, config, name) =>
      overwrite && config.resume
        ? `${name("resume")} continues the run in ${name("out")} and ${
          name("overwrite")
        } deletes it: pass one`
        : undefined,
  },
  seed: {
    flag: "seed",
    short: "s",
    kind: NON_NEGATIVE_INTEGER,
    default: 999,
    help: "random seed (weights, noise, shuffling)",
    resume: "checkpoint",
  },
  dryRun: { flag: "dry-run", kind: SWITCH, help: "one step, then stop (smoke test)", resume: "flag" },
  maxSteps: {
    flag: "max-steps",
    kind: NON_NEGATIVE_INTEGER,
    ...fromRecipe("maxSteps", 0),
    help: "stop after this many steps (0: no limit)",
    resume: "flag",
  },
  logEvery: {
    flag: "log-every",
    kind: POSITIVE_INTEGER,
    default: 50,
    help: "log a line every N steps",
    resume: "flag",
  },
  evalEvery: {
    flag: "eval-every",
    kind: NON_NEGATIVE_INTEGER,
    default: 0,
    help: "every N steps, FID and KID of the sampling generator (kept best: generator_best.safetensors; " +
      "0: off); needs --data fashion-mnist or --inception",
    resume: "flag",
    conflict: (every, config, name) => every > 0 ? evalRefusal(config, name) : undefined,
  },
  evalSamples: {
    flag: "eval-samples",
    kind: integerIn(2, MAX_EVAL_SAMPLES),
    default: 2000,
    help: "samples (and real images) each --eval-every scores",
    resume: "flag",
  },
  inception: {
    flag: "inception",
    kind: PATH,
    help: "Inception-v3 weights (safetensors) for --eval-every on any data (default: the F-MNIST classifier)",
    resume: "flag",
  },
} as const satisfies { readonly [K in keyof TrainConfig]-?: TrainField<TrainConfig[K]> };

/**
 * The `--help` text, listing every flag with its default.
 *
 * @returns the help text
 * @example
 * ```ts
 * import { trainHelp } from "./config.ts";
 * console.log(trainHelp());
 * ```
 */
export function trainHelp(): string {
  return formatHelp(TRAIN_FIELDS, {
    usage: "deno task train [flags]",
    description: "Trains a DCGAN (PyTorch's example, in Deno).",
  });
}

/**
 * Parses and validates the training flags.
 *
 * @param args command-line arguments (without the program name)
 * @returns the config, or `undefined` when `--help` was asked for
 * @throws {ConfigError} for a bad or unknown flag, naming it and the fix
 * @example
 * ```ts
 * import { parseTrainArgs } from "./config.ts";
 * const config = parseTrainArgs(["--epochs", "1", "--batch-size", "16"]);
 * ```
 */
export function parseTrainArgs(args: string[]): TrainConfig | undefined {
  return parseFlags(TRAIN_FIELDS, args);
}

/**
 * Fills in what a partial config lacks with the table's defaults: a run checkpoint's config.json from
 * before a setting existed, or a library caller's few settings.
 *
 * @param partial a config, possibly from an older run; undefined fields count as missing
 * @returns the config with every field
 * @example
 * ```ts
 * import { completeConfig } from "./config.ts";
 * const config = completeConfig({ epochs: 1, loss: "wgan-gp" });
 * console.log(config.nCritic); // 5
 * ```
 */
export function completeConfig(partial: Partial<TrainConfig>): TrainConfig {
  return withDefaults(TRAIN_FIELDS, partial) as unknown as TrainConfig;
}

/**
 * The config a `--resume` runs with: each setting from the checkpoint or from this command line, as its
 * row's {@linkcode ResumeRule} says; what an older checkpoint lacks takes the table's default.
 *
 * @param saved the config saved with the run
 * @param given the config of this command line
 * @returns the merged config
 * @example
 * ```ts
 * import { completeConfig, resumeConfig } from "./config.ts";
 * const merged = resumeConfig({ nz: 16, epochs: 3 }, completeConfig({ nz: 64, epochs: 9, resume: true }));
 * console.log(merged.nz, merged.epochs); // 16 9
 * ```
 */
export function resumeConfig(saved: Partial<TrainConfig>, given: TrainConfig): TrainConfig {
  // a run saved before recipes existed ran the seed's defaults (and its flags, which it saved)
  if (saved.recipe === undefined) saved = { ...saved, recipe: "seed" };
  const recipe = saved.recipe!;
  const merged: Partial<Record<string, unknown>> = {};
  for (const [field, spec] of Object.entries(TRAIN_FIELDS)) {
    const from = spec.resume === "flag" ? given : saved;
    let value = (from as Record<string, unknown>)[field];
    // a flag left at its default takes the run's recipe's default (a seed run resumes for its 25 epochs,
    // not the default recipe's length); a value given on this command line wins
    const fallback: unknown = (spec as { default?: unknown }).default;
    if (spec.resume === "flag" && recipe !== given.recipe && typeof fallback === "function") {
      const computed = fallback as (config: TrainConfig) => unknown;
      if (value === computed(given)) value = computed({ ...given, recipe });
    }
    merged[field] = value;
  }
  return completeConfig(merged);
}

/**
 * Checks a config's values with the table's checks (for callers that did not parse flags, such as the
 * trainer's constructor), naming each setting by its field.
 *
 * @param config the settings
 * @throws {RangeError} `ema must be a number in [0, 1), e.g. 0.999, got 1` for the first refused value
 * @example
 * ```ts
 * import { checkTrainConfig, completeConfig } from "./config.ts";
 * checkTrainConfig(completeConfig({ ema: 0.999 }));
 * ```
 */
export function checkTrainConfig(config: TrainConfig): void {
  const problem = checkValues(TRAIN_FIELDS, config as unknown as Record<string, unknown>, (field) => field);
  if (problem) throw new RangeError(problem);
}
