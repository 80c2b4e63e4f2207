/**
 * The minibatch standard deviation layer of ProGAN (Karras et al. 2018), as StyleGAN2-ADA's
 * `MinibatchStdLayer` with one extra channel: it shows the discriminator how varied a group of samples
 * is, so a generator that collapses to a few outputs is easy to spot.
 *
 * @module
 */

import { cat } from "../../ops/combine.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { Module } from "./module.ts";
import { positiveInteger } from "./validate.ts";

/**
 * The group size used for a batch of n: the largest divisor of n that is at most `groupSize`. For a
 * batch that `groupSize` divides this is `min(groupSize, n)`, ProGAN's rule; a partial last batch
 * (n = 74 with group 4) gets a smaller group (2) instead of an error.
 *
 * @param groupSize the layer's group size
 * @param n the batch size
 * @returns the group size for this batch
 * @example
 * ```ts
 * import { minibatchGroupSize } from "@gan/dcgan/nn";
 * console.log(minibatchGroupSize(4, 74)); // 2
 * ```
 */
export function minibatchGroupSize(groupSize: number, n: number): number {
  let g = Math.min(groupSize, n);
  while (n % g !== 0) g--;
  return g;
}

/**
 * Appends one channel holding the group's standard deviation: the batch is split into groups of
 * `groupSize` samples (sample i in group i mod N/G, ProGAN's reshape); within each group the standard
 * deviation of every feature over the group's samples, sqrt(var + 1e-8) (biased var), is averaged over
 * features and positions to one number, and that number fills the new channel of each of the group's
 * samples. (N, C, H, W) becomes (N, C + 1, H, W); features (N, F) become (N, F + 1).
 *
 * In PyTorch (StyleGAN2-ADA's `MinibatchStdLayer`, num_channels=1):
 *
 * ```text
 * y = x.reshape(G, -1, C, H, W); y = y - y.mean(0); y = y.square().mean(0); y = (y + 1e-8).sqrt()
 * y = y.mean([1, 2, 3]).reshape(-1, 1, 1, 1).repeat(G, 1, H, W); return torch.cat([x, y], 1)
 * ```
 *
 * @example
 * ```ts
 * import { randn } from "@gan/dcgan";
 * import { MinibatchStdDev } from "@gan/dcgan/nn";
 * using layer = new MinibatchStdDev(4);
 * using y = layer.forward(randn([8, 16, 4, 4])); // [8, 17, 4, 4]
 * ```
 */
export class MinibatchStdDev extends Module {
  /** Samples per group (at most; see {@linkcode minibatchGroupSize}). */
  readonly groupSize: number;

  /**
   * Makes the layer.
   *
   * @param groupSize samples per group; default 4 as ProGAN
   * @throws {RangeError} when groupSize is not a positive integer
   */
  constructor(groupSize = 4) {
    super();
    this.groupSize = positiveInteger("MinibatchStdDev groupSize", groupSize);
  }

  /**
   * Applies the layer.
   *
   * @param input (N, C, H, W) feature maps or (N, F) features
   * @returns the input with one more channel (or feature)
   * @throws {TypeError} when the input is not 2-D or 4-D
   */
  override forward(input: Tensor): Tensor {
    const shape = input.shape;
    if (shape.length === 2) {
      using maps = input.view([shape[0]!, shape[1]!, 1, 1]);
      using out = this.forward(maps);
      return out.view([shape[0]!, shape[1]! + 1]);
    }
    if (shape.length !== 4) {
      throw new TypeError(
        `MinibatchStdDev expects input of shape [N, C, H, W] or [N, F], got [${shape.join(", ")}]`,
      );
    }
    const [n, c, h, w] = shape as [number, number, number, number];
    const g = minibatchGroupSize(this.groupSize, n);
    const m = n / g;
    using grouped = input.reshape([g, m, c, h, w]);
    using mean = grouped.mean(0);
    using centered = grouped.sub(mean);
    using variance = centered.square().mean(0);
    using std = variance.add(1e-8).sqrt();
    using perGroup = std.mean([1, 2, 3]); // (M)
    using column = perGroup.view([1, m, 1, 1, 1]);
    using spread = column.expand([g, m, 1, h, w]);
    using channel = spread.reshape([n, 1, h, w]);
    return cat([input, channel], 1);
  }

  /**
   * The layer's settings.
   *
   * @returns the group size
   */
  override extraRepr(): string {
    return `group_size=${this.groupSize}, num_channels=1`;
  }
}
