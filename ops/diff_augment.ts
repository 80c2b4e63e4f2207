/**
 * DiffAugment's three augmentations fused into one CPU kernel (ffi/diff_augment.cpp), for
 * `tasks/gan/augment.ts`: the same draws as the ATen-composed path, two passes over the images instead of
 * about sixty small ops.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import type { Tensor } from "./tensor.ts";
import { wrap } from "./tensor.ts";

/** Which augmentations the fused kernel applies, in the order colour, translation, cutout. */
export interface FusedAugmentation {
  /** Brightness, saturation and contrast. */
  colour: boolean;
  /** Largest shift in rows and in columns, or undefined for no translation. */
  shift?: readonly [number, number];
  /** Side of the cutout square in rows and in columns, or undefined for no cutout. */
  cut?: readonly [number, number];
}

/**
 * Augments CPU images (float32, float64 or bfloat16) with colour, then translation, then cutout, each when
 * asked for, drawing what DiffAugment draws in that order; differentiable, double backward included.
 *
 * @param images (N, C, H, W) on the CPU
 * @param what the augmentations and their sizes
 * @returns a new contiguous (N, C, H, W) tensor of the images' dtype
 * @throws {TorchError} for images that are not 4-d or not on the CPU
 * @example
 * ```ts
 * import { randn } from "./creation.ts";
 * import { fusedDiffAugment } from "./diff_augment.ts";
 * using y = fusedDiffAugment(randn([2, 3, 8, 8]), { colour: true, shift: [1, 1], cut: [4, 4] });
 * ```
 */
export function fusedDiffAugment(images: Tensor, what: FusedAugmentation): Tensor {
  const [shiftH, shiftW] = what.shift ?? [-1, -1];
  const [cutH, cutW] = what.cut ?? [-1, -1];
  const handle = shim().nn_diff_augment(
    images.handle,
    what.colour ? 1 : 0,
    BigInt(shiftH),
    BigInt(shiftW),
    BigInt(cutH),
    BigInt(cutW),
  );
  return wrap("fusedDiffAugment", handle);
}
