/**
 * Convolution layers: `Conv2d` and `ConvTranspose2d`, as `torch.nn`, with PyTorch's parameter shapes,
 * names and default initialization.
 *
 * @module
 */

import {
  conv2d,
  type Conv2dOptions,
  convTranspose2d,
  type ConvTranspose2dOptions,
} from "../ops/functional.ts";
import type { Tensor } from "../ops/tensor.ts";
import { fanInUniform, kaimingUniform } from "./default_init.ts";
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

interface ConvSettings {
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

function settings(
  layer: string,
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly [number, number],
  options: Conv2dOptions,
): ConvSettings {
  positiveInteger(`${layer} inChannels`, inChannels);
  positiveInteger(`${layer} outChannels`, outChannels);
  const groups = positiveInteger(`${layer} groups`, options.groups ?? 1);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(
      `${layer} groups must divide inChannels (${inChannels}) and outChannels (${outChannels}), got ${groups}`,
    );
  }
  return {
    kernelSize: pairOf(`${layer} kernelSize`, kernelSize, 1),
    stride: pairOf(`${layer} stride`, options.stride ?? 1, 1),
    padding: pairOf(`${layer} padding`, options.padding ?? 0, 0),
    dilation: pairOf(`${layer} dilation`, options.dilation ?? 1, 1),
    groups,
  };
}

function checkInput(layer: string, input: Tensor, channels: number): void {
  const shape = input.shape;
  if (shape.length !== 4 || shape[1] !== channels) {
    throw new TypeError(`${layer} expects input of shape [N, ${channels}, H, W], got [${shape.join(", ")}]`);
  }
}

function repr(layer: Conv2d | ConvTranspose2d, outputPadding?: [number, number]): string {
  const parts = [
    `${layer.inChannels}, ${layer.outChannels}, kernel_size=${pairText(layer.kernelSize)}`,
    `stride=${pairText(layer.stride)}`,
  ];
  if (layer.padding.some((p) => p !== 0)) parts.push(`padding=${pairText(layer.padding)}`);
  if (layer.dilation.some((d) => d !== 1)) parts.push(`dilation=${pairText(layer.dilation)}`);
  if (outputPadding?.some((p) => p !== 0)) parts.push(`output_padding=${pairText(outputPadding)}`);
  if (layer.groups !== 1) parts.push(`groups=${layer.groups}`);
  if (layer.bias === undefined) parts.push("bias=False");
  return parts.join(", ");
}

/**
 * 2-D convolution, as `nn.Conv2d`: `weight` (outChannels, inChannels / groups, kH, kW) and optional
 * `bias` (outChannels), both drawn as PyTorch's default (uniform in ±1/sqrt(fan_in)).
 *
 * @example
 * ```ts
 * import { Conv2d, randn } from "../mod.ts";
 * using conv = new Conv2d(3, 8, 4, { stride: 2, padding: 1, bias: false });
 * using y = conv.forward(randn([2, 3, 32, 32])); // [2, 8, 16, 16]
 * ```
 */
export class Conv2d extends Module {
  /** The learned filters, (outChannels, inChannels / groups, kH, kW). */
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
  /** [height, width] zero padding. */
  readonly padding: [number, number];
  /** [height, width] dilation. */
  readonly dilation: [number, number];
  /** Channel groups. */
  readonly groups: number;

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
    super();
    const s = settings("Conv2d", inChannels, outChannels, kernelSize, options);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = s.kernelSize;
    this.stride = s.stride;
    this.padding = s.padding;
    this.dilation = s.dilation;
    this.groups = s.groups;
    const fanIn = (inChannels / s.groups) * s.kernelSize[0] * s.kernelSize[1];
    this.weight = this.param(kaimingUniform([outChannels, inChannels / s.groups, ...s.kernelSize], fanIn));
    this.bias = options.bias ?? true ? this.param(fanInUniform([outChannels], fanIn)) : undefined;
  }

  /**
   * Applies the layer.
   *
   * @param input (N, inChannels, H, W)
   * @returns (N, outChannels, H_out, W_out)
   * @throws {TypeError} when the input is not 4-D with inChannels channels
   */
  override forward(input: Tensor): Tensor {
    checkInput("Conv2d", input, this.inChannels);
    const { stride, padding, dilation, groups } = this;
    return conv2d(input, this.weight, this.bias, { stride, padding, dilation, groups });
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    return repr(this);
  }
}

/**
 * 2-D transposed convolution, as `nn.ConvTranspose2d`: `weight` (inChannels, outChannels / groups, kH,
 * kW) and optional `bias` (outChannels), drawn as PyTorch's default (its fan-in is taken from the
 * weight's second dim, as PyTorch does).
 *
 * @example
 * ```ts
 * import { ConvTranspose2d, randn } from "../mod.ts";
 * using up = new ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1, bias: false });
 * using y = up.forward(randn([2, 16, 4, 4])); // [2, 8, 8, 8]
 * ```
 */
export class ConvTranspose2d extends Module {
  /** The learned filters, (inChannels, outChannels / groups, kH, kW). */
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
  /** [height, width] padding removed from the output. */
  readonly padding: [number, number];
  /** [height, width] size added to one side of the output. */
  readonly outputPadding: [number, number];
  /** [height, width] dilation. */
  readonly dilation: [number, number];
  /** Channel groups. */
  readonly groups: number;

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
    super();
    const s = settings("ConvTranspose2d", inChannels, outChannels, kernelSize, options);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = s.kernelSize;
    this.stride = s.stride;
    this.padding = s.padding;
    this.outputPadding = pairOf("ConvTranspose2d outputPadding", options.outputPadding ?? 0, 0);
    this.dilation = s.dilation;
    this.groups = s.groups;
    const fanIn = (outChannels / s.groups) * s.kernelSize[0] * s.kernelSize[1];
    this.weight = this.param(kaimingUniform([inChannels, outChannels / s.groups, ...s.kernelSize], fanIn));
    this.bias = options.bias ?? true ? this.param(fanInUniform([outChannels], fanIn)) : undefined;
  }

  /**
   * Applies the layer.
   *
   * @param input (N, inChannels, H, W)
   * @returns (N, outChannels, H_out, W_out)
   * @throws {TypeError} when the input is not 4-D with inChannels channels
   */
  override forward(input: Tensor): Tensor {
    checkInput("ConvTranspose2d", input, this.inChannels);
    const { stride, padding, outputPadding, dilation, groups } = this;
    return convTranspose2d(input, this.weight, this.bias, {
      stride,
      padding,
      outputPadding,
      dilation,
      groups,
    });
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    return repr(this, this.outputPadding);
  }
}
