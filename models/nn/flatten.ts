/**
 * `Flatten` and `Unflatten`, as `torch.nn`: reshaping layers, so that a network that goes from images
 * to vectors (or back) still reads as one layer list.
 *
 * @module
 */

import type { Tensor } from "../../ops/tensor.ts";
import { Module } from "./module.ts";
import { positiveInteger } from "./validate.ts";

/**
 * Flattens dims `startDim`..`endDim` into one, as `nn.Flatten` (default: all but the batch dim).
 *
 * @example
 * ```ts
 * import { Flatten, randn } from "@gan/dcgan";
 * using y = new Flatten().forward(randn([2, 3, 4, 4])); // [2, 48]
 * ```
 */
export class Flatten extends Module {
  /** First dim to flatten. */
  readonly startDim: number;
  /** Last dim to flatten (negative counts from the end). */
  readonly endDim: number;

  /**
   * Makes the layer.
   *
   * @param startDim first dim to flatten; default 1
   * @param endDim last dim to flatten; default -1
   */
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /**
   * Applies the layer.
   *
   * @param input a tensor with at least startDim + 1 dims
   * @returns the input with dims startDim..endDim merged
   */
  override forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/**
 * Splits one dim into several, as `nn.Unflatten(dim, sizes)`: (N, C*H*W) to (N, C, H, W) with dim 1.
 *
 * @example
 * ```ts
 * import { randn, Unflatten } from "@gan/dcgan";
 * using y = new Unflatten(1, [3, 4, 4]).forward(randn([2, 48])); // [2, 3, 4, 4]
 * ```
 */
export class Unflatten extends Module {
  /** The dim to split. */
  readonly dim: number;
  /** What it becomes. */
  readonly sizes: readonly number[];

  /**
   * Makes the layer.
   *
   * @param dim the dim to split (non-negative)
   * @param sizes the new sizes, whose product is that dim's size
   * @throws {RangeError} when dim is negative or a size is not a positive integer
   */
  constructor(dim: number, sizes: readonly number[]) {
    super();
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new RangeError(`Unflatten dim must be an integer >= 0, got ${dim}`);
    }
    sizes.forEach((size) => positiveInteger("Unflatten sizes entries", size));
    this.dim = dim;
    this.sizes = [...sizes];
  }

  /**
   * Applies the layer.
   *
   * @param input a tensor whose dim `dim` has the product of `sizes` elements
   * @returns the input with that dim split
   * @throws {TypeError} when the dim's size is not the product of `sizes`
   */
  override forward(input: Tensor): Tensor {
    const shape = input.shape;
    const size = this.sizes.reduce((a, b) => a * b, 1);
    if (shape.length <= this.dim || shape[this.dim] !== size) {
      throw new TypeError(
        `Unflatten expects dim ${this.dim} of size ${size} (${this.sizes.join(" x ")}), got [${
          shape.join(", ")
        }]`,
      );
    }
    return input.reshape([...shape.slice(0, this.dim), ...this.sizes, ...shape.slice(this.dim + 1)]);
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=(${this.sizes.join(", ")}${
      this.sizes.length === 1 ? "," : ""
    })`;
  }
}
