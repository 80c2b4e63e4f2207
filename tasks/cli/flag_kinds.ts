/**
 * The kinds of flag value the parser of ./flags.ts reads: how text becomes a value, which values are
 * allowed, and how both are named in messages and `--help`.
 *
 * @module
 */

import type { Device } from "../../ops/device.ts";

/**
 * A kind of flag value: how its text is read, which values are allowed, and how both are named. The same
 * `check` serves values that come from elsewhere (a saved config, a library call).
 */
export interface ValueKind<T> {
  /** What is allowed, for messages: `a positive integer`. */
  readonly expected: string;
  /** The value's placeholder in `--help`: `<value>`, `<path>`; empty for a switch. */
  readonly placeholder: string;
  /** Reads a flag's text; undefined when it is not of this kind. */
  read(raw: string): T | undefined;
  /** Whether a value is allowed. */
  check(value: T): boolean;
}

/** A switch: present or not (a boolean, false when not given). */
export const SWITCH: ValueKind<boolean> = {
  expected: "given without a value",
  placeholder: "",
  read: () => undefined,
  check: (value) => typeof value === "boolean",
};

/** Any text. */
export const TEXT: ValueKind<string> = {
  expected: "a text",
  placeholder: "<value>",
  read: (raw) => raw,
  check: (value) => typeof value === "string",
};

/** A file or folder path. */
export const PATH: ValueKind<string> = { ...TEXT, expected: "a path", placeholder: "<path>" };

/**
 * Numbers allowed by a predicate.
 *
 * @param check whether a (finite) number is allowed
 * @param expected what is allowed, for messages: `a number in (0, 1), e.g. 0.0002`
 * @returns the kind
 * @example
 * ```ts
 * import { numberWhere } from "./flag_kinds.ts";
 * const rate = numberWhere((n) => n > 0 && n < 1, "a number in (0, 1)");
 * console.log(rate.check(0.5)); // true
 * ```
 */
export function numberWhere(check: (n: number) => boolean, expected: string): ValueKind<number> {
  return {
    expected,
    placeholder: "<value>",
    read: (raw) => raw.trim() === "" ? undefined : Number(raw),
    check: (n) => typeof n === "number" && Number.isFinite(n) && check(n),
  };
}

/**
 * Integers from `min` up.
 *
 * @param min the smallest allowed value
 * @returns the kind
 * @example
 * ```ts
 * import { integerAtLeast, parseFlags } from "./flags.ts";
 * const values = parseFlags({ steps: { flag: "steps", kind: integerAtLeast(2), default: 8, help: "images" } }, []);
 * console.log(values?.steps); // 8
 * ```
 */
export function integerAtLeast(min: number): ValueKind<number> {
  return numberWhere((n) => Number.isSafeInteger(n) && n >= min, `an integer >= ${min}`);
}

/**
 * Integers from `min` to `max`: a bound on the work or memory one flag can ask for.
 *
 * @param min the smallest allowed value
 * @param max the largest allowed value
 * @returns the kind
 * @example
 * ```ts
 * import { integerIn } from "./flag_kinds.ts";
 * console.log(integerIn(2, 512).check(100000)); // false
 * ```
 */
export function integerIn(min: number, max: number): ValueKind<number> {
  return numberWhere(
    (n) => Number.isSafeInteger(n) && n >= min && n <= max,
    min === 1
      ? `a positive integer up to ${max.toLocaleString("en-US")}`
      : `an integer from ${min} to ${max.toLocaleString("en-US")}`,
  );
}

/** A path that is not empty or all whitespace (an empty one would mean the current folder). */
export const NON_EMPTY_PATH: ValueKind<string> = {
  expected: "a non-empty path",
  placeholder: "<path>",
  read: (raw) => raw,
  check: (value) => typeof value === "string" && value.trim() !== "",
};

/** Integers above zero. */
export const POSITIVE_INTEGER: ValueKind<number> = numberWhere(
  (n) => Number.isSafeInteger(n) && n > 0,
  "a positive integer",
);

/** Integers from zero up. */
export const NON_NEGATIVE_INTEGER: ValueKind<number> = numberWhere(
  (n) => Number.isSafeInteger(n) && n >= 0,
  "a non-negative integer",
);

/**
 * One of a few words.
 *
 * @param choices the allowed words
 * @param expected what is allowed, for messages (default: `one of a, b, c`)
 * @returns the kind
 * @example
 * ```ts
 * import { oneOf } from "./flag_kinds.ts";
 * const amp = oneOf(["off", "bf16", "fp16"], "off, bf16 or fp16");
 * console.log(amp.read("bf16")); // "bf16"
 * ```
 */
export function oneOf<const T extends string>(
  choices: readonly T[],
  expected = `one of ${choices.join(", ")}`,
): ValueKind<T> {
  const allowed = (value: string): value is T => (choices as readonly string[]).includes(value);
  return { expected, placeholder: "<value>", read: (raw) => raw as T, check: allowed };
}

/** A device: `cpu`, `cuda` or `cuda:N` (whether a GPU is there is checked where it is used). */
export const DEVICE: ValueKind<Device> = {
  expected: "cpu, cuda or cuda:N",
  placeholder: "<device>",
  read: (raw) => raw as Device,
  check: (value) => /^(cpu|cuda(:\d+)?)$/.test(value),
};
