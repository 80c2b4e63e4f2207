/**
 * Neural-network functionals, as in `torch.nn.functional`: conv2d, conv_transpose2d, batch_norm,
 * activations and losses. Each is one shim call.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
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
