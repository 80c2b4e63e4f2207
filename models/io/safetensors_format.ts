/**
 * The safetensors format's vocabulary, shared by the parser (safetensors_parse.ts) and the writer
 * (safetensors.ts): element types and their sizes, {@linkcode TensorEntry}, {@linkcode SafetensorsError},
 * and the small checks both sides make.
 *
 * @module
 */

/** An element type a safetensors file can hold. Multi-byte values are little-endian. */
export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

const DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The dtypes, listed for messages. */
export const DTYPE_LIST = Object.keys(DTYPE_SIZES).join(", ");

/** The Rust reference refuses headers over 100 MB; so do we, before allocating anything. */
export const MAX_HEADER_BYTES = 100_000_000;

/** The header key of the free-form string metadata. */
export const METADATA_KEY = "__metadata__";

/** One tensor as stored in a file: its element type, its shape and its raw little-endian bytes. */
export interface TensorEntry {
  /** The element type. */
  dtype: SafetensorsDtype;
  /** The size of each dimension; `[]` for a scalar. */
  shape: number[];
  /** The elements in row-major order, `product(shape) * dtypeByteSize(dtype)` bytes. */
  data: Uint8Array;
}

/**
 * Thrown when bytes are not a valid safetensors file. The message names the source and the problem.
 *
 * @example
 * ```ts
 * import { parseSafetensors, SafetensorsError } from "./safetensors.ts";
 *
 * try {
 *   parseSafetensors(new Uint8Array(3), "g.safetensors");
 * } catch (error) {
 *   console.log(error instanceof SafetensorsError); // true
 * }
 * ```
 */
export class SafetensorsError extends Error {
  /** Always `"SafetensorsError"`. */
  override name = "SafetensorsError";
  /** The file (or other label) the bad bytes came from. */
  readonly source: string;

  /**
   * Creates the error with the message `Cannot read safetensors "<source>": <problem>`.
   *
   * @param source The file (or other label) the bad bytes came from.
   * @param problem What is wrong and how to fix it, in sentence case without a trailing period.
   */
  constructor(source: string, problem: string) {
    super(`Cannot read safetensors "${source}": ${problem}`);
    this.source = source;
  }
}

/**
 * Returns the size in bytes of one element of `dtype`.
 *
 * @param dtype A safetensors element type.
 * @returns The element size: 8, 4, 2 or 1.
 * @throws {TypeError} When `dtype` is not a known safetensors dtype.
 * @example
 * ```ts
 * import { dtypeByteSize } from "./safetensors.ts";
 *
 * console.log(dtypeByteSize("BF16")); // 2
 * ```
 */
export function dtypeByteSize(dtype: SafetensorsDtype): number {
  if (!isDtype(dtype)) {
    throw new TypeError(`Unknown safetensors dtype ${show(dtype)}; use one of ${DTYPE_LIST}`);
  }
  return DTYPE_SIZES[dtype];
}

/** Bytes needed for `shape` of `dtype`. Past 2^53 the result is inexact but still too large to match. */
export function byteLengthOf(dtype: SafetensorsDtype, shape: readonly number[]): number {
  if (shape.includes(0)) return 0; // Before multiplying: a huge product times 0 would be NaN.
  return shape.reduce((n, d) => n * d, DTYPE_SIZES[dtype]);
}

/** Whether `value` is a known safetensors dtype. */
export function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && Object.hasOwn(DTYPE_SIZES, value);
}

/** Whether `value` is an array of safe non-negative integers (a shape or offsets). */
export function isIndexArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Whether `value` has exactly two elements. */
export function isPair(value: number[]): value is [number, number] {
  return value.length === 2;
}

/** Whether `value` is a JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What kind of JSON value `value` is, for messages: `null`, `an array`, `an object`, `number 3`. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${show(value)}`;
}

/** A short, safe rendering of an arbitrary value for an error message. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
