/**
 * `Tensor`: a typed handle to an at::Tensor with shape, dtype, device and autograd. A tensor is freed
 * by `dispose()` (or `using`, or {@linkcode tidy}); a FinalizationRegistry is only a backstop for
 * tensors nobody disposed.
 *
 * The class below holds the handle's lifetime, metadata and autograd state. The ops are declared and
 * documented on the `Tensor` interface after it, and defined by job in ./tensor_convert.ts,
 * ./tensor_shape.ts, ./tensor_math.ts, ./tensor_reduce.ts and ./tensor_in_place.ts, which this module
 * installs on `Tensor.prototype` (as tch-rs splits its tensor over `src/tensor/*.rs`). Only this module
 * imports those files: they import {@linkcode wrap} back, and call it only when an op runs.
 *
 * @module
 */

import { check, checkStatus, lastError, shim } from "../ffi/ffi.ts";
import { readShape } from "./args.ts";
import { type Device, deviceName } from "./device.ts";
import { type DType, dtypeOf } from "./dtype.ts";
import { track, untrack } from "./scope.ts";
import { convertMethods } from "./tensor_convert.ts";
import { inPlaceMethods } from "./tensor_in_place.ts";
import { mathMethods } from "./tensor_math.ts";
import { reduceMethods } from "./tensor_reduce.ts";
import { shapeMethods } from "./tensor_shape.ts";

/** Frees handles of tensors that were garbage-collected without `dispose()`. */
const backstop = new FinalizationRegistry<Deno.PointerObject>((handle) => shim().t_free(handle));

/** A memory layout, as PyTorch's `torch.contiguous_format` and `torch.channels_last`. */
export type MemoryFormat = "contiguous_format" | "channels_last";

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
 * A tensor on the CPU or a GPU, owned by this object until `dispose()`. Ops return new tensors (dispose
 * them too); methods ending in `_` change this tensor in place and return it.
 *
 * @example
 * ```ts
 * import { tensor } from "@gan/dcgan";
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

  /** The raw shim handle, for shim calls; throws a `ReferenceError` once the tensor is disposed. */
  get handle(): Deno.PointerObject {
    if (this.#handle !== null) return this.#handle;
    throw new ReferenceError(
      "Cannot use a disposed tensor: keep it alive (keep() inside tidy()) or clone() it before dispose()",
    );
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
    return (this.#shape ??= readShape(handle)).slice();
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

  /** A short description: shape, dtype and device. */
  toString(): string {
    if (this.isDisposed) return "Tensor(disposed)";
    return `Tensor(shape=[${this.shape.join(", ")}], dtype=${this.dtype}, device=${this.device})`;
  }

  /** Whether autograd records ops on this tensor; setting it calls {@linkcode Tensor.requiresGrad_}. */
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
    if (handle === null && lastError()) check("grad", null); // NULL with an empty message is PyTorch's None
    return handle === null ? undefined : new Tensor(handle);
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
   * Turns gradient recording on (default) or off for this leaf tensor.
   *
   * @param requires true to record
   * @returns this tensor
   * @throws {TypeError} turning it off for a tensor computed by an op (use `detach()` instead)
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
   * @param gradient the gradient of this tensor; omit for a scalar
   * @param options retainGraph, createGraph
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    const { retainGraph, createGraph } = options;
    const status = shim().t_backward(
      this.handle,
      gradient?.handle ?? null,
      retainGraph ? 1 : 0,
      createGraph ? 1 : 0,
    );
    checkStatus("backward", status);
  }

  /** A view of the same data cut off from the autograd graph. */
  detach(): Tensor {
    return wrap("detach", shim().t_detach(this.handle));
  }
}

/** The ops of {@linkcode Tensor}. Where an op takes a tensor `other`, it broadcasts against this one. */
export interface Tensor {
  // ---- readback and conversion (./tensor_convert.ts) ----

  /**
   * Copies the data to a new typed array in row-major order (float16 and bfloat16 are widened to
   * float32, bool to uint8). Throws during a CUDA graph capture.
   */
  toArray(): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
  /** Copies the data to a Float32Array, converting from any dtype. */
  toFloat32Array(): Float32Array;
  /** The value of a one-element tensor. Throws during a CUDA graph capture. */
  item(): number;
  /** Converts to a device, a dtype, or both (`{ device, dtype }`); copies only when something changes. */
  to(target: Device | DType | { device?: Device; dtype?: DType }): Tensor;
  /** This tensor on the CPU: a copy, or the same data when it is already there. */
  cpu(): Tensor;
  /** A copy with its own storage. */
  clone(): Tensor;
  /** A new handle to the same tensor (shares data and autograd identity). */
  ref(): Tensor;
  /**
   * This tensor laid out contiguously in `memoryFormat` (this data, or a copy autograd flows through),
   * as `x.contiguous(memory_format=...)`. `"channels_last"` gives a 4-d tensor NHWC strides (the layout
   * cuDNN and oneDNN convolve fastest) and keeps its NCHW shape. Default `"contiguous_format"`.
   */
  contiguous(memoryFormat?: MemoryFormat): Tensor;
  /** Whether no copy is needed for `memoryFormat` (default `"contiguous_format"`), as `x.is_contiguous()`. */
  isContiguous(memoryFormat?: MemoryFormat): boolean;

  // ---- views and shape (./tensor_shape.ts); one size in `shape` may be -1, inferred ----

  /** The same data with a new shape (a view when possible). */
  reshape(shape: readonly number[]): Tensor;
  /** A view with a new shape; the data must be contiguous enough. */
  view(shape: readonly number[]): Tensor;
  /** A view with dims in the order `dims`. */
  permute(dims: readonly number[]): Tensor;
  /** A broadcast view (-1 keeps a size). */
  expand(shape: readonly number[]): Tensor;
  /** A view with dims `dim0` and `dim1` swapped. */
  transpose(dim0: number, dim1: number): Tensor;
  /** The tensor with dims `startDim` (default 0) to `endDim` (default -1) merged into one. */
  flatten(startDim?: number, endDim?: number): Tensor;
  /** A view without the size-1 dim `dim`. */
  squeeze(dim: number): Tensor;
  /** A view with a size-1 dim inserted at `dim`. */
  unsqueeze(dim: number): Tensor;
  /**
   * Python's `x[..., start:end:step, ...]` along `dim`, as a view. `start` (default 0) counts from
   * the end when negative; `end` (default: the end) is clamped; `step` defaults to 1.
   */
  slice(dim: number, start?: number, end?: number, step?: number): Tensor;
  /** Python's `x[..., index, ...]` along `dim`: a view without that dim (`index` < 0 counts from the end). */
  select(dim: number, index: number): Tensor;
  /** The entries at the int64 tensor `index` along `dim`, as `torch.index_select`. */
  indexSelect(dim: number, index: Tensor): Tensor;

  // ---- arithmetic and comparisons (./tensor_math.ts) ----

  /** `this + alpha * other` (`alpha` defaults to 1). */
  add(other: Tensor | number, alpha?: number): Tensor;
  /** `this - alpha * other` (`alpha` defaults to 1). */
  sub(other: Tensor | number, alpha?: number): Tensor;
  /** `other - this`. */
  rsub(other: number): Tensor;
  /** The elementwise product. */
  mul(other: Tensor | number): Tensor;
  /** The elementwise quotient (true division). */
  div(other: Tensor | number): Tensor;
  /** `this ** exponent`. */
  pow(exponent: Tensor | number): Tensor;
  /** The elementwise maximum. */
  maximum(other: Tensor): Tensor;
  /** The elementwise minimum. */
  minimum(other: Tensor): Tensor;
  /** The values clamped into [min, max]; an omitted bound is not applied. */
  clamp(min?: number, max?: number): Tensor;
  /** `-this`. */
  neg(): Tensor;
  /** `|this|`. */
  abs(): Tensor;
  /** `e ** this`. */
  exp(): Tensor;
  /** The natural log. */
  log(): Tensor;
  /** The square root. */
  sqrt(): Tensor;
  /** `1 / sqrt(this)`. */
  rsqrt(): Tensor;
  /** `this * this`. */
  square(): Tensor;
  /** -1, 0 or 1 per element. */
  sign(): Tensor;
  /** A bool tensor, true where the value is neither NaN nor infinite. */
  isfinite(): Tensor;
  /** `max(this, 0)`. */
  relu(): Tensor;
  /** The hyperbolic tangent. */
  tanh(): Tensor;
  /** The logistic sigmoid. */
  sigmoid(): Tensor;
  /** The matrix product, batched and broadcast like `torch.matmul`. */
  matmul(other: Tensor): Tensor;
  /** A bool tensor of `this == other`. */
  eq(other: Tensor | number): Tensor;
  /** A bool tensor of `this != other`. */
  ne(other: Tensor | number): Tensor;
  /** A bool tensor of `this < other`. */
  lt(other: Tensor | number): Tensor;
  /** A bool tensor of `this <= other`. */
  le(other: Tensor | number): Tensor;
  /** A bool tensor of `this > other`. */
  gt(other: Tensor | number): Tensor;
  /** A bool tensor of `this >= other`. */
  ge(other: Tensor | number): Tensor;

  // ---- reductions (./tensor_reduce.ts) over a dim or dims, or all dims when `dim` is omitted ----

  /** The sum. */
  sum(dim?: number | readonly number[], options?: ReduceOptions): Tensor;
  /** The mean. */
  mean(dim?: number | readonly number[], options?: ReduceOptions): Tensor;
  /** The maximum, as `torch.amax`. */
  amax(dim?: number | readonly number[], options?: ReduceOptions): Tensor;
  /** The minimum, as `torch.amin`. */
  amin(dim?: number | readonly number[], options?: ReduceOptions): Tensor;
  /** The largest element, as a 0-dim tensor. */
  max(): Tensor;
  /** The smallest element, as a 0-dim tensor. */
  min(): Tensor;
  /** The variance; `unbiased` (Bessel's correction) defaults to true, as in PyTorch. */
  var(dim?: number | readonly number[], options?: ReduceOptions & { unbiased?: boolean }): Tensor;
  /** Int64 indices of the maxima along `dim`. */
  argmax(dim: number, options?: ReduceOptions): Tensor;
  /** Int64 indices of the minima along `dim`. */
  argmin(dim: number, options?: ReduceOptions): Tensor;

  // ---- in place, as optimizers and initializers need (./tensor_in_place.ts); each returns this ----

  /** `this += alpha * other` (`alpha` defaults to 1). */
  add_(other: Tensor | number, alpha?: number): this;
  /** `this *= other`. */
  mul_(other: Tensor | number): this;
  /** `this /= other`. */
  div_(other: number): this;
  /** `this += value * a * b` (`value` defaults to 1). */
  addcmul_(a: Tensor, b: Tensor, value?: number): this;
  /** `this += value * a / b` (`value` defaults to 1). */
  addcdiv_(a: Tensor, b: Tensor, value?: number): this;
  /** `this += weight * (end - this)`. */
  lerp_(end: Tensor, weight: number): this;
  /** Clamps into [min, max]. */
  clamp_(min: number, max: number): this;
  /** Copies `src` in (broadcast, and converted to this tensor's dtype and device). */
  copy_(src: Tensor): this;
  /** Fills with zeros. */
  zero_(): this;
  /** Fills with `value`. */
  fill_(value: number): this;
  /** Fills from N(mean, std²); defaults N(0, 1). */
  normal_(mean?: number, std?: number): this;
  /** Fills from U(low, high); defaults U(0, 1). */
  uniform_(low?: number, high?: number): this;
}

// Non-enumerable, as methods written in the class body would be.
for (const methods of [convertMethods, shapeMethods, mathMethods, reduceMethods, inPlaceMethods]) {
  for (const [name, method] of Object.entries(Object.getOwnPropertyDescriptors(methods))) {
    Object.defineProperty(Tensor.prototype, name, { ...method, enumerable: false });
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
