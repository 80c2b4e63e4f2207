/**
 * Tensor element types and their codes in the shim (the one mapping table on the TypeScript side;
 * `to_scalar_type` in ffi/shim.cpp is the other).
 *
 * @module
 */

/** An element type, named as in PyTorch (`torch.float32` is `"float32"`). */
export type DType = "float32" | "float64" | "int64" | "uint8" | "bool" | "bfloat16" | "float16" | "int32";

/** Every dtype, in shim-code order. */
export const DTYPES: readonly DType[] = [
  "float32",
  "float64",
  "int64",
  "uint8",
  "bool",
  "bfloat16",
  "float16",
  "int32",
] as const;

const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  uint8: 1,
  bool: 1,
  bfloat16: 2,
  float16: 2,
  int32: 4,
};

/**
 * The shim's integer code for a dtype.
 *
 * @param dtype the dtype's name
 * @returns its code
 * @throws {TypeError} for an unknown name
 * @example
 * ```ts
 * import { dtypeCode } from "./dtype.ts";
 * console.log(dtypeCode("float32")); // 0
 * ```
 */
export function dtypeCode(dtype: DType): number {
  const code = DTYPES.indexOf(dtype);
  if (code < 0) throw new TypeError(`Unknown dtype "${dtype}": use one of ${DTYPES.join(", ")}`);
  return code;
}

/**
 * The dtype for a shim code.
 *
 * @param code the shim's code
 * @returns the dtype's name
 */
export function dtypeOf(code: number): DType {
  const dtype = DTYPES[code];
  if (dtype === undefined) {
    throw new TypeError(`The tensor has a dtype this package does not support (code ${code})`);
  }
  return dtype;
}

/**
 * Bytes per element.
 *
 * @param dtype the dtype
 * @returns its element size in bytes
 * @example
 * ```ts
 * import { dtypeSize } from "./dtype.ts";
 * console.log(dtypeSize("float16")); // 2
 * ```
 */
export function dtypeSize(dtype: DType): number {
  return BYTES[dtype];
}

/** A typed array that a tensor can be built from or read back into. */
export type HostArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

/**
 * The dtype a typed array holds by default.
 *
 * @param data a typed array
 * @returns float32 for Float32Array, float64 for Float64Array, int64 for BigInt64Array, int32 for
 *   Int32Array, uint8 for Uint8Array, float16 (raw bits) for Uint16Array
 */
export function dtypeOfArray(data: HostArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint8Array) return "uint8";
  return "float16";
}
