/**
 * Arguments as the shim takes them: size and dim lists as `const int64_t*`, tensor lists as `tensor*`,
 * and 2-D sizes given once or as a pair.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import type { Tensor } from "./tensor.ts";

/**
 * A shape or dim list as `int64`; throws a `TypeError` for a non-integer entry.
 *
 * @param dims sizes or dims
 * @returns them as int64
 */
export function int64s(dims: readonly number[]): BigInt64Array {
  const out = new BigInt64Array(dims.length);
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i]!;
    if (!Number.isInteger(d)) throw new TypeError(`Expected integer sizes, got [${dims.join(", ")}]`);
    out[i] = BigInt(d);
  }
  return out;
}

/**
 * Tensor handles as pointer-sized integers.
 *
 * @param tensors the tensors
 * @returns their handles
 */
export function handles(tensors: readonly Tensor[]): BigUint64Array {
  const out = new BigUint64Array(tensors.length);
  for (let i = 0; i < tensors.length; i++) out[i] = BigInt(Deno.UnsafePointer.value(tensors[i]!.handle));
  return out;
}

/**
 * The dims a reduction takes: one, several, or none (all dims) when omitted.
 *
 * @param dim a dim, dims, or undefined
 * @returns them as int64
 */
export function dimList(dim: number | readonly number[] | undefined): BigInt64Array {
  if (dim === undefined) return new BigInt64Array(0);
  return int64s(typeof dim === "number" ? [dim] : dim);
}

/** A size given once for both spatial dims, or as [height, width]. */
export type Pair = number | readonly [number, number];

/**
 * A {@linkcode Pair} as two int64s.
 *
 * @param value one size for both dims, or [height, width]
 * @returns [height, width] as int64
 */
export function pair(value: Pair): BigInt64Array {
  return typeof value === "number" ? int64s([value, value]) : int64s(value);
}

const shapeScratch = new BigInt64Array(64);

/**
 * Reads a tensor's sizes from the shim.
 *
 * @param handle a live tensor handle
 * @returns the size of each dim
 */
export function readShape(handle: Deno.PointerObject): number[] {
  let sizes = shapeScratch;
  const n = shim().t_shape(handle, sizes, sizes.length);
  if (n > sizes.length) shim().t_shape(handle, sizes = new BigInt64Array(n), n);
  return Array.from(sizes.subarray(0, n), Number);
}
