/**
 * Neural-network functionals, as in `torch.nn.functional`: conv2d, conv_transpose2d, batch_norm,
 * activations and losses. Each is one shim call.
 *
 * @module
 */

import { checkStatus, shim } from "../ffi/ffi.ts";
import { handles, int64s, type Tensor, wrap } from "./tensor.ts";

/** A size given once for both spatial dims, or as [height, width]. */
export type Pair = number | readonly [number, number];

function pair(value: Pair): BigInt64Array {
  return typeof value === "number" ? int64s([value, value]) : int64s(value);
}

/** How a loss reduces over the batch. */
export type Reduction = "none" | "mean" | "sum";

const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** Options of {@linkcode conv2d}. */
export interface Conv2dOptions {
  /** Stride; default 1. */
  stride?: Pair;
  /** Zero padding on each side; default 0. */
  padding?: Pair;
  /** Dilation; default 1. */
  dilation?: Pair;
  /** Groups; default 1. */
  groups?: number;
}

/**
 * 2-D convolution, as `F.conv2d`.
 *
 * @param input (N, C_in, H, W)
 * @param weight (C_out, C_in / groups, kH, kW)
 * @param bias (C_out) or undefined
 * @param options stride, padding, dilation, groups
 * @returns (N, C_out, H_out, W_out)
 * @example
 * ```ts
 * import { conv2d, randn } from "../mod.ts";
 * using y = conv2d(randn([1, 3, 8, 8]), randn([4, 3, 4, 4]), undefined, { stride: 2, padding: 1 });
 * ```
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor, options: Conv2dOptions = {}): Tensor {
  const handle = shim().nn_conv2d(
    input.handle,
    weight.handle,
    bias?.handle ?? null,
    pair(options.stride ?? 1),
    pair(options.padding ?? 0),
    pair(options.dilation ?? 1),
    BigInt(options.groups ?? 1),
  );
  return wrap("conv2d", handle);
}

/** Options of {@linkcode convTranspose2d}. */
export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra size added to one side of the output; default 0. */
  outputPadding?: Pair;
}

/**
 * 2-D transposed convolution, as `F.conv_transpose2d`.
 *
 * @param input (N, C_in, H, W)
 * @param weight (C_in, C_out / groups, kH, kW)
 * @param bias (C_out) or undefined
 * @param options stride, padding, outputPadding, groups, dilation
 * @returns (N, C_out, H_out, W_out)
 * @example
 * ```ts
 * import { convTranspose2d, randn } from "../mod.ts";
 * using y = convTranspose2d(randn([1, 8, 4, 4]), randn([8, 4, 4, 4]), undefined, { stride: 2, padding: 1 });
 * ```
 */
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor,
  options: ConvTranspose2dOptions = {},
): Tensor {
  const handle = shim().nn_conv_transpose2d(
    input.handle,
    weight.handle,
    bias?.handle ?? null,
    pair(options.stride ?? 1),
    pair(options.padding ?? 0),
    pair(options.outputPadding ?? 0),
    BigInt(options.groups ?? 1),
    pair(options.dilation ?? 1),
  );
  return wrap("convTranspose2d", handle);
}

/** Options of {@linkcode batchNorm}. */
export interface BatchNormOptions {
  /** Per-channel scale (gamma). */
  weight?: Tensor;
  /** Per-channel shift (beta). */
  bias?: Tensor;
  /** Use batch statistics and update the running ones (training mode); default false. */
  training?: boolean;
  /** Running-statistics momentum; default 0.1. */
  momentum?: number;
  /** Added to the variance; default 1e-5. */
  eps?: number;
}

/**
 * Batch normalization, as `F.batch_norm`: in training mode it normalizes with the batch's statistics
 * and updates `runningMean`/`runningVar` in place; in eval mode it uses them.
 *
 * @param input (N, C, ...)
 * @param runningMean (C) or undefined
 * @param runningVar (C) or undefined
 * @param options weight, bias, training, momentum, eps
 * @returns the normalized input
 * @example
 * ```ts
 * import { batchNorm, randn } from "../mod.ts";
 * using y = batchNorm(randn([4, 3, 2, 2]), undefined, undefined, { training: true });
 * ```
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | undefined,
  runningVar: Tensor | undefined,
  options: BatchNormOptions = {},
): Tensor {
  const handle = shim().nn_batch_norm(
    input.handle,
    options.weight?.handle ?? null,
    options.bias?.handle ?? null,
    runningMean?.handle ?? null,
    runningVar?.handle ?? null,
    options.training ? 1 : 0,
    options.momentum ?? 0.1,
    options.eps ?? 1e-5,
  );
  return wrap("batchNorm", handle);
}

/**
 * Layer normalization over the trailing dims, as `F.layer_norm`.
 *
 * @param input (..., *normalizedShape)
 * @param normalizedShape the trailing sizes to normalize over
 * @param options weight, bias, eps (default 1e-5)
 * @returns the normalized input
 * @example
 * ```ts
 * import { layerNorm, randn } from "../mod.ts";
 * using y = layerNorm(randn([2, 3, 4, 4]), [3, 4, 4]);
 * ```
 */
export function layerNorm(
  input: Tensor,
  normalizedShape: readonly number[],
  options: { weight?: Tensor; bias?: Tensor; eps?: number } = {},
): Tensor {
  const dims = int64s(normalizedShape);
  const handle = shim().nn_layer_norm(
    input.handle,
    dims,
    dims.length,
    options.weight?.handle ?? null,
    options.bias?.handle ?? null,
    options.eps ?? 1e-5,
  );
  return wrap("layerNorm", handle);
}

/**
 * `input @ weight.T + bias`.
 *
 * @param input (..., in)
 * @param weight (out, in)
 * @param bias (out) or undefined
 * @returns `input @ weight.T + bias`
 * @example
 * ```ts
 * import { linear, randn } from "../mod.ts";
 * using y = linear(randn([2, 3]), randn([4, 3]));
 * ```
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return wrap("linear", shim().nn_linear(input.handle, weight.handle, bias?.handle ?? null));
}

/**
 * The rows of `weight` at `indices`.
 *
 * @param indices int64 indices
 * @param weight (num_embeddings, dim)
 * @returns the rows of `weight` at `indices`
 * @example
 * ```ts
 * import { embedding, randn, tensor } from "../mod.ts";
 * using rows = embedding(tensor([0, 2], { dtype: "int64" }), randn([3, 5]));
 * ```
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  return wrap("embedding", shim().nn_embedding(weight.handle, indices.handle));
}

/**
 * `max(input, 0)`.
 *
 * @param input any tensor
 * @returns `max(input, 0)`
 * @example
 * ```ts
 * import { relu, tensor } from "../mod.ts";
 * using y = relu(tensor([-1, 2]));
 * ```
 */
export function relu(input: Tensor): Tensor {
  return wrap("relu", shim().nn_relu(input.handle));
}

/**
 * `input` where positive, else `negativeSlope * input`.
 *
 * @param input any tensor
 * @param negativeSlope slope for negative inputs; default 0.01 as PyTorch
 * @returns `input` where positive, else `negativeSlope * input`
 * @example
 * ```ts
 * import { leakyRelu, tensor } from "../mod.ts";
 * using y = leakyRelu(tensor([-1, 2]), 0.2);
 * ```
 */
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  return wrap("leakyRelu", shim().nn_leaky_relu(input.handle, negativeSlope));
}

/**
 * The hyperbolic tangent.
 *
 * @param input any tensor
 * @returns the hyperbolic tangent
 * @example
 * ```ts
 * import { tanh, tensor } from "../mod.ts";
 * using y = tanh(tensor([0.5]));
 * ```
 */
export function tanh(input: Tensor): Tensor {
  return wrap("tanh", shim().nn_tanh(input.handle));
}

/**
 * The logistic sigmoid.
 *
 * @param input any tensor
 * @returns the logistic sigmoid
 * @example
 * ```ts
 * import { sigmoid, tensor } from "../mod.ts";
 * using y = sigmoid(tensor([0.5]));
 * ```
 */
export function sigmoid(input: Tensor): Tensor {
  return wrap("sigmoid", shim().nn_sigmoid(input.handle));
}

/**
 * `log(1 + exp(input))`.
 *
 * @param input any tensor
 * @returns `log(1 + exp(input))`
 * @example
 * ```ts
 * import { softplus, tensor } from "../mod.ts";
 * using y = softplus(tensor([0.5]));
 * ```
 */
export function softplus(input: Tensor): Tensor {
  return wrap("softplus", shim().nn_softplus(input.handle));
}

/**
 * The input with elements zeroed and the rest scaled by 1/(1-p).
 *
 * @param input any tensor
 * @param p probability of zeroing an element
 * @param training only drop in training mode
 * @returns the input with elements zeroed and the rest scaled by 1/(1-p)
 * @example
 * ```ts
 * import { dropout, ones } from "../mod.ts";
 * using y = dropout(ones([8]), 0.5, true);
 * ```
 */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  return wrap("dropout", shim().nn_dropout(input.handle, p, training ? 1 : 0));
}

/**
 * Binary cross-entropy between probabilities and targets, as `F.binary_cross_entropy`.
 *
 * @param input probabilities in [0, 1]
 * @param target targets, same shape
 * @param options weight, reduction ("mean" default)
 * @returns the loss
 * @example
 * ```ts
 * import { binaryCrossEntropy, tensor } from "../mod.ts";
 * using loss = binaryCrossEntropy(tensor([0.9, 0.2]), tensor([1, 0]));
 * ```
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor; reduction?: Reduction } = {},
): Tensor {
  const handle = shim().nn_binary_cross_entropy(
    input.handle,
    target.handle,
    options.weight?.handle ?? null,
    REDUCTION[options.reduction ?? "mean"],
  );
  return wrap("binaryCrossEntropy", handle);
}

/**
 * Binary cross-entropy on logits (sigmoid folded in, numerically stable), as
 * `F.binary_cross_entropy_with_logits`.
 *
 * @param input logits
 * @param target targets, same shape
 * @param options weight, posWeight, reduction ("mean" default)
 * @returns the loss
 * @example
 * ```ts
 * import { binaryCrossEntropyWithLogits, tensor } from "../mod.ts";
 * using loss = binaryCrossEntropyWithLogits(tensor([2.0, -1.0]), tensor([1, 0]));
 * ```
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {},
): Tensor {
  const handle = shim().nn_binary_cross_entropy_with_logits(
    input.handle,
    target.handle,
    options.weight?.handle ?? null,
    options.posWeight?.handle ?? null,
    REDUCTION[options.reduction ?? "mean"],
  );
  return wrap("binaryCrossEntropyWithLogits", handle);
}

/**
 * Mean squared error, as `F.mse_loss`.
 *
 * @param input predictions
 * @param target targets, same shape
 * @param options reduction ("mean" default)
 * @returns the loss
 * @example
 * ```ts
 * import { mseLoss, tensor } from "../mod.ts";
 * using loss = mseLoss(tensor([1, 2]), tensor([1, 3]));
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  return wrap(
    "mseLoss",
    shim().nn_mse_loss(input.handle, target.handle, REDUCTION[options.reduction ?? "mean"]),
  );
}

/**
 * Concatenates tensors along an existing dim, as `torch.cat`.
 *
 * @param tensors the tensors (same shape except along `dim`)
 * @param dim the dim to join along; default 0
 * @returns the joined tensor
 * @example
 * ```ts
 * import { cat, ones, zeros } from "../mod.ts";
 * using both = cat([zeros([2, 3]), ones([1, 3])]);
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return wrap("cat", shim().t_cat(handles(tensors), tensors.length, BigInt(dim)));
}

/**
 * Stacks tensors along a new dim, as `torch.stack`.
 *
 * @param tensors the tensors (same shape)
 * @param dim where the new dim goes; default 0
 * @returns the stacked tensor
 * @example
 * ```ts
 * import { ones, stack, zeros } from "../mod.ts";
 * using both = stack([zeros([3]), ones([3])]);
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return wrap("stack", shim().t_stack(handles(tensors), tensors.length, BigInt(dim)));
}

/**
 * Picks from `a` where `condition` holds, else from `b`, as `torch.where`.
 *
 * @param condition a bool tensor
 * @param a values where true
 * @param b values where false
 * @returns the merged tensor
 * @example
 * ```ts
 * import { tensor, where } from "../mod.ts";
 * using x = tensor([1, -2]);
 * using y = where(x.gt(0), x, x.neg());
 * ```
 */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  return wrap("where", shim().t_where(condition.handle, a.handle, b.handle));
}

/** Options of {@linkcode maxPool2d}. */
export interface MaxPool2dOptions {
  /** Stride; default the kernel size, as PyTorch. */
  stride?: Pair;
  /** Implicit -infinity padding on each side; default 0. */
  padding?: Pair;
  /** Spacing between kernel taps; default 1. */
  dilation?: Pair;
  /** Round the output size up instead of down; default false. */
  ceilMode?: boolean;
}

/**
 * 2-D max pooling, as `F.max_pool2d`.
 *
 * @param input (N, C, H, W)
 * @param kernelSize the window, once or as [kH, kW]
 * @param options stride (default kernelSize), padding, dilation, ceilMode
 * @returns (N, C, H_out, W_out)
 * @example
 * ```ts
 * import { maxPool2d, randn } from "../mod.ts";
 * using y = maxPool2d(randn([1, 3, 9, 9]), 3, { stride: 2 }); // [1, 3, 4, 4]
 * ```
 */
export function maxPool2d(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor {
  const handle = shim().nn_max_pool2d(
    input.handle,
    pair(kernelSize),
    pair(options.stride ?? kernelSize),
    pair(options.padding ?? 0),
    pair(options.dilation ?? 1),
    options.ceilMode ? 1 : 0,
  );
  return wrap("maxPool2d", handle);
}

/** Options of {@linkcode avgPool2d}. */
export interface AvgPool2dOptions {
  /** Stride; default the kernel size, as PyTorch. */
  stride?: Pair;
  /** Implicit zero padding on each side; default 0. */
  padding?: Pair;
  /** Round the output size up instead of down; default false. */
  ceilMode?: boolean;
  /** Count the padding zeros in each average; default true, as PyTorch (TensorFlow's pooling: false). */
  countIncludePad?: boolean;
}

/**
 * 2-D average pooling, as `F.avg_pool2d`.
 *
 * @param input (N, C, H, W)
 * @param kernelSize the window, once or as [kH, kW]
 * @param options stride (default kernelSize), padding, ceilMode, countIncludePad
 * @returns (N, C, H_out, W_out)
 * @example
 * ```ts
 * import { avgPool2d, randn } from "../mod.ts";
 * using y = avgPool2d(randn([1, 3, 8, 8]), 3, { stride: 1, padding: 1, countIncludePad: false });
 * ```
 */
export function avgPool2d(input: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  const handle = shim().nn_avg_pool2d(
    input.handle,
    pair(kernelSize),
    pair(options.stride ?? kernelSize),
    pair(options.padding ?? 0),
    options.ceilMode ? 1 : 0,
    options.countIncludePad ?? true ? 1 : 0,
  );
  return wrap("avgPool2d", handle);
}

/**
 * 2-D adaptive average pooling to a fixed output size, as `F.adaptive_avg_pool2d`.
 *
 * @param input (N, C, H, W)
 * @param outputSize the output's [H_out, W_out], or one number for both
 * @returns (N, C, H_out, W_out)
 * @example
 * ```ts
 * import { adaptiveAvgPool2d, randn } from "../mod.ts";
 * using y = adaptiveAvgPool2d(randn([2, 8, 7, 7]), 1); // [2, 8, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return wrap("adaptiveAvgPool2d", shim().nn_adaptive_avg_pool2d(input.handle, pair(outputSize)));
}

/** Options of {@linkcode interpolate}. */
export interface InterpolateOptions {
  /** The output's [H_out, W_out], or one number for both. */
  size: Pair;
  /** The resampling; only `"bilinear"` is supported. */
  mode: "bilinear";
  /** Align the corner pixels' centres instead of their edges; default false, as PyTorch. */
  alignCorners?: boolean;
}

/**
 * Resizes images, as `F.interpolate(input, size, mode="bilinear", align_corners)` (no antialiasing).
 *
 * @param input (N, C, H, W), floating point
 * @param options size, mode ("bilinear"), alignCorners (default false)
 * @returns (N, C, H_out, W_out)
 * @throws {RangeError} for a mode other than bilinear
 * @example
 * ```ts
 * import { interpolate, randn } from "../mod.ts";
 * using y = interpolate(randn([1, 3, 32, 32]), { size: 299, mode: "bilinear" }); // [1, 3, 299, 299]
 * ```
 */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  if (options.mode !== "bilinear") {
    throw new RangeError(`interpolate supports mode "bilinear" only, got "${options.mode}"`);
  }
  const handle = shim().nn_upsample_bilinear2d(
    input.handle,
    pair(options.size),
    options.alignCorners ? 1 : 0,
  );
  return wrap("interpolate", handle);
}

/**
 * Eigenvalues and eigenvectors of a symmetric (Hermitian) matrix, as `torch.linalg.eigh` (reads the
 * lower triangle). Use float64 for statistics such as the Fréchet distance.
 *
 * @param input (..., n, n), symmetric
 * @returns `eigenvalues` (..., n) in ascending order, and `eigenvectors` (..., n, n) as columns; dispose both
 * @example
 * ```ts
 * import { linalgEigh, tensor } from "../mod.ts";
 * const { eigenvalues, eigenvectors } = linalgEigh(tensor([[2, 1], [1, 2]], { dtype: "float64" }));
 * console.log(eigenvalues.toArray()); // Float64Array [1, 3]
 * eigenvalues.dispose();
 * eigenvectors.dispose();
 * ```
 */
export function linalgEigh(input: Tensor): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const out = new BigUint64Array(2);
  checkStatus("linalgEigh", shim().t_linalg_eigh(input.handle, out));
  return {
    eigenvalues: wrap("linalgEigh", Deno.UnsafePointer.create(out[0]!)),
    eigenvectors: wrap("linalgEigh", Deno.UnsafePointer.create(out[1]!)),
  };
}
