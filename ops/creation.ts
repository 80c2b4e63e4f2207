/**
 * Making tensors: from JavaScript data, and the factories `zeros`, `ones`, `full`, `randn`, `rand`,
 * `randint`, `randperm`, `arange`, `empty`.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { type Device, parseDevice } from "./device.ts";
import { type DType, dtypeCode, dtypeOfArray, dtypeSize, type HostArray } from "./dtype.ts";
import { int64s } from "./args.ts";
import { type Tensor, wrap } from "./tensor.ts";

/** Where and how a new tensor is made. */
export interface TensorOptions {
  /** Element type; float32 unless said otherwise. */
  dtype?: DType;
  /** Device; "cpu" unless said otherwise. */
  device?: Device;
  /** Record autograd ops on it (a leaf that gets a `.grad`). */
  requiresGrad?: boolean;
}

/** Nested arrays of numbers, as `torch.tensor` takes. */
export type NestedNumbers = number | boolean | readonly NestedNumbers[];

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

function shapeOf(data: NestedNumbers): number[] {
  const shape: number[] = [];
  let level: NestedNumbers = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as NestedNumbers;
  }
  return shape;
}

function flatten(data: NestedNumbers, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof data !== "number" && typeof data !== "boolean") {
      throw new TypeError(`tensor() got a ragged nested array: expected a number at depth ${depth}`);
    }
    out.push(Number(data));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new TypeError(
      `tensor() got a ragged nested array: expected ${
        shape[depth]
      } items at depth ${depth}, shape [${shape}]`,
    );
  }
  for (const item of data) flatten(item, shape, depth + 1, out);
}

function hostArrayFor(values: number[], dtype: DType): HostArray {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values);
    case "float64":
      return Float64Array.from(values);
    case "int64":
      return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    case "int32":
      return Int32Array.from(values);
    case "uint8":
    case "bool":
      return Uint8Array.from(values, (v) => (dtype === "bool" ? (v ? 1 : 0) : v));
    default:
      return Float32Array.from(values);
  }
}

/**
 * Makes a tensor from numbers, nested arrays or a typed array (copied), like `torch.tensor`.
 *
 * Numbers become float32 unless `dtype` says otherwise. A typed array keeps its own type
 * (Float64Array → float64, BigInt64Array → int64, Int32Array → int32, Uint8Array → uint8) and takes
 * its shape from `options.shape` (default: 1-D).
 *
 * @param data a number, nested arrays of numbers, or a typed array
 * @param options dtype, device, requiresGrad, and shape for typed arrays
 * @returns the new tensor
 * @throws {TypeError} for ragged arrays or a shape that does not match the data
 * @example
 * ```ts
 * import { tensor } from "@gan/dcgan";
 * using x = tensor([[1, 2], [3, 4]], { dtype: "float64" });
 * using y = tensor(new Float32Array(6), { shape: [2, 3] });
 * ```
 */
export function tensor(
  data: NestedNumbers | HostArray,
  options: TensorOptions & { shape?: readonly number[] } = {},
): Tensor {
  let host: HostArray;
  let shape: readonly number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    host = data;
    dtype = dtypeOfArray(data);
    shape = options.shape ?? [data.length];
    if (options.dtype && options.dtype !== dtype) {
      if (dtype === "uint8" && options.dtype === "bool") dtype = "bool";
      else {
        using raw = tensor(data, { shape, device: options.device });
        return finish(raw.to(options.dtype), options);
      }
    }
  } else {
    const nested = shapeOf(data);
    shape = options.shape ?? nested;
    const values: number[] = [];
    flatten(data, nested, 0, values);
    dtype = options.dtype ?? "float32";
    host = hostArrayFor(values, dtype === "float16" || dtype === "bfloat16" ? "float32" : dtype);
    if (dtype === "float16" || dtype === "bfloat16") {
      using wide = tensor(host, { shape, device: options.device });
      return finish(wide.to(dtype), options);
    }
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== host.length) {
    throw new TypeError(
      `tensor() got ${host.length} values for shape [${shape.join(", ")}] (${count} values)`,
    );
  }
  const dims = int64s(shape);
  const device = parseDevice(options.device ?? "cpu");
  const bytes = new Uint8Array(host.buffer, host.byteOffset, host.length * dtypeSize(dtype));
  const handle = shim().t_from_data(
    bytes,
    BigInt(bytes.length),
    dims,
    dims.length,
    dtypeCode(dtype),
    device.type,
    device.index,
  );
  return finish(wrap("tensor", handle), options);
}

type Factory = "t_empty" | "t_zeros" | "t_ones" | "t_randn" | "t_rand";

function factory(op: Factory, name: string, shape: readonly number[], options: TensorOptions): Tensor {
  const dims = int64s(shape);
  const device = parseDevice(options.device ?? "cpu");
  const handle = shim()[op](
    dims,
    dims.length,
    dtypeCode(options.dtype ?? "float32"),
    device.type,
    device.index,
  );
  return finish(wrap(name, handle), options);
}

/**
 * An uninitialized tensor.
 *
 * @param shape sizes
 * @param options dtype, device, requiresGrad
 * @returns an uninitialized tensor
 * @example
 * ```ts
 * import { empty } from "@gan/dcgan";
 * using buffer = empty([4, 4]);
 * ```
 */
export function empty(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory("t_empty", "empty", shape, options);
}

/**
 * A tensor of zeros.
 *
 * @param shape sizes
 * @param options dtype, device, requiresGrad
 * @returns a tensor of zeros
 * @example
 * ```ts
 * import { zeros } from "@gan/dcgan";
 * using z = zeros([2, 3]);
 * ```
 */
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory("t_zeros", "zeros", shape, options);
}

/**
 * A tensor of ones.
 *
 * @param shape sizes
 * @param options dtype, device, requiresGrad
 * @returns a tensor of ones
 * @example
 * ```ts
 * import { ones } from "@gan/dcgan";
 * using o = ones([2, 3]);
 * ```
 */
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory("t_ones", "ones", shape, options);
}

/**
 * A tensor filled with `value`.
 *
 * @param shape sizes
 * @param value the fill value
 * @param options dtype, device, requiresGrad
 * @returns a tensor filled with `value`
 * @example
 * ```ts
 * import { full } from "@gan/dcgan";
 * using labels = full([64], 1);
 * ```
 */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const dims = int64s(shape);
  const device = parseDevice(options.device ?? "cpu");
  const code = dtypeCode(options.dtype ?? "float32");
  return finish(
    wrap("full", shim().t_full(dims, dims.length, value, code, device.type, device.index)),
    options,
  );
}

/**
 * Standard normal samples from the global generator; after `manualSeed(n)` the same numbers as
 * `torch.randn` on the CPU.
 *
 * @param shape sizes
 * @param options dtype, device, requiresGrad
 * @returns a tensor of N(0, 1) samples
 * @example
 * ```ts
 * import { manualSeed, randn } from "@gan/dcgan";
 * manualSeed(0);
 * using noise = randn([64, 128, 1, 1]);
 * ```
 */
export function randn(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory("t_randn", "randn", shape, options);
}

/**
 * A tensor of U[0, 1) samples.
 *
 * @param shape sizes
 * @param options dtype, device, requiresGrad
 * @returns a tensor of U[0, 1) samples
 * @example
 * ```ts
 * import { rand } from "@gan/dcgan";
 * using u = rand([3]);
 * ```
 */
export function rand(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory("t_rand", "rand", shape, options);
}

/**
 * A tensor of integers uniform in [low, high).
 *
 * @param low smallest value
 * @param high one past the largest value
 * @param shape sizes
 * @param options dtype (default int64), device
 * @returns a tensor of integers uniform in [low, high)
 * @example
 * ```ts
 * import { randint } from "@gan/dcgan";
 * using labels = randint(0, 10, [8]);
 * ```
 */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: TensorOptions = {},
): Tensor {
  const dims = int64s(shape);
  const device = parseDevice(options.device ?? "cpu");
  const code = dtypeCode(options.dtype ?? "int64");
  return wrap(
    "randint",
    shim().t_randint(BigInt(low), BigInt(high), dims, dims.length, code, device.type, device.index),
  );
}

/**
 * A random permutation of 0..n-1.
 *
 * @param n how many
 * @param options dtype (default int64), device
 * @returns a random permutation of 0..n-1
 * @example
 * ```ts
 * import { randperm } from "@gan/dcgan";
 * using order = randperm(10);
 * ```
 */
export function randperm(n: number, options: TensorOptions = {}): Tensor {
  const device = parseDevice(options.device ?? "cpu");
  return wrap(
    "randperm",
    shim().t_randperm(BigInt(n), dtypeCode(options.dtype ?? "int64"), device.type, device.index),
  );
}

/**
 * Values from `start` up to (not including) `end`, like `torch.arange`. With one argument, `end`.
 *
 * @param start first value (or `end` when `end` is omitted)
 * @param end one past the last value
 * @param options step (default 1), dtype (default float32), device
 * @returns a 1-D tensor
 * @example
 * ```ts
 * import { arange } from "@gan/dcgan";
 * using idx = arange(0, 10, { step: 2, dtype: "int64" });
 * ```
 */
export function arange(start: number, end?: number, options: TensorOptions & { step?: number } = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  const device = parseDevice(options.device ?? "cpu");
  const code = dtypeCode(options.dtype ?? "float32");
  return wrap("arange", shim().t_arange(from, to, options.step ?? 1, code, device.type, device.index));
}
