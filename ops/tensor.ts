/**
 * `Tensor`: a typed handle to an at::Tensor with shape, dtype, device and autograd. Each method is one
 * shim call. A tensor is freed by `dispose()` (or `using`, or {@linkcode tidy}); a
 * FinalizationRegistry is only a backstop for tensors nobody disposed.
 *
 * @module
 */

import { check, checkStatus, lastError, shim, type Symbols } from "../ffi/ffi.ts";
import { type Device, deviceName, parseDevice } from "./device.ts";
import { type DType, dtypeCode, dtypeOf, dtypeSize, type HostArray } from "./dtype.ts";
import { capturingError, isCapturing } from "./capture_state.ts";
import { track, untrack } from "./scope.ts";

/** Frees handles of tensors that were garbage-collected without `dispose()`. */
const backstop = new FinalizationRegistry<Deno.PointerObject>((handle) => shim().t_free(handle));

const shapeScratch = new BigInt64Array(64);
const itemScratch = new Float64Array(1);

/** A memory layout, as PyTorch's `torch.contiguous_format` and `torch.channels_last`. */
export type MemoryFormat = "contiguous_format" | "channels_last";

function memoryFormatCode(format: MemoryFormat): number {
  if (format === "contiguous_format") return 0;
  if (format === "channels_last") return 1;
  throw new TypeError(`Unknown memory format "${format}": use "contiguous_format" or "channels_last"`);
}

/**
 * A shape or dim list as the shim takes it (`const int64_t*`).
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
 * A list of tensor handles as the shim takes it (`tensor*`).
 *
 * @param tensors the tensors
 * @returns their handles as pointer-sized integers
 */
export function handles(tensors: readonly Tensor[]): BigUint64Array {
  const out = new BigUint64Array(tensors.length);
  for (let i = 0; i < tensors.length; i++) out[i] = BigInt(Deno.UnsafePointer.value(tensors[i]!.handle));
  return out;
}

function dimList(dim: number | readonly number[] | undefined): BigInt64Array {
  if (dim === undefined) return new BigInt64Array(0);
  return int64s(typeof dim === "number" ? [dim] : dim);
}

/** A comparison, in the shim's codes. */
const COMPARE = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 } as const;

/** Options for {@linkcode Tensor.backward}. */
export interface BackwardOptions {
  /** Keep the graph for a second backward. */
  retainGraph?: boolean;
  /** Build a graph of the gradient itself (for higher-order gradients). */
  createGraph?: boolean;
}

/** Options for reductions over dims. */
export interface ReduceOptions {
  /** Keep reduced dims with size 1. */
  keepdim?: boolean;
}

/**
 * A tensor on the CPU or a GPU, owned by this object until `dispose()`.
 *
 * @example
 * ```ts
 * import { tensor } from "../mod.ts";
 * using x = tensor([[1, 2], [3, 4]]);
 * using y = x.mul(2).sum();
 * console.log(y.item()); // 20
 * ```
 */
export class Tensor {
  #handle: Deno.PointerObject | null;
  #shape: number[] | undefined;
  #dtype: DType | undefined;
  #armed = false;

  /**
   * Takes ownership of a shim handle. Most code makes tensors with `tensor()`, `zeros()` and ops.
   *
   * @param handle a handle returned by a creating shim call
   */
  constructor(handle: Deno.PointerObject) {
    this.#handle = handle;
    // a tensor made inside tidy() is freed by its scope; the GC backstop is armed only if it escapes
    if (!track(this)) this.escape();
  }

  /** The raw shim handle, for shim calls; throws once the tensor is disposed. */
  get handle(): Deno.PointerObject {
    if (this.#handle === null) {
      throw new ReferenceError(
        "Cannot use a disposed tensor: keep it alive (keep() inside tidy()) or clone() it before dispose()",
      );
    }
    return this.#handle;
  }

  /** Arms the GC backstop: called for tensors made outside any scope, or kept or returned from one. */
  escape(): void {
    if (this.#armed || this.#handle === null) return;
    this.#armed = true;
    backstop.register(this, this.#handle, this);
  }

  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /** Frees the native tensor now. A second call does nothing. */
  dispose(): void {
    if (this.#handle === null) return;
    if (this.#armed) backstop.unregister(this);
    untrack(this);
    shim().t_free(this.#handle);
    this.#handle = null;
  }

  /** Frees the native tensor at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Sizes of each dim, e.g. `[64, 3, 64, 64]`. */
  get shape(): number[] {
    const handle = this.handle; // throws once disposed, even when the shape is cached
    if (this.#shape === undefined) {
      let sizes = shapeScratch;
      const n = shim().t_shape(handle, sizes, sizes.length);
      if (n > sizes.length) shim().t_shape(handle, sizes = new BigInt64Array(n), n);
      this.#shape = Array.from(sizes.subarray(0, n), Number);
    }
    return this.#shape.slice();
  }

  /** Number of dims. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The element type. */
  get dtype(): DType {
    const handle = this.handle;
    return this.#dtype ??= dtypeOf(shim().t_dtype(handle));
  }

  /** Where the data lives: `"cpu"` or `"cuda:N"`. */
  get device(): Device {
    const s = shim();
    return deviceName(s.t_device_type(this.handle), s.t_device_index(this.handle));
  }

  /** Number of elements. */
  numel(): number {
    return Number(shim().t_numel(this.handle));
  }

  /** Whether autograd records ops on this tensor. */
  get requiresGrad(): boolean {
    return shim().t_requires_grad(this.handle) !== 0;
  }

  set requiresGrad(value: boolean) {
    this.requiresGrad_(value);
  }

  /** Whether this tensor is a leaf of the autograd graph (made by the user, not by an op). */
  get isLeaf(): boolean {
    return shim().t_is_leaf(this.handle) !== 0;
  }

  /**
   * The accumulated gradient after `backward()`, or `undefined` (PyTorch's `None`). Each read returns
   * a new handle that shares the gradient's storage; dispose it when done.
   */
  get grad(): Tensor | undefined {
    const handle = shim().t_grad(this.handle);
    if (handle === null) {
      if (lastError()) check("grad", null); // NULL with an empty message is PyTorch's None
      return undefined;
    }
    return new Tensor(handle);
  }

  /** Whether `.grad` is defined (PyTorch's `x.grad is not None`), without making a handle for it. */
  get hasGrad(): boolean {
    return shim().t_has_grad(this.handle) !== 0;
  }

  /** Drops the accumulated gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    checkStatus("zeroGrad", shim().t_zero_grad(this.handle));
  }

  /**
   * Turns gradient recording on or off for this leaf tensor.
   *
   * @param requires true to record
   * @returns this tensor
   */
  requiresGrad_(requires = true): this {
    if (!requires && !this.isLeaf) {
      throw new TypeError(
        "Cannot turn off requires_grad of a tensor computed by an op (only leaf tensors): use detach() instead",
      );
    }
    checkStatus("requiresGrad_", shim().t_set_requires_grad(this.handle, requires ? 1 : 0));
    return this;
  }

  /**
   * Computes gradients of this tensor with respect to the graph's leaves, accumulating into `.grad`.
   *
   * @param gradient the gradient of the output; omit for a scalar
   * @param options retainGraph, createGraph
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    const status = shim().t_backward(
      this.handle,
      gradient?.handle ?? null,
      options.retainGraph ? 1 : 0,
      options.createGraph ? 1 : 0,
    );
    checkStatus("backward", status);
  }

  // ---- readback ----

  /**
   * Copies the data to a new typed array (float16 and bfloat16 are widened to float32, bool to uint8).
   *
   * @returns a typed array of `numel()` elements in row-major order
   */
  toArray(): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array {
    const dtype = this.dtype;
    if (dtype === "float16" || dtype === "bfloat16") {
      using wide = this.to("float32");
      return wide.toArray();
    }
    const n = this.numel();
    const out: HostArray = dtype === "float32"
      ? new Float32Array(n)
      : dtype === "float64"
      ? new Float64Array(n)
      : dtype === "int64"
      ? new BigInt64Array(n)
      : dtype === "int32"
      ? new Int32Array(n)
      : new Uint8Array(n);
    if (isCapturing()) throw capturingError("toArray");
    checkStatus("toArray", shim().t_copy_to_host(this.handle, out, BigInt(n * dtypeSize(dtype))));
    return out as Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
  }

  /**
   * Copies the data to a Float32Array, converting from any dtype.
   *
   * @returns the values as float32
   */
  toFloat32Array(): Float32Array {
    if (this.dtype === "float32") return this.toArray() as Float32Array;
    using converted = this.to("float32");
    return converted.toArray() as Float32Array;
  }

  /**
   * The value of a one-element tensor.
   *
   * @returns it as a number
   */
  item(): number {
    if (isCapturing()) throw capturingError("item");
    checkStatus("item", shim().t_item(this.handle, itemScratch));
    return itemScratch[0]!;
  }

  /** A short description: shape, dtype and device. */
  toString(): string {
    if (this.isDisposed) return "Tensor(disposed)";
    return `Tensor(shape=[${this.shape.join(", ")}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- conversion ----

  /**
   * Converts to another device and/or dtype (a copy only when something changes).
   *
   * @param target a device name, a dtype, or both
   * @returns the converted tensor
   */
  to(target: Device | DType | { device?: Device; dtype?: DType }): Tensor {
    const spec = typeof target === "string"
      ? (target === "cpu" || target.startsWith("cuda")
        ? { device: target as Device }
        : { dtype: target as DType })
      : target;
    // device type -1: the shim keeps the tensor's device
    const dev = spec.device === undefined ? { type: -1, index: -1 } : parseDevice(spec.device);
    const dtype = dtypeCode(spec.dtype ?? this.dtype);
    return wrap("to", shim().t_to(this.handle, dtype, dev.type, dev.index));
  }

  /**
   * A copy on the CPU.
   * @returns a copy on the CPU
   */
  cpu(): Tensor {
    return this.to("cpu");
  }

  /**
   * A copy with its own storage.
   * @returns a copy with its own storage
   */
  clone(): Tensor {
    return wrap("clone", shim().t_clone(this.handle));
  }

  /**
   * A view of the same data cut off from the autograd graph.
   * @returns a view of the same data cut off from the autograd graph
   */
  detach(): Tensor {
    return wrap("detach", shim().t_detach(this.handle));
  }

  /**
   * A tensor laid out contiguously in `memoryFormat` (this data, or a copy), as PyTorch's
   * `x.contiguous(memory_format=...)`; autograd flows through the copy.
   *
   * @param memoryFormat `"contiguous_format"` (default, NCHW order) or `"channels_last"` (NHWC strides
   *   for 4-d tensors, the layout cuDNN and oneDNN convolve fastest; the shape stays NCHW)
   * @returns a tensor in that layout (this data, or a copy)
   */
  contiguous(memoryFormat: MemoryFormat = "contiguous_format"): Tensor {
    if (memoryFormat === "contiguous_format") return wrap("contiguous", shim().t_contiguous(this.handle));
    return wrap("contiguous", shim().t_contiguous_format(this.handle, memoryFormatCode(memoryFormat)));
  }

  /**
   * Whether this tensor is laid out contiguously in `memoryFormat`, as `x.is_contiguous(memory_format)`.
   *
   * @param memoryFormat `"contiguous_format"` (default) or `"channels_last"`
   * @returns true when no copy is needed for that layout
   */
  isContiguous(memoryFormat: MemoryFormat = "contiguous_format"): boolean {
    const status = shim().t_is_contiguous_format(this.handle, memoryFormatCode(memoryFormat));
    checkStatus("isContiguous", status);
    return status === 1;
  }

  /**
   * A new handle to the same tensor (shares data and autograd identity).
   * @returns a new handle to the same tensor (shares data and autograd identity)
   */
  ref(): Tensor {
    return wrap("ref", shim().t_shallow_clone(this.handle));
  }

  // ---- shape ----

  /**
   * The same data with a new shape (a view when possible).
   *
   * @param shape the new sizes (one may be -1)
   * @returns the same data with a new shape (a view when possible)
   */
  reshape(shape: readonly number[]): Tensor {
    const dims = int64s(shape);
    return wrap("reshape", shim().t_reshape(this.handle, dims, dims.length));
  }

  /**
   * A view with a new shape.
   *
   * @param shape the new sizes (one may be -1); the data must be contiguous enough
   * @returns a view with a new shape
   */
  view(shape: readonly number[]): Tensor {
    const dims = int64s(shape);
    return wrap("view", shim().t_view(this.handle, dims, dims.length));
  }

  /**
   * A view with dims permuted.
   *
   * @param dims the new order of dims
   * @returns a view with dims permuted
   */
  permute(dims: readonly number[]): Tensor {
    const order = int64s(dims);
    return wrap("permute", shim().t_permute(this.handle, order, order.length));
  }

  /**
   * A broadcast view.
   *
   * @param shape the sizes to broadcast to (-1 keeps a size)
   * @returns a broadcast view
   */
  expand(shape: readonly number[]): Tensor {
    const dims = int64s(shape);
    return wrap("expand", shim().t_expand(this.handle, dims, dims.length));
  }

  /**
   * A view with the two dims swapped.
   *
   * @param dim0 a dim
   * @param dim1 another dim
   * @returns a view with the two dims swapped
   */
  transpose(dim0: number, dim1: number): Tensor {
    return wrap("transpose", shim().t_transpose(this.handle, BigInt(dim0), BigInt(dim1)));
  }

  /**
   * The tensor with dims startDim..endDim merged.
   *
   * @param startDim first dim to flatten
   * @param endDim last dim to flatten
   * @returns the tensor with dims startDim..endDim merged
   */
  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap("flatten", shim().t_flatten(this.handle, BigInt(startDim), BigInt(endDim)));
  }

  /**
   * A view without it.
   *
   * @param dim the size-1 dim to remove
   * @returns a view without it
   */
  squeeze(dim: number): Tensor {
    return wrap("squeeze", shim().t_squeeze(this.handle, BigInt(dim)));
  }

  /**
   * A view with it.
   *
   * @param dim where to insert a size-1 dim
   * @returns a view with it
   */
  unsqueeze(dim: number): Tensor {
    return wrap("unsqueeze", shim().t_unsqueeze(this.handle, BigInt(dim)));
  }

  /**
   * Python's `x[..., start:end:step, ...]` along one dim.
   *
   * @param dim the dim to slice
   * @param start first index (negative counts from the end)
   * @param end one past the last index (clamped)
   * @param step stride
   * @returns a view
   */
  slice(dim: number, start = 0, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
    return wrap("slice", shim().t_slice(this.handle, BigInt(dim), BigInt(start), BigInt(end), BigInt(step)));
  }

  /**
   * Python's `x[..., index, ...]` along one dim.
   *
   * @param dim the dim
   * @param index the index (negative counts from the end)
   * @returns a view with that dim removed
   */
  select(dim: number, index: number): Tensor {
    return wrap("select", shim().t_select(this.handle, BigInt(dim), BigInt(index)));
  }

  /**
   * The picked entries.
   *
   * @param dim the dim to pick along
   * @param index an int64 tensor of indices
   * @returns the picked entries
   */
  indexSelect(dim: number, index: Tensor): Tensor {
    return wrap("indexSelect", shim().t_index_select(this.handle, BigInt(dim), index.handle));
  }

  // ---- arithmetic ----

  /**
   * `this + alpha * other`.
   *
   * @param other a tensor (broadcast) or number
   * @param alpha multiplier of `other`
   * @returns `this + alpha * other`
   */
  add(other: Tensor | number, alpha = 1): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap("add", s.t_add_scalar(this.handle, other * alpha))
      : wrap("add", s.t_add(this.handle, other.handle, alpha));
  }

  /**
   * `this - alpha * other`.
   *
   * @param other a tensor (broadcast) or number
   * @param alpha multiplier of `other`
   * @returns `this - alpha * other`
   */
  sub(other: Tensor | number, alpha = 1): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap("sub", s.t_sub_scalar(this.handle, other * alpha))
      : wrap("sub", s.t_sub(this.handle, other.handle, alpha));
  }

  /**
   * `other - this`.
   *
   * @param other a number
   * @returns `other - this`
   */
  rsub(other: number): Tensor {
    return wrap("rsub", shim().t_rsub_scalar(this.handle, other));
  }

  /**
   * The elementwise product.
   *
   * @param other a tensor (broadcast) or number
   * @returns the elementwise product
   */
  mul(other: Tensor | number): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap("mul", s.t_mul_scalar(this.handle, other))
      : wrap("mul", s.t_mul(this.handle, other.handle));
  }

  /**
   * The elementwise quotient (true division).
   *
   * @param other a tensor (broadcast) or number
   * @returns the elementwise quotient (true division)
   */
  div(other: Tensor | number): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap("div", s.t_div_scalar(this.handle, other))
      : wrap("div", s.t_div(this.handle, other.handle));
  }

  /**
   * `this ** exponent`.
   *
   * @param exponent a tensor (broadcast) or number
   * @returns `this ** exponent`
   */
  pow(exponent: Tensor | number): Tensor {
    const s = shim();
    return typeof exponent === "number"
      ? wrap("pow", s.t_pow_scalar(this.handle, exponent))
      : wrap("pow", s.t_pow(this.handle, exponent.handle));
  }

  /**
   * The elementwise maximum.
   *
   * @param other a tensor (broadcast)
   * @returns the elementwise maximum
   */
  maximum(other: Tensor): Tensor {
    return wrap("maximum", shim().t_maximum(this.handle, other.handle));
  }

  /**
   * The elementwise minimum.
   *
   * @param other a tensor (broadcast)
   * @returns the elementwise minimum
   */
  minimum(other: Tensor): Tensor {
    return wrap("minimum", shim().t_minimum(this.handle, other.handle));
  }

  /**
   * The values clamped into [min, max].
   *
   * @param min lower bound, or undefined for none
   * @param max upper bound, or undefined for none
   * @returns the values clamped into [min, max]
   */
  clamp(min?: number, max?: number): Tensor {
    const status = shim().t_clamp(
      this.handle,
      min ?? 0,
      max ?? 0,
      min === undefined ? 0 : 1,
      max === undefined ? 0 : 1,
    );
    return wrap("clamp", status);
  }

  /**
   * `-this`.
   * @returns `-this`
   */
  neg(): Tensor {
    return wrap("neg", shim().t_neg(this.handle));
  }
  /**
   * `|this|`.
   * @returns `|this|`
   */
  abs(): Tensor {
    return wrap("abs", shim().t_abs(this.handle));
  }
  /**
   * `e ** this`.
   * @returns `e ** this`
   */
  exp(): Tensor {
    return wrap("exp", shim().t_exp(this.handle));
  }
  /**
   * The natural log.
   * @returns the natural log
   */
  log(): Tensor {
    return wrap("log", shim().t_log(this.handle));
  }
  /**
   * The square root.
   * @returns the square root
   */
  sqrt(): Tensor {
    return wrap("sqrt", shim().t_sqrt(this.handle));
  }
  /**
   * `1 / sqrt(this)`.
   * @returns `1 / sqrt(this)`
   */
  rsqrt(): Tensor {
    return wrap("rsqrt", shim().t_rsqrt(this.handle));
  }
  /**
   * `this * this`.
   * @returns `this * this`
   */
  square(): Tensor {
    return wrap("square", shim().t_square(this.handle));
  }
  /**
   * -1, 0 or 1 per element.
   * @returns -1, 0 or 1 per element
   */
  sign(): Tensor {
    return wrap("sign", shim().t_sign(this.handle));
  }
  /**
   * A bool tensor, true where the value is neither NaN nor infinite.
   * @returns a bool tensor, true where the value is neither NaN nor infinite
   */
  isfinite(): Tensor {
    return wrap("isfinite", shim().t_isfinite(this.handle));
  }
  /**
   * `max(this, 0)`.
   * @returns `max(this, 0)`
   */
  relu(): Tensor {
    return wrap("relu", shim().nn_relu(this.handle));
  }
  /**
   * The hyperbolic tangent.
   * @returns the hyperbolic tangent
   */
  tanh(): Tensor {
    return wrap("tanh", shim().nn_tanh(this.handle));
  }
  /**
   * The logistic sigmoid.
   * @returns the logistic sigmoid
   */
  sigmoid(): Tensor {
    return wrap("sigmoid", shim().nn_sigmoid(this.handle));
  }

  /**
   * The matrix product (batched, broadcast like torch.matmul).
   *
   * @param other a tensor
   * @returns the matrix product (batched, broadcast like torch.matmul)
   */
  matmul(other: Tensor): Tensor {
    return wrap("matmul", shim().t_matmul(this.handle, other.handle));
  }

  /**
   * Bool tensor of `this == other`.
   * @param other tensor or number
   * @returns bool tensor of `this == other`
   */
  eq(other: Tensor | number): Tensor {
    return this.#compare("eq", other);
  }
  /**
   * Bool tensor of `this != other`.
   * @param other tensor or number
   * @returns bool tensor of `this != other`
   */
  ne(other: Tensor | number): Tensor {
    return this.#compare("ne", other);
  }
  /**
   * Bool tensor of `this < other`.
   * @param other tensor or number
   * @returns bool tensor of `this < other`
   */
  lt(other: Tensor | number): Tensor {
    return this.#compare("lt", other);
  }
  /**
   * Bool tensor of `this <= other`.
   * @param other tensor or number
   * @returns bool tensor of `this <= other`
   */
  le(other: Tensor | number): Tensor {
    return this.#compare("le", other);
  }
  /**
   * Bool tensor of `this > other`.
   * @param other tensor or number
   * @returns bool tensor of `this > other`
   */
  gt(other: Tensor | number): Tensor {
    return this.#compare("gt", other);
  }
  /**
   * Bool tensor of `this >= other`.
   * @param other tensor or number
   * @returns bool tensor of `this >= other`
   */
  ge(other: Tensor | number): Tensor {
    return this.#compare("ge", other);
  }

  #compare(op: keyof typeof COMPARE, other: Tensor | number): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap(op, s.t_compare(this.handle, null, other, COMPARE[op]))
      : wrap(op, s.t_compare(this.handle, other.handle, 0, COMPARE[op]));
  }

  // ---- reductions ----

  /**
   * The sum.
   *
   * @param dim a dim or dims to reduce; all when omitted
   * @param options keepdim
   * @returns the sum
   */
  sum(dim?: number | readonly number[], options: ReduceOptions = {}): Tensor {
    return this.#reduce("sum", shim().t_sum, dim, options);
  }

  /**
   * The mean.
   *
   * @param dim a dim or dims to reduce; all when omitted
   * @param options keepdim
   * @returns the mean
   */
  mean(dim?: number | readonly number[], options: ReduceOptions = {}): Tensor {
    return this.#reduce("mean", shim().t_mean, dim, options);
  }

  /**
   * The maximum (torch.amax).
   *
   * @param dim a dim or dims to reduce; all when omitted
   * @param options keepdim
   * @returns the maximum (torch.amax)
   */
  amax(dim?: number | readonly number[], options: ReduceOptions = {}): Tensor {
    return this.#reduce("amax", shim().t_amax, dim, options);
  }

  /**
   * The minimum (torch.amin).
   *
   * @param dim a dim or dims to reduce; all when omitted
   * @param options keepdim
   * @returns the minimum (torch.amin)
   */
  amin(dim?: number | readonly number[], options: ReduceOptions = {}): Tensor {
    return this.#reduce("amin", shim().t_amin, dim, options);
  }

  /**
   * The largest element, as a 0-dim tensor.
   * @returns the largest element, as a 0-dim tensor
   */
  max(): Tensor {
    return this.amax();
  }

  /**
   * The smallest element, as a 0-dim tensor.
   * @returns the smallest element, as a 0-dim tensor
   */
  min(): Tensor {
    return this.amin();
  }

  /**
   * The variance.
   *
   * @param dim a dim or dims to reduce; all when omitted
   * @param options keepdim, and unbiased (default true, as PyTorch)
   * @returns the variance
   */
  var(dim?: number | readonly number[], options: ReduceOptions & { unbiased?: boolean } = {}): Tensor {
    const dims = dimList(dim);
    const unbiased = options.unbiased ?? true;
    return wrap(
      "var",
      shim().t_var(this.handle, dims, dims.length, unbiased ? 1 : 0, options.keepdim ? 1 : 0),
    );
  }

  /**
   * Int64 indices of the maxima.
   *
   * @param dim the dim to reduce
   * @param options keepdim
   * @returns int64 indices of the maxima
   */
  argmax(dim: number, options: ReduceOptions = {}): Tensor {
    return wrap("argmax", shim().t_argmax(this.handle, BigInt(dim), options.keepdim ? 1 : 0));
  }

  /**
   * Int64 indices of the minima.
   *
   * @param dim the dim to reduce
   * @param options keepdim
   * @returns int64 indices of the minima
   */
  argmin(dim: number, options: ReduceOptions = {}): Tensor {
    return wrap("argmin", shim().t_argmin(this.handle, BigInt(dim), options.keepdim ? 1 : 0));
  }

  #reduce(
    op: string,
    fn: Symbols["t_sum"],
    dim: number | readonly number[] | undefined,
    options: ReduceOptions,
  ): Tensor {
    const dims = dimList(dim);
    return wrap(op, fn(this.handle, dims, dims.length, options.keepdim ? 1 : 0));
  }

  // ---- in-place (the ops optimizers and initializers need) ----

  /**
   * This, after `this += alpha * other`.
   * @param other tensor or number
   * @param alpha multiplier
   * @returns this, after `this += alpha * other`
   */
  add_(other: Tensor | number, alpha = 1): this {
    const s = shim();
    const status = typeof other === "number"
      ? s.t_add_scalar_(this.handle, other * alpha)
      : s.t_add_(this.handle, other.handle, alpha);
    checkStatus("add_", status);
    return this;
  }

  /**
   * This, after `this *= other`.
   * @param other tensor or number
   * @returns this, after `this *= other`
   */
  mul_(other: Tensor | number): this {
    const s = shim();
    const status = typeof other === "number"
      ? s.t_mul_scalar_(this.handle, other)
      : s.t_mul_(this.handle, other.handle);
    checkStatus("mul_", status);
    return this;
  }

  /**
   * This, after `this /= other`.
   * @param other a number
   * @returns this, after `this /= other`
   */
  div_(other: number): this {
    checkStatus("div_", shim().t_div_scalar_(this.handle, other));
    return this;
  }

  /**
   * This, after `this += value * a * b`.
   * @param a tensor
   * @param b tensor
   * @param value multiplier
   * @returns this, after `this += value * a * b`
   */
  addcmul_(a: Tensor, b: Tensor, value = 1): this {
    checkStatus("addcmul_", shim().t_addcmul_(this.handle, a.handle, b.handle, value));
    return this;
  }

  /**
   * This, after `this += value * a / b`.
   * @param a tensor
   * @param b tensor
   * @param value multiplier
   * @returns this, after `this += value * a / b`
   */
  addcdiv_(a: Tensor, b: Tensor, value = 1): this {
    checkStatus("addcdiv_", shim().t_addcdiv_(this.handle, a.handle, b.handle, value));
    return this;
  }

  /**
   * This, after `this += weight * (end - this)`.
   * @param end target
   * @param weight fraction
   * @returns this, after `this += weight * (end - this)`
   */
  lerp_(end: Tensor, weight: number): this {
    checkStatus("lerp_", shim().t_lerp_(this.handle, end.handle, weight));
    return this;
  }

  /**
   * This, clamped in place.
   * @param min lower bound
   * @param max upper bound
   * @returns this, clamped in place
   */
  clamp_(min: number, max: number): this {
    checkStatus("clamp_", shim().t_clamp_(this.handle, min, max));
    return this;
  }

  /**
   * This.
   * @param src values to copy in (broadcast, converted)
   * @returns this
   */
  copy_(src: Tensor): this {
    checkStatus("copy_", shim().t_copy_(this.handle, src.handle));
    return this;
  }

  /**
   * This, filled with zeros.
   * @returns this, filled with zeros
   */
  zero_(): this {
    checkStatus("zero_", shim().t_zero_(this.handle));
    return this;
  }

  /**
   * This, filled.
   * @param value the fill value
   * @returns this, filled
   */
  fill_(value: number): this {
    checkStatus("fill_", shim().t_fill_(this.handle, value));
    return this;
  }

  /**
   * This, filled from N(mean, std²).
   * @param mean mean
   * @param std standard deviation
   * @returns this, filled from N(mean, std²)
   */
  normal_(mean = 0, std = 1): this {
    checkStatus("normal_", shim().t_normal_(this.handle, mean, std));
    return this;
  }

  /**
   * This, filled from U(low, high).
   * @param low lower bound
   * @param high upper bound
   * @returns this, filled from U(low, high)
   */
  uniform_(low = 0, high = 1): this {
    checkStatus("uniform_", shim().t_uniform_(this.handle, low, high));
    return this;
  }
}

/**
 * Wraps a creating call's result, or throws its {@linkcode TorchError}.
 *
 * @param op the op's name for errors
 * @param handle what the shim returned
 * @returns a new owned tensor
 */
export function wrap(op: string, handle: Deno.PointerValue): Tensor {
  return new Tensor(check(op, handle));
}
