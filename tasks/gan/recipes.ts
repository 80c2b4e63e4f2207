/**
 * Training recipes: named sets of defaults for the train config. A flag given on the command line always
 * wins; a setting neither the flag nor the recipe gives takes the table's plain default (the seed's).
 * `seed` is the notebook's loop op for op; the no-flag default is the recipe the measurements in
 * docs/recipes.md picked.
 *
 * @module
 */

import { cpuHasNativeBf16 } from "../../ops/cpu_features.ts";
import type { TrainConfig } from "./config.ts";

/** The recipes, by name. */
export const RECIPE_NAMES = ["seed", "stable", "small-data", "large-data"] as const;

/** A recipe's name. */
export type RecipeName = typeof RECIPE_NAMES[number];

/** The recipe a run uses when `--recipe` is not given, except on the large data sets {@linkcode defaultRecipe} names. */
export const DEFAULT_RECIPE: RecipeName = "small-data";

/**
 * The recipe a run uses when `--recipe` is not given: `large-data` for Fashion-MNIST (60,000 images),
 * `small-data` for the emoji set (3,786) and image folders. DiffAugment keeps D from overfitting a small
 * set; on a large one it only slows G down (docs/recipes.md has both measurements). A large folder of
 * images takes `--recipe large-data`.
 *
 * @param data the `--data` setting
 * @returns the recipe's name
 * @example
 * ```ts
 * import { defaultRecipe } from "./recipes.ts";
 * console.log(defaultRecipe("fashion-mnist"), defaultRecipe(undefined)); // large-data small-data
 * ```
 */
export function defaultRecipe(data: string | undefined): RecipeName {
  return data === "fashion-mnist" ? "large-data" : DEFAULT_RECIPE;
}

/** How `--help` shows the default recipe. */
export const DEFAULT_RECIPE_TEXT = `${DEFAULT_RECIPE}; large-data with --data fashion-mnist`;

/** What a recipe is for, and the settings it brings. */
export interface Recipe {
  /** One line for `--help` and the run log. */
  readonly summary: string;
  /** The defaults it sets; every other setting keeps the table's. */
  readonly settings: Readonly<Partial<TrainConfig>>;
  /**
   * Whether it trains in bf16 autocast and channels_last by default on a CPU that multiplies bf16
   * natively (about 2x the fp32 step there; docs/recipes.md has the quality figures).
   */
  readonly bf16OnCpu?: boolean;
}

/** What every recipe but the seed's shares: hinge loss, EMA of G with warm-up, half width, a run in steps. */
const HINGE_EMA_HALF_WIDTH: Readonly<Partial<TrainConfig>> = {
  loss: "hinge",
  ema: 0.999,
  emaRampup: 0.05,
  ngf: 32,
  ndf: 32,
  epochs: 100_000,
};

/**
 * StyleGAN2's lazy R1: the penalty at gamma 1 on every 16th D step, weighted by 16. It lowered the FID of
 * both data sets' defaults (emoji pixel FID 5.6 against 6.8-7.1, F-MNIST 42-44 against 63; docs/recipes.md)
 * for about a tenth more time.
 */
const LAZY_R1: Readonly<Partial<TrainConfig>> = { r1: 1, r1Every: 16 };

/** What the small-data and stable recipes share: DiffAugment on every D input, 9,000 steps at batch 64. */
const AUGMENTED: Readonly<Partial<TrainConfig>> = {
  ...HINGE_EMA_HALF_WIDTH,
  augment: ["color", "translation", "cutout"],
  batchSize: 64,
  maxSteps: 9000,
};

/** Every recipe. */
export const RECIPES: Readonly<Record<RecipeName, Recipe>> = {
  seed: {
    summary: "the seed notebook's DCGAN loop, op for op (BCE, BatchNorm D, 25 epochs at batch 128)",
    settings: {},
  },
  stable: {
    summary: "spectral-norm D without BatchNorm, hinge loss, DiffAugment on every D input, EMA of G with " +
      "warm-up, half-width networks at batch 64, 9,000 steps; bf16 and channels_last on a CPU with bf16",
    // Batch 32 for 13,500 steps (the same images, the same time) scored no better on the emoji set
    // (docs/recipes.md), so the emoji default keeps the batch it was measured with first. 9,000 steps:
    // what 30 minutes on the 2-core development machine hold (28 min 52 s measured, docs/recipes.md).
    settings: { ...AUGMENTED, spectralNorm: true },
    bf16OnCpu: true,
  },
  // The stable recipe with a BatchNorm D: more varied, more colourful emoji grids and a higher pixel recall,
  // a lower pixel precision (docs/recipes.md); with LAZY_R1, 9,000 steps took 22 min 9 s alone on the 2-core
  // machine (19 min 51 s without it).
  "small-data": {
    summary: "for small data sets (the default on the emoji set and image folders): BatchNorm D, hinge " +
      "loss, DiffAugment on every D input, lazy R1 (gamma 1 every 16th D step), EMA of G with warm-up, " +
      "half-width networks at batch 64, 9,000 steps; bf16 and channels_last on a CPU with bf16",
    settings: { ...AUGMENTED, ...LAZY_R1 },
    bf16OnCpu: true,
  },
  "large-data": {
    summary: "for large data sets (the default on Fashion-MNIST): the small-data recipe without " +
      "DiffAugment, at batch 32 for 13,500 steps",
    // Batch 32 beat batch 64 on Fashion-MNIST at the same images seen (FID 56-66 against 69, four runs).
    settings: { ...HINGE_EMA_HALF_WIDTH, ...LAZY_R1, batchSize: 32, maxSteps: 13_500 },
    bf16OnCpu: true,
  },
};

/**
 * A table default that a recipe may override: the recipe's value for `field` when it has one, else
 * `base` (a value, or computed from the other settings).
 *
 * @param field the setting
 * @param base the plain default
 * @returns the default, as a function of the settings (the recipe among them)
 * @example
 * ```ts
 * import { recipeDefault } from "./recipes.ts";
 * const ngf = recipeDefault("ngf", 64);
 * console.log(ngf({ recipe: "stable" } as never)); // 32
 * ```
 */
export function recipeDefault<K extends keyof TrainConfig>(
  field: K,
  base: TrainConfig[K] | ((config: TrainConfig) => TrainConfig[K]),
): (config: TrainConfig) => TrainConfig[K] {
  return (config) => {
    const value = RECIPES[config.recipe ?? defaultRecipe(config.data)]?.settings[field];
    if (value !== undefined) return value as TrainConfig[K];
    return typeof base === "function" ? (base as (config: TrainConfig) => TrainConfig[K])(config) : base;
  };
}

/**
 * A setting as the defaults resolve it, for a default computed from another setting that may itself be
 * a recipe's (e.g. lr from the loss): the given value, else the recipe's, else `fallback`.
 *
 * @param config the settings as given so far
 * @param field the setting to read
 * @param fallback the table's plain default
 * @returns the value
 */
export function settingOf<K extends keyof TrainConfig>(
  config: TrainConfig,
  field: K,
  fallback: TrainConfig[K],
): TrainConfig[K] {
  return config[field] ?? recipeDefault(field, fallback)(config);
}

/**
 * How `--help` shows a default that recipes change, recipes of one value together:
 * `128 (stable, small-data: 64; large-data: 32)`.
 *
 * @param field the setting
 * @param base the plain default as text
 * @returns the text
 */
export function recipeDefaultText(field: keyof TrainConfig, base: string): string {
  const byValue = new Map<string, string[]>();
  for (const name of RECIPE_NAMES) {
    const value = RECIPES[name].settings[field];
    if (value === undefined) continue;
    const text = String(value);
    byValue.set(text, [...(byValue.get(text) ?? []), name]);
  }
  const overrides = [...byValue].map(([value, names]) => `${names.join(", ")}: ${value}`);
  return overrides.length ? `${base} (${overrides.join("; ")})` : base;
}

/**
 * Whether a run's defaults are bf16 autocast and channels_last: its recipe asks for them on a CPU, the
 * device is the CPU, and the CPU multiplies bf16 natively (elsewhere bf16 is emulated and slower).
 *
 * @param config the settings as given so far (recipe and device among them)
 * @param nativeBf16 whether the CPU has bf16 instructions (default: read from the CPU)
 * @returns true when `--amp` defaults to bf16 and `--channels-last` to on
 * @example
 * ```ts
 * import { bf16ByDefault } from "./recipes.ts";
 * console.log(bf16ByDefault({ recipe: "seed", device: "cpu" } as never)); // false: the seed stays fp32
 * ```
 */
export function bf16ByDefault(config: TrainConfig, nativeBf16: boolean = cpuHasNativeBf16()): boolean {
  const recipe = RECIPES[config.recipe ?? defaultRecipe(config.data)];
  return recipe?.bf16OnCpu === true && (config.device ?? "cpu") === "cpu" && nativeBf16;
}

/** How `--help` shows the defaults {@linkcode bf16ByDefault} sets. */
export function bf16DefaultText(onValue: string, offValue: string): string {
  const names = RECIPE_NAMES.filter((name) => RECIPES[name].bf16OnCpu);
  return `${offValue} (${
    names.map((name) => `${name}: ${onValue} on a CPU with bf16 instructions`).join("; ")
  })`;
}
