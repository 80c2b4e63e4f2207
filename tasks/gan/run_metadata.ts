/**
 * The checks a run checkpoint's metadata passes before `--resume` trusts it: every field of `config`,
 * `position`, `optimizers` and `generator_stats` has the type and range the run would have written, and
 * a failure names the file and the field (`position.globalStep must be an integer >= 0, got "a"`), so an
 * edited or damaged checkpoint is refused before it can run the loop forever or train nothing.
 *
 * @module
 */

import type { AdamParamGroup } from "../../models/optim/adam.ts";
import { checkTrainConfig, completeConfig, type TrainConfig } from "./config.ts";
import type { RunPosition } from "./run_checkpoint.ts";
import type { GeneratorStats } from "./trainer.ts";

/** One optimizer's saved numbers: each parameter's step count (null before its first update) and group. */
export interface SavedOptimizer {
  /** Adam's step count per parameter index. */
  steps: (number | null)[];
  /** The hyperparameters (torch.optim's param group). */
  group: AdamParamGroup;
}

/** A run checkpoint's metadata, checked. */
export interface RunMetadata {
  /** The run's config, completed with the table's defaults for settings it predates. */
  config: TrainConfig;
  /** Where the run stopped. */
  position: RunPosition;
  /** Both optimizers, by key prefix (`optimizerG`, `optimizerD`). */
  optimizers: Record<"optimizerG" | "optimizerD", SavedOptimizer>;
  /** The last G update's numbers, when saved. */
  generatorStats?: GeneratorStats;
}

/** A refused metadata field: names the file and the field, and says what to do. */
class MetadataError extends TypeError {
  constructor(path: string, problem: string) {
    super(
      `Cannot resume from "${path}": metadata ${problem}; the checkpoint is damaged or was edited: ` +
        "resume from an intact copy, or start a new run",
    );
    this.name = "TypeError";
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The JSON text of metadata `key`, parsed. */
function parseField(path: string, metadata: Record<string, string>, key: string): unknown {
  const text = metadata[key];
  if (text === undefined) {
    throw new TypeError(
      `Cannot resume from "${path}": its metadata has no "${key}"; is it a run checkpoint?`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new MetadataError(path, `"${key}" is not valid JSON`);
  }
}

/** `value` as an object, or a refusal naming `field`. */
function object(path: string, field: string, value: unknown): Record<string, unknown> {
  if (!isObject(value)) throw new MetadataError(path, `${field} must be an object, got ${show(value)}`);
  return value;
}

/** `value` as an integer >= 0, or a refusal naming `field`. */
function count(path: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new MetadataError(path, `${field} must be an integer >= 0, got ${show(value)}`);
  }
  return value;
}

/** `value` as a finite number allowed by `ok`, or a refusal naming `field` and `expected`. */
function number(path: string, field: string, value: unknown, ok: (n: number) => boolean, expected: string) {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
    throw new MetadataError(path, `${field} must be ${expected}, got ${show(value)}`);
  }
  return value;
}

function checkConfig(path: string, value: unknown): TrainConfig {
  const config = completeConfig(object(path, "config", value) as Partial<TrainConfig>);
  try {
    checkTrainConfig(config);
  } catch (error) {
    throw new MetadataError(path, `config.${(error as Error).message}`);
  }
  return config;
}

function checkPosition(path: string, value: unknown, config: TrainConfig): RunPosition {
  const position = object(path, "position", value);
  const epoch = count(path, "position.epoch", position.epoch);
  const batch = count(path, "position.batch", position.batch);
  const globalStep = count(path, "position.globalStep", position.globalStep);
  if (epoch > config.epochs) {
    throw new MetadataError(path, `position.epoch ${epoch} is past the run's ${config.epochs} epochs`);
  }
  if (globalStep < epoch || globalStep < batch) {
    // every finished epoch and every batch of this one took a step
    throw new MetadataError(
      path,
      `position.globalStep ${globalStep} is below the ${epoch} epochs and ${batch} batches it says were trained`,
    );
  }
  return { epoch, batch, globalStep };
}

function checkOptimizer(path: string, prefix: string, value: unknown): SavedOptimizer {
  const saved = object(path, `optimizers.${prefix}`, value);
  if (!Array.isArray(saved.steps)) {
    throw new MetadataError(path, `optimizers.${prefix}.steps must be an array, got ${show(saved.steps)}`);
  }
  const steps = saved.steps.map((step, i) =>
    step === null ? null : count(path, `optimizers.${prefix}.steps[${i}]`, step)
  );
  const field = `optimizers.${prefix}.group`;
  const group = object(path, field, saved.group);
  number(path, `${field}.lr`, group.lr, (n) => n > 0, "a number > 0");
  number(path, `${field}.eps`, group.eps, (n) => n >= 0, "a number >= 0");
  number(path, `${field}.weight_decay`, group.weight_decay, (n) => n >= 0, "a number >= 0");
  const betas = group.betas;
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new MetadataError(path, `${field}.betas must be a pair of numbers, got ${show(betas)}`);
  }
  betas.forEach((beta, i) => number(path, `${field}.betas[${i}]`, beta, (n) => n >= 0 && n < 1, "in [0, 1)"));
  if (!Array.isArray(group.params) || !group.params.every((p) => Number.isSafeInteger(p) && p >= 0)) {
    throw new MetadataError(
      path,
      `${field}.params must be an array of parameter indices, got ${show(group.params)}`,
    );
  }
  return { steps, group: group as unknown as AdamParamGroup };
}

function checkGeneratorStats(path: string, value: unknown): GeneratorStats {
  const stats = object(path, "generator_stats", value);
  const finite = (key: string) =>
    number(path, `generator_stats.${key}`, stats[key], () => true, "a finite number");
  return { lossG: finite("lossG"), dgz2: finite("dgz2") };
}

/**
 * Parses and checks a run checkpoint's metadata (all but `format`, which the caller checks first).
 *
 * @param path the checkpoint file, for messages
 * @param metadata the file's string metadata
 * @returns the config, position, optimizers and generator numbers
 * @throws {TypeError} naming the file and the first refused field: `Cannot resume from "run/checkpoint.safetensors":
 *   metadata position.globalStep must be an integer >= 0, got "a"; ...`
 * @example
 * ```ts
 * import { checkRunMetadata } from "./run_metadata.ts";
 * try {
 *   checkRunMetadata("ckpt.safetensors", { config: "{}", position: '{"epoch":"x"}', optimizers: "{}" });
 * } catch (error) {
 *   console.log((error as Error).message); // ...metadata position.epoch must be an integer >= 0, got "x"...
 * }
 * ```
 */
export function checkRunMetadata(path: string, metadata: Record<string, string>): RunMetadata {
  const config = checkConfig(path, parseField(path, metadata, "config"));
  const position = checkPosition(path, parseField(path, metadata, "position"), config);
  const saved = object(path, "optimizers", parseField(path, metadata, "optimizers"));
  const optimizers = {
    optimizerG: checkOptimizer(path, "optimizerG", saved.optimizerG),
    optimizerD: checkOptimizer(path, "optimizerD", saved.optimizerD),
  };
  const result: RunMetadata = { config, position, optimizers };
  if (metadata.generator_stats !== undefined) {
    result.generatorStats = checkGeneratorStats(path, parseField(path, metadata, "generator_stats"));
  }
  return result;
}
