/**
 * Normalization, as `torch.nn.functional.batch_norm` and `layer_norm`.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { int64s } from "./args.ts";
import { type Tensor, wrap } from "./tensor.ts";

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
 * @returns the normalized input, same shape
 * @example
 * ```ts
 * import { batchNorm, randn } from "@gan/dcgan";
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
 * @returns the normalized input, same shape
 * @example
 * ```ts
 * import { layerNorm, randn } from "@gan/dcgan";
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
