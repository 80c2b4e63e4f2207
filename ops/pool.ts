/**
 * Pooling and resizing, as `torch.nn.functional.max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d` and
 * `interpolate` (bilinear).
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { type Pair, pair } from "./args.ts";
import { type Tensor, wrap } from "./tensor.ts";

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
 * import { maxPool2d, randn } from "@gan/dcgan";
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
 * import { avgPool2d, randn } from "@gan/dcgan";
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
 * import { adaptiveAvgPool2d, randn } from "@gan/dcgan";
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
 * import { interpolate, randn } from "@gan/dcgan";
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
