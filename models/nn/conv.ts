/**
 * Convolution layers: `Conv2d` and `ConvTranspose2d`, as `torch.nn`, with PyTorch's parameter shapes,
 * names and default initialization.
 *
 * @module
 */

import { conv2d, type Conv2dOptions, convTranspose2d, type ConvTranspose2dOptions } from "../../ops/conv.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { fanInUniform, kaimingUniform } from "./init.ts";
import { Module } from "./module.ts";
import { pairOf, pairText, positiveInteger } from "./validate.ts";

/** Options of {@linkcode Conv2d}: stride, padding, dilation, groups and bias. */
export interface Conv2dLayerOptions extends Conv2dOptions {
  /** Learn a per-channel bias; default true. */
  bias?: boolean;
}

/** Options of {@linkcode ConvTranspose2d}: stride, padding, outputPadding, dilation, groups and bias. */
export interface ConvTranspose2dLayerOptions extends ConvTranspose2dOptions {
  /** Learn a per-channel bias; default true. */
  bias?: boolean;
}

function checkChannels(layer: string, inChannels: number, outChannels: number, groups: number): void {
  positiveInteger(`${layer} inChannels`, inChannels);
  positiveInteger(`${layer} outChannels`, outChannels);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(
      `${layer} groups must divide inChannels (${inChannels}) and outChannels (${outChannels}), got ${groups}`,
    );
  }
}

/**
 * What Conv2d and ConvTranspose2d share, as PyTorch's `_ConvNd`: the settings, the checks, the input
 * check and the printout. Subclasses give the weight's shape and apply the functional.
 */
export abstract class ConvNd extends Module {
  /** The learned filters; see the subclass for the layout. */
  weight: Tensor;
  /** The learned per-channel bias, or undefined with `bias: false`. */
  bias: Tensor | undefined;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** [height, width] stride. */
  readonly stride: [number, number];
  /** [height, width] zero padding (for ConvTranspose2d: removed from the output). */
  readonly padding: [number, number];
  /** [height, width] dilation. */
  readonly dilation: [number, number];
  /** Channel groups. */
  readonly groups: number;
  readonly #layer: string;

  /**
   * Checks the settings and makes the parameters with PyTorch's default init.
   *
   * @param layer the layer's name, for messages
   * @param channels [inChannels, outChannels]
   * @param kernelSize the filter size, once or as [kH, kW]
   * @param options stride (1), padding (0), dilation (1), groups (1), bias (true), and `transposed`:
   *   whether the weight is (in, out / groups, kH, kW) with its fan-in from the second dim
   * @throws {RangeError} for a size that is not a positive integer (padding: not >= 0)
   */
  protected constructor(
    layer: string,
    channels: [number, number],
    kernelSize: number | readonly [number, number],
    options: Conv2dOptions & { bias?: boolean; transposed: boolean },
  ) {
    super();
    const [inChannels, outChannels] = channels;
    this.#layer = layer;
    this.groups = positiveInteger(`${layer} groups`, options.groups ?? 1);
    checkChannels(layer, inChannels, outChannels, this.groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pairOf(`${layer} kernelSize`, kernelSize, 1);
    this.stride = pairOf(`${layer} stride`, options.stride ?? 1, 1);
    this.padding = pairOf(`${layer} padding`, options.padding ?? 0, 0);
    this.dilation = pairOf(`${layer} dilation`, options.dilation ?? 1, 1);
    const [first, second] = options.transposed ? [inChannels, outChannels] : [outChannels, inChannels];
    const fanIn = (second / this.groups) * this.kernelSize[0] * this.kernelSize[1];
    this.weight = this.param(kaimingUniform([first, second / this.groups, ...this.kernelSize], fanIn));
    this.bias = options.bias ?? true ? this.param(fanInUniform([outChannels], fanIn)) : undefined;
  }

  /**
   * Throws unless the input is (N, inChannels, H, W).
   *
   * @param input the layer's input
   */
  protected checkInput(input: Tensor): void {
    const shape = input.shape;
    if (shape.length !== 4 || shape[1] !== this.inChannels) {
      throw new TypeError(
        `${this.#layer} expects input of shape [N, ${this.inChannels}, H, W], got [${shape.join(", ")}]`,
      );
    }
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    const parts = [
      `${this.inChannels}, ${this.outChannels}, kernel_size=${pairText(this.kernelSize)}`,
      `stride=${pairText(this.stride)}`,
    ];
    if (this.padding.some((p) => p !== 0)) parts.push(`padding=${pairText(this.padding)}`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=${pairText(this.dilation)}`);
    const outputPadding = this instanceof ConvTranspose2d ? this.outputPadding : undefined;
    if (outputPadding?.some((p) => p !== 0)) parts.push(`output_padding=${pairText(outputPadding)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === undefined) parts.push("bias=False");
    return parts.join(", ");
  }
}

/**
 * 2-D convolution, as `nn.Conv2d`: `weight` (outChannels, inChannels / groups, kH, kW) and optional
 * `bias` (outChannels), both drawn as PyTorch's default (uniform in ±1/sqrt(fan_in)).
 *
 * @example
 * ```ts
 * import { Conv2d, randn } from "@gan/dcgan";
 * using conv = new Conv2d(3, 8, 4, { stride: 2, padding: 1, bias: false });
 * using y = conv.forward(randn([2, 3, 32, 32])); // [2, 8, 16, 16]
 * ```
 */
export class Conv2d extends ConvNd {
  /**
   * Makes the layer with PyTorch's default init.
   *
   * @param inChannels input channels
   * @param outChannels output channels
   * @param kernelSize the filter size, once or as [kH, kW]
   * @param options stride (1), padding (0), dilation (1), groups (1), bias (true)
   * @throws {RangeError} for a size that is not a positive integer (padding: not >= 0)
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number, number],
    options: Conv2dLayerOptions = {},
  ) {
    super("Conv2d", [inChannels, outChannels], kernelSize, { ...options, transposed: false });
  }

  /**
   * Applies the layer.
   *
   * @param input (N, inChannels, H, W)
   * @returns (N, outChannels, H_out, W_out)
   * @throws {TypeError} when the input is not 4-D with inChannels channels
   */
  override forward(input: Tensor): Tensor {
    this.checkInput(input);
    const { stride, padding, dilation, groups } = this;
    return conv2d(input, this.weight, this.bias, { stride, padding, dilation, groups });
  }
}

/**
 * 2-D transposed convolution, as `nn.ConvTranspose2d`: `weight` (inChannels, outChannels / groups, kH,
 * kW) and optional `bias` (outChannels), drawn as PyTorch's default (its fan-in is taken from the
 * weight's second dim, as PyTorch does).
 *
 * @example
 * ```ts
 * import { ConvTranspose2d, randn } from "@gan/dcgan";
 * using up = new ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1, bias: false });
 * using y = up.forward(randn([2, 16, 4, 4])); // [2, 8, 8, 8]
 * ```
 */
export class ConvTranspose2d extends ConvNd {
  /** [height, width] size added to one side of the output. */
  readonly outputPadding: [number, number];

  /**
   * Makes the layer with PyTorch's default init.
   *
   * @param inChannels input channels
   * @param outChannels output channels
   * @param kernelSize the filter size, once or as [kH, kW]
   * @param options stride (1), padding (0), outputPadding (0), dilation (1), groups (1), bias (true)
   * @throws {RangeError} for a size that is not a positive integer (paddings: not >= 0)
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number, number],
    options: ConvTranspose2dLayerOptions = {},
  ) {
    super("ConvTranspose2d", [inChannels, outChannels], kernelSize, { ...options, transposed: true });
    this.outputPadding = pairOf("ConvTranspose2d outputPadding", options.outputPadding ?? 0, 0);
  }

  /**
   * Applies the layer.
   *
   * @param input (N, inChannels, H, W)
   * @returns (N, outChannels, H_out, W_out)
   * @throws {TypeError} when the input is not 4-D with inChannels channels
   */
  override forward(input: Tensor): Tensor {
    this.checkInput(input);
    const { stride, padding, outputPadding, dilation, groups } = this;
    return convTranspose2d(input, this.weight, this.bias, {
      stride,
      padding,
      outputPadding,
      dilation,
      groups,
    });
  }
}
