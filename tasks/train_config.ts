/**
 * The training task's flags: parsing, defaults (those of the PyTorch DCGAN example, with nz 128) and
 * validation with messages that name the flag and the fix.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/** Everything that configures a training run; saved into the run folder as config.json. */
export interface TrainConfig {
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
  /** Adam learning rate of both networks. */
  lr: number;
  /** Adam beta1 of both networks. */
  beta1: number;
  /** "cpu", "cuda" or "cuda:N". */
  device: string;
  /** Run folder for checkpoints, grids, metrics. */
  out: string;
  /** Continue the run in `out` from its checkpoint. */
  resume: boolean;
  /** Seed of weights, noise and shuffling. */
  seed: number;
  /** One step of one epoch, then stop (a smoke test). */
  dryRun: boolean;
  /** Stop after this many steps in all (0: no limit). */
  maxSteps: number;
  /** Print a log line every this many steps. */
  logEvery: number;
}

/** A flag's value is out of range or malformed; the message names the flag and the fix. */
export class ConfigError extends RangeError {
  /**
   * Reports a bad flag.
   *
   * @param message what is wrong and how to fix it
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const FLAGS = {
  data: { type: "string", help: "image folder, or fashion-mnist (default: the Twitter emoji set)" },
  category: { type: "string", help: 'emoji category of the default set, e.g. "Smileys & Emotion"' },
  epochs: { type: "string", default: "25", help: "passes over the data" },
  "batch-size": { type: "string", default: "128", help: "images per step" },
  "image-size": { type: "string", default: "64", help: "image side: 32, 64 or 128" },
  nz: { type: "string", default: "128", help: "size of the latent vector z" },
  ngf: { type: "string", default: "64", help: "generator feature maps" },
  ndf: { type: "string", default: "64", help: "discriminator feature maps" },
  lr: { type: "string", default: "0.0002", help: "Adam learning rate" },
  beta1: { type: "string", default: "0.5", help: "Adam beta1" },
  device: { type: "string", default: "cpu", help: "cpu, cuda or cuda:N" },
  out: { type: "string", help: "run folder (default: runs/<data>-<time>)" },
  resume: { type: "boolean", default: false, help: "continue the run in --out from its checkpoint" },
  seed: { type: "string", default: "999", help: "random seed (weights, noise, shuffling)" },
  "dry-run": { type: "boolean", default: false, help: "one step, then stop (smoke test)" },
  "max-steps": { type: "string", default: "0", help: "stop after this many steps (0: no limit)" },
  "log-every": { type: "string", default: "50", help: "log a line every N steps" },
  help: { type: "boolean", default: false, help: "show this help" },
} as const;

/**
 * The `--help` text, listing every flag with its default.
 *
 * @returns the help text
 * @example
 * ```ts
 * import { trainHelp } from "./train_config.ts";
 * console.log(trainHelp());
 * ```
 */
export function trainHelp(): string {
  const lines = ["Usage: deno task train [flags]", "", "Trains a DCGAN (PyTorch's example, in Deno).", ""];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const value = spec.type === "string" ? ` <${name === "data" || name === "out" ? "path" : "value"}>` : "";
    const fallback = "default" in spec && spec.type === "string" ? ` (default ${spec.default})` : "";
    lines.push(`  --${name}${value}`.padEnd(28) + spec.help + fallback);
  }
  return lines.join("\n");
}

function number(flag: string, raw: string, check: (n: number) => boolean, expected: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || !check(value)) {
    throw new ConfigError(`--${flag} must be ${expected}, got "${raw}"`);
  }
  return value;
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

/**
 * Parses and validates the training flags.
 *
 * @param args command-line arguments (without the program name)
 * @returns the config, or `undefined` when `--help` was asked for
 * @throws {ConfigError} for a bad or unknown flag, naming it and the fix
 * @example
 * ```ts
 * import { parseTrainArgs } from "./train_config.ts";
 * const config = parseTrainArgs(["--epochs", "1", "--batch-size", "16"]);
 * ```
 */
export function parseTrainArgs(args: string[]): TrainConfig | undefined {
  const options: ParseArgsOptionsConfig = {};
  for (const [name, spec] of Object.entries(FLAGS)) {
    options[name] = spec.type === "boolean"
      ? { type: "boolean", default: spec.default }
      : "default" in spec
      ? { type: "string", default: spec.default }
      : { type: "string" };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as typeof values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.replace(/\.$/, "")}: see --help for the flags`);
  }
  if (values.help) return undefined;
  const s = (name: keyof typeof FLAGS) => values[name] as string;
  const imageSize = number("image-size", s("image-size"), (n) => [32, 64, 128].includes(n), "32, 64 or 128");
  const device = s("device");
  if (!/^(cpu|cuda(:\d+)?)$/.test(device)) {
    throw new ConfigError(`--device must be cpu, cuda or cuda:N, got "${device}"`);
  }
  const data = values.data as string | undefined;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  const dataName = data === undefined ? "emoji" : data.replace(/\/+$/, "").split("/").pop() || "data";
  return {
    data,
    category: values.category as string | undefined,
    epochs: number("epochs", s("epochs"), positiveInt, "a positive integer"),
    batchSize: number("batch-size", s("batch-size"), positiveInt, "a positive integer"),
    imageSize,
    nz: number("nz", s("nz"), positiveInt, "a positive integer"),
    ngf: number("ngf", s("ngf"), positiveInt, "a positive integer"),
    ndf: number("ndf", s("ndf"), positiveInt, "a positive integer"),
    lr: number("lr", s("lr"), (n) => n > 0 && n < 1, "a number in (0, 1), e.g. 0.0002"),
    beta1: number("beta1", s("beta1"), (n) => n >= 0 && n < 1, "a number in [0, 1), e.g. 0.5"),
    device,
    out: (values.out as string | undefined) ?? `runs/${dataName}-${stamp}`,
    resume: values.resume as boolean,
    seed: number("seed", s("seed"), (n) => Number.isSafeInteger(n) && n >= 0, "a non-negative integer"),
    dryRun: values["dry-run"] as boolean,
    maxSteps: number(
      "max-steps",
      s("max-steps"),
      (n) => Number.isInteger(n) && n >= 0,
      "a non-negative integer",
    ),
    logEvery: number("log-every", s("log-every"), positiveInt, "a positive integer"),
  };
}
