/**
 * What the tasks' command lines share: a table of flags parsed strictly, numbers read with messages that
 * name the flag and what it takes, and the error both throw.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { Device } from "../../ops/device.ts";

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

/** One row of a task's flag table: the value's type, its default and the `--help` line. */
export interface FlagSpec {
  /** `string` for a flag with a value, `boolean` for a switch. */
  readonly type: "string" | "boolean";
  /** The value when the flag is not given. */
  readonly default?: string | boolean;
  /** What the flag does, for `--help`. */
  readonly help: string;
}

/** The parsed flags: a string per flag with a value, a boolean per switch, undefined when not given. */
export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * Parses `args` against a flag table, strictly: no positionals, no unknown flags.
 *
 * @param flags the table, flag name (without the dashes) to its spec
 * @param args command-line arguments (without the program name)
 * @returns each flag's value, its default where it was not given
 * @throws {ConfigError} for an unknown flag or a missing value, pointing at `--help`
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const values = parseFlags({ n: { type: "string", default: "8", help: "images" } }, ["--n", "4"]);
 * console.log(values.n); // "4"
 * ```
 */
export function parseFlags(flags: Readonly<Record<string, FlagSpec>>, args: string[]): FlagValues {
  const options: ParseArgsOptionsConfig = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] = spec.type === "boolean"
      ? { type: "boolean", default: spec.default }
      : "default" in spec
      ? { type: "string", default: spec.default }
      : { type: "string" };
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as FlagValues;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.replace(/\.$/, "")}: see --help for the flags`);
  }
}

/** Which numbers a flag accepts, and how its error message names them. */
export interface NumberRule {
  /** Whether the number is allowed. */
  check(n: number): boolean;
  /** What is allowed, for the message: `a positive integer`. */
  expected: string;
}

/** Integers above zero. */
export const POSITIVE_INTEGER: NumberRule = {
  check: (n) => Number.isInteger(n) && n > 0,
  expected: "a positive integer",
};

/** Integers from zero up. */
export const NON_NEGATIVE_INTEGER: NumberRule = {
  check: (n) => Number.isSafeInteger(n) && n >= 0,
  expected: "a non-negative integer",
};

/**
 * Integers from `min` up.
 *
 * @param min the smallest allowed value
 * @returns the rule
 * @example
 * ```ts
 * import { flagNumber, integerAtLeast } from "./flags.ts";
 * const steps = flagNumber("steps", "8", integerAtLeast(2));
 * ```
 */
export function integerAtLeast(min: number): NumberRule {
  return { check: (n) => Number.isSafeInteger(n) && n >= min, expected: `an integer >= ${min}` };
}

/**
 * Reads a flag's value as a number and checks it against a rule.
 *
 * @param flag the flag's name, without the dashes
 * @param raw the value as given
 * @param rule which numbers are allowed, and how to name them
 * @returns the number
 * @throws {ConfigError} `--flag must be <expected>, got "<raw>"` for an empty, non-numeric or refused value
 * @example
 * ```ts
 * import { flagNumber, POSITIVE_INTEGER } from "./flags.ts";
 * const epochs = flagNumber("epochs", "25", POSITIVE_INTEGER);
 * ```
 */
export function flagNumber(flag: string, raw: string, rule: NumberRule): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || !rule.check(value)) {
    throw new ConfigError(`--${flag} must be ${rule.expected}, got "${raw}"`);
  }
  return value;
}

/**
 * Checks a `--device` value: `cpu`, `cuda` or `cuda:N` (whether a GPU is there is checked where it is used).
 *
 * @param raw the value as given
 * @returns it, typed as a device name
 * @throws {ConfigError} `--device must be cpu, cuda or cuda:N, got "<raw>"`
 * @example
 * ```ts
 * import { flagDevice } from "./flags.ts";
 * const device = flagDevice("cuda:0");
 * ```
 */
export function flagDevice(raw: string): Device {
  if (!/^(cpu|cuda(:\d+)?)$/.test(raw)) {
    throw new ConfigError(`--device must be cpu, cuda or cuda:N, got "${raw}"`);
  }
  return raw as Device;
}
