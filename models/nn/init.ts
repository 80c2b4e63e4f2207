/**
 * PyTorch's default initialization of layer parameters (`reset_parameters`), computed with the same
 * double-precision arithmetic and drawn with `uniform_` from the same generator, so after the same
 * `manualSeed` a new layer holds the same values as PyTorch's.
 *
 * @module
 */

import { empty } from "../../ops/creation.ts";
import type { Tensor } from "../../ops/tensor.ts";

/**
 * A new float32 tensor drawn as `nn.init.kaiming_uniform_(w, a=a)` with leaky-ReLU gain: uniform in
 * ±sqrt(3) * sqrt(2 / (1 + a²)) / sqrt(fanIn). With the default `a = sqrt(5)` this is PyTorch's default
 * init of Conv2d, ConvTranspose2d and Linear weights, ±1/sqrt(fanIn).
 *
 * @param shape the weight's sizes
 * @param fanIn inputs per output, as PyTorch computes it from the weight (`size(1) * kH * kW`)
 * @param a the negative slope of the rectifier after the layer; default sqrt(5)
 * @returns the new tensor
 * @example
 * ```ts
 * import { kaimingUniform } from "@gan/dcgan/nn";
 * using weight = kaimingUniform([8, 3, 4, 4], 3 * 4 * 4);
 * ```
 */
export function kaimingUniform(shape: readonly number[], fanIn: number, a: number = Math.sqrt(5)): Tensor {
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  const std = gain / Math.sqrt(fanIn);
  const bound = Math.sqrt(3.0) * std;
  return empty(shape).uniform_(-bound, bound);
}

/**
 * A new float32 tensor uniform in ±1/sqrt(fanIn): PyTorch's default init of Conv2d, ConvTranspose2d
 * and Linear biases.
 *
 * @param shape the bias's sizes
 * @param fanIn the same fan-in as the layer's weight
 * @returns the new tensor
 * @example
 * ```ts
 * import { fanInUniform } from "@gan/dcgan/nn";
 * using bias = fanInUniform([8], 3 * 4 * 4);
 * ```
 */
export function fanInUniform(shape: readonly number[], fanIn: number): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return empty(shape).uniform_(-bound, bound);
}
