/**
 * `Dropout`, as `nn.Dropout`: zeroes elements with probability p in training mode and scales the rest
 * by 1/(1-p); passes the input through in eval mode. The mask is drawn by libtorch's own dropout, from
 * the same generator as PyTorch's, so after the same `manualSeed` the same elements are dropped.
 *
 * @module
 */

import { dropout } from "../../ops/activation.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { Module } from "./module.ts";
import { floatText } from "./validate.ts";

/**
 * Randomly zeroes elements in training mode, as `nn.Dropout(p)`.
 *
 * @example
 * ```ts
 * import { Dropout, manualSeed, ones } from "@gan/dcgan";
 * manualSeed(0);
 * using drop = new Dropout(0.5);
 * using y = drop.forward(ones([8])); // each element 0 or 2
 * ```
 */
export class Dropout extends Module {
  /** Probability of zeroing an element. */
  readonly p: number;

  /**
   * Makes the layer.
   *
   * @param p probability of zeroing an element; default 0.5 as PyTorch
   * @throws {RangeError} when p is outside [0, 1]
   */
  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout p must be in [0, 1], got ${p}`);
    this.p = p;
  }

  /**
   * Applies the layer.
   *
   * @param input any tensor
   * @returns in training mode the input with elements zeroed and the rest scaled by 1/(1-p); in eval
   *   mode the input's values
   */
  override forward(input: Tensor): Tensor {
    return dropout(input, this.p, this.training);
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    return `p=${floatText(this.p)}, inplace=False`;
  }
}
