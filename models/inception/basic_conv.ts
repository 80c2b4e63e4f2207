/**
 * Inception-v3's unit, torchvision's `BasicConv2d` (convolution, batch norm, ReLU), and the two helpers
 * every block (blocks.ts, aux_logits.ts) builds its branches with: the configurable 3x3 pool and `chain`.
 *
 * @module
 */

import { tidy } from "../../ops/scope.ts";
import { relu } from "../../ops/activation.ts";
import { avgPool2d, maxPool2d } from "../../ops/pool.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { Conv2d, type Conv2dLayerOptions } from "../nn/conv.ts";
import { Module } from "../nn/module.ts";
import { BatchNorm2d } from "../nn/norm.ts";

/**
 * The 3x3, stride-1, padding-1 pool of a block's pooling branch: `"avg"` (torchvision's, padding
 * counted), `"avgExcludePad"` (TensorFlow's, padding left out) or `"max"` (pytorch-fid's `Mixed_7c`).
 */
export type PoolKind = "avg" | "avgExcludePad" | "max";

/** The 3x3, stride-1, padding-1 pool of a pooling branch. */
export function pool3x3(x: Tensor, kind: PoolKind): Tensor {
  if (kind === "max") return maxPool2d(x, 3, { stride: 1, padding: 1 });
  return avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: kind === "avg" });
}

/** Runs layers one after another, freeing each intermediate output (not the input). */
export function chain(x: Tensor, ...layers: Module[]): Tensor {
  return tidy(() => layers.reduce((y, layer) => layer.forward(y), x));
}

/**
 * Convolution without bias, BatchNorm2d (eps 0.001) and ReLU, as torchvision's `BasicConv2d`.
 *
 * @example
 * ```ts
 * import { BasicConv2d } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using block = new BasicConv2d(3, 8, 3, { stride: 2 });
 * using y = block.eval().forward(randn([1, 3, 9, 9])); // [1, 8, 4, 4]
 * ```
 */
export class BasicConv2d extends Module {
  /** The convolution (no bias). */
  conv: Conv2d;
  /** The batch norm, eps 0.001. */
  bn: BatchNorm2d;

  /**
   * Makes the block.
   *
   * @param inChannels input channels
   * @param outChannels output channels
   * @param kernelSize the filter size, once or as [kH, kW]
   * @param options stride and padding of the convolution
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number, number],
    options: Pick<Conv2dLayerOptions, "stride" | "padding"> = {},
  ) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, kernelSize, { ...options, bias: false });
    this.bn = new BatchNorm2d(outChannels, { eps: 0.001 });
  }

  /**
   * Applies conv, batch norm and ReLU.
   *
   * @param input (N, inChannels, H, W)
   * @returns (N, outChannels, H_out, W_out)
   */
  override forward(input: Tensor): Tensor {
    return tidy(() => relu(this.bn.forward(this.conv.forward(input))));
  }
}
