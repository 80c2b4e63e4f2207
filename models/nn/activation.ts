/**
 * Activation layers without parameters: `ReLU`, `LeakyReLU`, `Tanh` and `Sigmoid`, as `torch.nn`. They
 * exist so a network reads as one layer list in a `Sequential`, as in PyTorch.
 *
 * @module
 */

import { leakyRelu, relu, sigmoid, tanh } from "../../ops/activation.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { Module } from "./module.ts";

/**
 * `max(x, 0)`, as `nn.ReLU`.
 *
 * @example
 * ```ts
 * import { ReLU, tensor } from "@gan/dcgan";
 * using y = new ReLU().forward(tensor([-1, 2])); // [0, 2]
 * ```
 */
export class ReLU extends Module {
  /**
   * Applies the layer.
   *
   * @param input any tensor
   * @returns `max(input, 0)`
   */
  override forward(input: Tensor): Tensor {
    return relu(input);
  }
}

/**
 * `x` where positive, else `negativeSlope * x`, as `nn.LeakyReLU`.
 *
 * @example
 * ```ts
 * import { LeakyReLU, tensor } from "@gan/dcgan";
 * using y = new LeakyReLU(0.2).forward(tensor([-1, 2])); // [-0.2, 2]
 * ```
 */
export class LeakyReLU extends Module {
  /** The slope for negative inputs. */
  readonly negativeSlope: number;

  /**
   * Makes the layer.
   *
   * @param negativeSlope the slope for negative inputs; default 0.01 as PyTorch (the DCGAN uses 0.2)
   * @throws {RangeError} when it is not a finite number
   */
  constructor(negativeSlope = 0.01) {
    super();
    if (!Number.isFinite(negativeSlope)) {
      throw new RangeError(`LeakyReLU negativeSlope must be a finite number, got ${negativeSlope}`);
    }
    this.negativeSlope = negativeSlope;
  }

  /**
   * Applies the layer.
   *
   * @param input any tensor
   * @returns the leaky rectified input
   */
  override forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the slope as PyTorch prints it
   */
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

/**
 * The hyperbolic tangent, as `nn.Tanh`: the generator's last layer, mapping to [-1, 1].
 *
 * @example
 * ```ts
 * import { Tanh, tensor } from "@gan/dcgan";
 * using y = new Tanh().forward(tensor([0.5]));
 * ```
 */
export class Tanh extends Module {
  /**
   * Applies the layer.
   *
   * @param input any tensor
   * @returns `tanh(input)`
   */
  override forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

/**
 * The logistic sigmoid, as `nn.Sigmoid`: the discriminator's last layer, mapping to (0, 1).
 *
 * @example
 * ```ts
 * import { Sigmoid, tensor } from "@gan/dcgan";
 * using y = new Sigmoid().forward(tensor([0.5]));
 * ```
 */
export class Sigmoid extends Module {
  /**
   * Applies the layer.
   *
   * @param input any tensor
   * @returns `1 / (1 + exp(-input))`
   */
  override forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}
