/**
 * Convolutions, as `torch.nn.functional.conv2d` and `conv_transpose2d`.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { type Pair, pair } from "./args.ts";
import { type Tensor, wrap } from "./tensor.ts";

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
 * import { conv2d, randn } from "@gan/dcgan";
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
 * import { convTranspose2d, randn } from "@gan/dcgan";
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
