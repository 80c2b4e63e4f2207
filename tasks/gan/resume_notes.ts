/**
 * What `--resume` tells the user about the settings and the data: the flags of this command line that
 * the checkpoint's settings override (a changed `--data`, `--batch-size`, `--lr` or `--image-size` is
 * not silently dropped), and a resume that has nothing left to train.
 *
 * @module
 */

import { givenSettings, TRAIN_FIELDS, type TrainConfig } from "./config.ts";
import type { RunPosition } from "./run_checkpoint.ts";

type Field = keyof typeof TRAIN_FIELDS;

/**
 * The settings a command line gives by flag (long `--batch-size`, `--batch-size=8`, or short `-b`).
 *
 * @param args the train command's arguments
 * @returns the config fields they set
 * @example
 * ```ts
 * import { settingsGiven } from "./resume_notes.ts";
 * console.log([...settingsGiven(["--resume", "-b", "8", "--lr=0.001"])]); // ["resume", "batchSize", "lr"]
 * ```
 */
export function settingsGiven(args: readonly string[]): Set<Field> {
  const byName = new Map<string, Field>();
  for (const [field, spec] of Object.entries(TRAIN_FIELDS) as [Field, { flag: string; short?: string }][]) {
    byName.set(`--${spec.flag}`, field);
    if (spec.short) byName.set(`-${spec.short}`, field);
  }
  const given = new Set<Field>();
  for (const arg of args) {
    if (arg === "--") break;
    const name = arg.startsWith("--") ? arg.split("=")[0]! : /^-\w/.test(arg) ? arg.slice(0, 2) : undefined;
    const field = name && byName.get(name);
    if (field) given.add(field);
  }
  return given;
}

function show(field: Field, value: unknown): string {
  if (field === "data" && value === undefined) return "the emoji set";
  if (typeof value === "boolean") return value ? "on" : "off";
  return value === undefined ? "unset" : typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * The flags of this command line that a resumed run does not follow, because the checkpoint keeps its
 * own value (each setting whose resume rule is `"checkpoint"`: the data, the shapes, the optimizer, the
 * variant, the seed).
 *
 * @param saved the checkpoint's config
 * @param given this command line's config
 * @param explicit the settings given by flag (see {@linkcode settingsGiven}); without it, every setting
 *   that differs from the default the other settings give it counts as given (see `givenSettings`)
 * @returns one line, or undefined when no given flag is overridden
 * @example
 * ```ts
 * import { completeConfig } from "@gan/dcgan";
 * import { resumeOverrides } from "./resume_notes.ts";
 * const saved = completeConfig({ batchSize: 8 });
 * console.log(resumeOverrides(saved, completeConfig({ batchSize: 64 }), new Set(["batchSize"])));
 * // --resume keeps the checkpoint's settings, so these flags are ignored: --batch-size 64 (the run uses 8)
 * ```
 */
export function resumeOverrides(
  saved: TrainConfig,
  given: TrainConfig,
  explicit?: ReadonlySet<string>,
): string | undefined {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const flags = givenSettings(given, explicit);
  const ignored: string[] = [];
  for (const [field, spec] of Object.entries(TRAIN_FIELDS) as [Field, (typeof TRAIN_FIELDS)[Field]][]) {
    if (spec.resume !== "checkpoint" || !flags.has(field) || same(given[field], saved[field])) continue;
    ignored.push(`--${spec.flag} ${show(field, given[field])} (the run uses ${show(field, saved[field])})`);
  }
  if (ignored.length === 0) return undefined;
  return `--resume keeps the checkpoint's settings, so these flags are ignored: ${ignored.join(", ")}; ` +
    "start a new run (another --out, or --overwrite) to change them";
}

/**
 * Why a resumed run has nothing to train, or undefined when it has: all its epochs are done, `maxSteps`
 * is reached, or the data set shrank so that the checkpoint's batch is past the end of every epoch left.
 *
 * @param config the merged config the run goes on with
 * @param position where the checkpoint left off
 * @param batchesPerEpoch the batches of the data set as loaded now
 * @returns the message, or undefined
 * @example
 * ```ts
 * import { completeConfig } from "@gan/dcgan";
 * import { nothingToTrain } from "./resume_notes.ts";
 * console.log(nothingToTrain(completeConfig({ epochs: 3 }), { epoch: 3, batch: 0, globalStep: 30 }, 10));
 * ```
 */
export function nothingToTrain(
  config: TrainConfig,
  position: RunPosition,
  batchesPerEpoch: number,
): string | undefined {
  const { epoch, batch, globalStep } = position;
  if (epoch >= config.epochs) {
    return `The run in "${config.out}" has trained all its ${config.epochs} epochs (step ${globalStep}), so ` +
      "there is nothing to resume: pass a larger --epochs to train on";
  }
  if (config.maxSteps && globalStep >= config.maxSteps) {
    return `The run in "${config.out}" is at step ${globalStep}, already at --max-steps ${config.maxSteps}: ` +
      "pass a larger --max-steps (or 0) to train on";
  }
  if (batch > batchesPerEpoch && epoch + 1 >= config.epochs) {
    return `The checkpoint stopped after batch ${batch} of epoch ${epoch + 1}, but the data set now has ` +
      `${batchesPerEpoch} batches an epoch (it shrank), and that was the last epoch: nothing is left to ` +
      "train; pass a larger --epochs, or restore the data";
  }
  return undefined;
}

/**
 * A note when the data set shrank under a resumed run: the checkpoint's batch is past the end of its
 * epoch, so the rest of that epoch is skipped.
 *
 * @param position where the checkpoint left off
 * @param batchesPerEpoch the batches of the data set as loaded now
 * @returns the message, or undefined when the data still reaches the checkpoint's batch
 */
export function dataShrank(position: RunPosition, batchesPerEpoch: number): string | undefined {
  if (position.batch <= batchesPerEpoch) return undefined;
  return `The checkpoint stopped after batch ${position.batch} of epoch ${
    position.epoch + 1
  }, but the data ` +
    `set now has ${batchesPerEpoch} batches an epoch (it shrank): the rest of epoch ${position.epoch + 1} ` +
    "is skipped";
}
