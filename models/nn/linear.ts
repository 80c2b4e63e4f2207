/**
 * `Linear` and `Embedding` layers, as `torch.nn`, with PyTorch's parameter shapes, names and default
 * initialization.
 *
 * @module
 */

import { empty } from "../../ops/creation.ts";
import { embedding, linear } from "../../ops/linear.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { fanInUniform, kaimingUniform } from "./init.ts";
import { Module } from "./module.ts";
import { positiveInteger } from "./validate.ts";

/**
 * `x @ weight.T + bias`, as `nn.Linear`: `weight` (outFeatures, inFeatures) and optional `bias`
 * (outFeatures), both uniform in ±1/sqrt(inFeatures) as PyTorch's default.
 *
 * @example
 * ```ts
 * import { Linear, randn } from "@gan/dcgan";
 * using fc = new Linear(128, 10);
 * using y = fc.forward(randn([4, 128])); // [4, 10]
 * ```
 */
export class Linear extends Module {
  /** The learned matrix, (outFeatures, inFeatures). */
  weight: Tensor;
  /** The learned bias, or undefined with `bias: false`. */
  bias: Tensor | undefined;
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;

  /**
   * Makes the layer with PyTorch's default init.
   *
   * @param inFeatures input features
   * @param outFeatures output features
   * @param options bias (default true)
   * @throws {RangeError} when a size is not a positive integer
   */
  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.inFeatures = positiveInteger("Linear inFeatures", inFeatures);
    this.outFeatures = positiveInteger("Linear outFeatures", outFeatures);
    this.weight = this.param(kaimingUniform([outFeatures, inFeatures], inFeatures));
    this.bias = options.bias ?? true ? this.param(fanInUniform([outFeatures], inFeatures)) : undefined;
  }

  /**
   * Applies the layer.
   *
   * @param input (..., inFeatures)
   * @returns (..., outFeatures)
   * @throws {TypeError} when the last dim is not inFeatures
   */
  override forward(input: Tensor): Tensor {
    const shape = input.shape;
    if (shape.length === 0 || shape[shape.length - 1] !== this.inFeatures) {
      throw new TypeError(
        `Linear expects input of shape [..., ${this.inFeatures}], got [${shape.join(", ")}]`,
      );
    }
    return linear(input, this.weight, this.bias);
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    const bias = this.bias === undefined ? "False" : "True";
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${bias}`;
  }
}

/**
 * A lookup table, as `nn.Embedding`: `weight` (numEmbeddings, embeddingDim) drawn from N(0, 1) as
 * PyTorch's default; `forward` picks rows by int64 (or int32) index.
 *
 * @example
 * ```ts
 * import { Embedding, tensor } from "@gan/dcgan";
 * using table = new Embedding(10, 16);
 * using rows = table.forward(tensor([3, 7], { dtype: "int64" })); // [2, 16]
 * ```
 */
export class Embedding extends Module {
  /** The learned table, (numEmbeddings, embeddingDim). */
  weight: Tensor;
  /** Rows in the table. */
  readonly numEmbeddings: number;
  /** Size of each row. */
  readonly embeddingDim: number;

  /**
   * Makes the layer with PyTorch's default init.
   *
   * @param numEmbeddings rows in the table (the number of classes)
   * @param embeddingDim size of each row
   * @throws {RangeError} when a size is not a positive integer
   */
  constructor(numEmbeddings: number, embeddingDim: number) {
    super();
    this.numEmbeddings = positiveInteger("Embedding numEmbeddings", numEmbeddings);
    this.embeddingDim = positiveInteger("Embedding embeddingDim", embeddingDim);
    this.weight = this.param(empty([numEmbeddings, embeddingDim]).normal_(0, 1));
  }

  /**
   * Applies the layer.
   *
   * @param indices int64 or int32 indices in [0, numEmbeddings)
   * @returns (...indices.shape, embeddingDim)
   * @throws {TypeError} when the indices are not integers
   */
  override forward(indices: Tensor): Tensor {
    if (indices.dtype !== "int64" && indices.dtype !== "int32") {
      throw new TypeError(
        `Embedding expects int64 or int32 indices, got ${indices.dtype}: convert with .to("int64")`,
      );
    }
    return embedding(indices, this.weight);
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
