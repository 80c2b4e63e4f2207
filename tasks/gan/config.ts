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
  closestName,
  ConfigError,
  DEVICE,
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
import {
  bf16ByDefault,
  bf16DefaultText,
  DEFAULT_RECIPE_TEXT,
  defaultRecipe,
  RECIPE_NAMES,
} from "./recipes.ts";

// ConfigError lives with the flag parsing it reports on; mod.ts and the tasks take it from here.
export { ConfigError };

import type { TrainConfig, TrainField } from "./config_type.ts";
import { fromRecipe, NETWORK_FIELDS } from "./network_fields.ts";
import { DISTRIBUTED_FIELDS } from "./distributed_fields.ts";

export type { ResumeRule, TrainConfig, TrainField } from "./config_type.ts";

/** The most epochs one run may ask for (the seed trains 25). */
const MAX_EPOCHS = 100_000;
/** The most samples one eval while training may score (`deno task eval` is the place for more). */
const MAX_EVAL_SAMPLES = 50_000;
/** The largest batch: 4,096 images of 128x128 are 0.8 GB as float32 input alone. */
const MAX_BATCH_SIZE = 4096;
/** A run folder named after the data and the time: `runs/emoji-20260101-120000`. */
function defaultOut(config: TrainConfig): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  const data = config.data === undefined
    ? "emoji"
    : config.data.replace(/\/+$/, "").split("/").pop() || "data";
  return `runs/${data}-${stamp}`;
}

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

/** Refuses starting weights with `resume`, which takes the networks from the run's checkpoint. */
function startWeightsConflict(field: "netG" | "netD") {
  return (path: string | undefined, config: TrainConfig, name: (field: string) => string) =>
    path !== undefined && config.resume
      ? `${name(field)} starts a new run from saved weights and ${name("resume")} continues the run in ` +
        `${name("out")} from its checkpoint: pass one`
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
    default: (config: TrainConfig) => defaultRecipe(config.data),
    defaultText: DEFAULT_RECIPE_TEXT,
    help: "named defaults: seed (the notebook's loop), stable (spectral-norm D, hinge, DiffAugment, EMA), " +
      "small-data (stable with a BatchNorm D and lazy R1) or large-data (small-data without DiffAugment)",
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
  ...NETWORK_FIELDS,
  device: { flag: "device", kind: DEVICE, default: "cpu", help: "cpu, cuda or cuda:N", resume: "flag" },
  channelsLast: {
    flag: "channels-last",
    kind: SWITCH,
    default: (config) => bf16ByDefault(config),
    defaultText: bf16DefaultText("on", "off"),
    help: "channels_last (NHWC) weights and images",
    resume: "flag",
  },
  amp: {
    flag: "amp",
    kind: oneOf(["off", "bf16", "fp16"], "off, bf16 or fp16"),
    default: (config) => bf16ByDefault(config) ? "bf16" : "off",
    defaultText: bf16DefaultText("bf16", "off"),
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
  netG: {
    flag: "netG",
    kind: PATH,
    help: "start G from saved weights: generator.safetensors, a checkpoint.safetensors, a run folder, or " +
      "PyTorch's state dict as safetensors (a new run)",
    resume: "flag",
    conflict: startWeightsConflict("netG"),
  },
  netD: {
    flag: "netD",
    kind: PATH,
    help: "start D from saved weights: discriminator.safetensors, a checkpoint.safetensors, a run folder, " +
      "or PyTorch's state dict as safetensors (a new run)",
    resume: "flag",
    conflict: startWeightsConflict("netD"),
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
  saveEvery: {
    flag: "save-every",
    kind: NON_NEGATIVE_INTEGER,
    default: 0,
    help:
      "keep G's weights every N epochs as generator_epoch_NNN.safetensors (the EMA's with --ema; 0: none)",
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
  ...DISTRIBUTED_FIELDS,
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
 * The config that a library caller's settings make, as `deno task train` makes it from flags: the same
 * defaults (a recipe's among them, computed from the settings given, as {@linkcode parseTrainArgs} does)
 * and the same checks, naming each setting by its field.
 *
 * @param options the settings to set; undefined ones take their defaults
 * @returns the config with every field
 * @throws {ConfigError} for an unknown setting (naming the closest known one), a value out of range or two
 *   settings that conflict
 * @example
 * ```ts
 * import { resolveTrainConfig } from "@gan/dcgan";
 * const config = resolveTrainConfig({ data: "fashion-mnist", imageSize: 32 });
 * console.log(config.recipe, config.ngf, config.loss); // small-data 32 hinge
 * ```
 */
export function resolveTrainConfig(options: Partial<TrainConfig>): TrainConfig {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(TRAIN_FIELDS, key)) continue;
    const near = closestName(key, Object.keys(TRAIN_FIELDS));
    throw new ConfigError(
      `Unknown train setting "${key}": ${
        near ? `did you mean "${near}"?` : "see TrainConfig for the settings"
      }`,
    );
  }
  const config = completeConfig(options);
  const problem = checkValues(TRAIN_FIELDS, config as unknown as Record<string, unknown>, (field) => field);
  if (problem) throw new ConfigError(problem);
  return config;
}

/**
 * The settings a config gives rather than leaves to their defaults: `explicit` when the caller knows them
 * (the flags of a command line, see `settingsGiven` in ./resume_notes.ts), else each setting whose value
 * differs from the default the other settings give it (so `lrD`, which follows `lr`, is not counted when
 * only `lr` is set).
 *
 * @param config a whole config
 * @param explicit the settings given, when known
 * @returns the fields given
 * @example
 * ```ts
 * import { completeConfig, givenSettings } from "./config.ts";
 * console.log([...givenSettings(completeConfig({ recipe: "seed", lr: 1e-3 }))]); // ["recipe", "lr"]
 * ```
 */
export function givenSettings(config: TrainConfig, explicit?: ReadonlySet<string>): Set<keyof TrainConfig> {
  const fields = Object.keys(TRAIN_FIELDS) as (keyof TrainConfig)[];
  if (explicit) return new Set(fields.filter((field) => explicit.has(field)));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return new Set(
    fields.filter((field) => !same(config[field], completeConfig({ ...config, [field]: undefined })[field])),
  );
}

/**
 * The config a `--resume` runs with: each setting from the checkpoint or from this command line, as its
 * row's {@linkcode ResumeRule} says; what an older checkpoint lacks takes the table's default, and so does
 * a setting of this command line's that it does not give, computed from the run's settings (a seed run
 * resumes for the seed's 25 epochs, not the default recipe's length).
 *
 * @param saved the config saved with the run
 * @param given the config of this command line
 * @param explicit the settings this command line gives (default: see {@linkcode givenSettings})
 * @returns the merged config
 * @example
 * ```ts
 * import { completeConfig, resumeConfig } from "./config.ts";
 * const merged = resumeConfig({ nz: 16, epochs: 3 }, completeConfig({ nz: 64, epochs: 9, resume: true }));
 * console.log(merged.nz, merged.epochs); // 16 9
 * ```
 */
export function resumeConfig(
  saved: Partial<TrainConfig>,
  given: TrainConfig,
  explicit?: ReadonlySet<string>,
): TrainConfig {
  // a run saved before recipes existed ran the seed's defaults (and its flags, which it saved)
  if (saved.recipe === undefined) saved = { ...saved, recipe: "seed" };
  const flags = givenSettings(given, explicit);
  const merged: Partial<Record<string, unknown>> = {};
  for (const [field, spec] of Object.entries(TRAIN_FIELDS) as [keyof TrainConfig, TrainField<unknown>][]) {
    merged[field] = spec.resume === "checkpoint" ? saved[field] : flags.has(field) ? given[field] : undefined;
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
