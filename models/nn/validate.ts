/**
 * Up-front checks of layer and network hyperparameters, throwing `RangeError`s that name the value.
 *
 * @module
 */

import type { Pair } from "../../ops/args.ts";

/**
 * Checks that a size is a positive integer.
 *
 * @param name what the value is, e.g. `Conv2d inChannels`
 * @param value the value
 * @returns the value
 * @throws {RangeError} when it is not an integer >= 1
 * @example
 * ```ts
 * import { positiveInteger } from "./validate.ts";
 * const channels = positiveInteger("Conv2d inChannels", 3);
 * ```
 */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Checks a size given once or per spatial dim and expands it to [height, width].
 *
 * @param name what the value is, e.g. `Conv2d stride`
 * @param value a number or a pair
 * @param min the smallest allowed value (1 for kernel sizes and strides, 0 for padding)
 * @returns the pair
 * @throws {RangeError} when an entry is not an integer >= min
 * @example
 * ```ts
 * import { pairOf } from "./validate.ts";
 * console.log(pairOf("Conv2d stride", 2, 1)); // [2, 2]
 * ```
 */
export function pairOf(name: string, value: Pair, min: number): [number, number] {
  const pair: [number, number] = typeof value === "number" ? [value, value] : [value[0], value[1]];
  if (!pair.every((v) => Number.isSafeInteger(v) && v >= min)) {
    throw new RangeError(
      `${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(value)}`,
    );
  }
  return pair;
}

/**
 * Formats a pair as PyTorch prints it in a module's repr: `(4, 4)`.
 *
 * @param pair the pair
 * @returns the text
 */
export function pairText(pair: readonly [number, number]): string {
  return `(${pair[0]}, ${pair[1]})`;
}

/**
 * Formats a float as Python's `repr` does, for module reprs: `1e-05`, `0.1`, `1.0`.
 *
 * @param value the number
 * @returns the text
 * @example
 * ```ts
 * import { floatText } from "./validate.ts";
 * console.log(floatText(1e-5)); // "1e-05"
 * ```
 */
export function floatText(value: number): string {
  const magnitude = Math.abs(value);
  if (value !== 0 && Number.isFinite(value) && (magnitude < 1e-4 || magnitude >= 1e16)) {
    return value.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  }
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
