/**
 * `Sequential`: a container that runs its layers in order, as `nn.Sequential`, naming them `"0"`, `"1"`,
 * ... so their state-dict keys are PyTorch's (`main.0.weight`, `main.1.running_mean`).
 *
 * @module
 */

import type { Tensor } from "../../ops/tensor.ts";
import { Module } from "./module.ts";

/**
 * Runs layers one after another. Intermediate outputs are freed as soon as the next layer has used
 * them (autograd keeps what backward needs), so only the final output is returned to the caller.
 *
 * @example
 * ```ts
 * import { Conv2d, LeakyReLU, randn, Sequential } from "@gan/dcgan";
 * using main = new Sequential(new Conv2d(3, 8, 4, { stride: 2, padding: 1 }), new LeakyReLU(0.2));
 * using y = main.forward(randn([2, 3, 16, 16]));
 * console.log(Object.keys(main.stateDict())); // ["0.weight", "0.bias"] (dispose them when done)
 * ```
 */
export class Sequential extends Module {
  readonly #layers: Module[];

  /**
   * Makes the container.
   *
   * @param layers the layers, in order
   */
  constructor(...layers: Module[]) {
    super();
    this.#layers = layers;
  }

  /** The layers, in order. */
  get layers(): readonly Module[] {
    return this.#layers;
  }

  /** How many layers. */
  get length(): number {
    return this.#layers.length;
  }

  /**
   * The layer at a position.
   *
   * @param index a layer's position (negative counts from the end)
   * @returns the layer
   * @throws {RangeError} when there is no layer at that position
   */
  at(index: number): Module {
    const layer = this.#layers.at(index);
    if (layer === undefined) {
      throw new RangeError(`Sequential has ${this.#layers.length} layers, no layer at index ${index}`);
    }
    return layer;
  }

  /**
   * The layers, named by position as nn.Sequential names them.
   *
   * @returns the layers named by their positions, `"0"`, `"1"`, ...
   */
  override namedChildren(): [string, Module][] {
    return this.#layers.map((layer, i) => [String(i), layer]);
  }

  /**
   * Runs the layers in order.
   *
   * @param input the first layer's input
   * @returns the last layer's output
   */
  override forward(input: Tensor): Tensor {
    let x = input;
    try {
      for (const layer of this.#layers) {
        const next = layer.forward(x);
        if (x !== input) x.dispose();
        x = next;
      }
    } catch (error) {
      if (x !== input) x.dispose();
      throw error;
    }
    return x;
  }
}
