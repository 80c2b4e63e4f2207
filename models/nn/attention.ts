/**
 * The self-attention block of SAGAN (Zhang et al. 2019), as the seeds write it: each position of a
 * feature map attends to every other, so the network can relate distant parts of an image (two eyes of
 * one face) that a stack of small convolutions sees only late.
 *
 * @module
 */

import { zeros } from "../../ops/creation.ts";
import { softmax } from "../../ops/normalize.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { Conv2d } from "./conv.ts";
import { Module } from "./module.ts";
import { spectralNorm } from "./spectral_norm.ts";
import { positiveInteger } from "./validate.ts";

/** Options of {@linkcode SelfAttention}. */
export interface SelfAttentionOptions {
  /** Spectral norm on the query, key and value convolutions (SAGAN's practice); default false. */
  spectralNorm?: boolean;
}

/**
 * `gamma * attention(x) + x`, as the seeds' `SelfAttention(in_dim)`: 1x1 convolutions make queries and
 * keys of C/8 channels and values of C; the (HW x HW) attention map is the softmax over positions of
 * queryᵀ key, and each position's output is the values weighted by its row. `gamma` starts at 0, so
 * the block starts as the identity and the network learns how much attention to mix in.
 *
 * State dict (PyTorch's order): `gamma`, then `query`, `key` and `value` (each `weight`, `bias`).
 *
 * In PyTorch:
 *
 * ```text
 * q = query(x).view(B, -1, H*W).permute(0, 2, 1); k = key(x).view(B, -1, H*W); v = value(x).view(B, -1, H*W)
 * attention = F.softmax(torch.bmm(q, k), dim=-1); out = torch.bmm(v, attention.permute(0, 2, 1))
 * return gamma * out.view(B, C, H, W) + x
 * ```
 *
 * @example
 * ```ts
 * import { randn } from "@gan/dcgan";
 * import { SelfAttention } from "@gan/dcgan/nn";
 * using block = new SelfAttention(16);
 * using y = block.forward(randn([2, 16, 8, 8])); // [2, 16, 8, 8], equal to the input while gamma is 0
 * ```
 */
export class SelfAttention extends Module {
  /** Makes the queries, (C/8, C, 1, 1). */
  query: Conv2d;
  /** Makes the keys, (C/8, C, 1, 1). */
  key: Conv2d;
  /** Makes the values, (C, C, 1, 1). */
  value: Conv2d;
  /** How much of the attention output is added to the input, (1); initially 0. */
  gamma: Tensor;
  /** Channels in and out. */
  readonly channels: number;

  /**
   * Makes the block: query, key and value with PyTorch's default Conv2d init (each followed by its
   * spectral norm's u and v draws, with spectralNorm), in that order, then gamma.
   *
   * @param channels C, the input's channels (at least 8, so queries have C/8 >= 1 channels)
   * @param options spectralNorm (false)
   * @throws {RangeError} when channels is not an integer >= 8
   */
  constructor(channels: number, options: SelfAttentionOptions = {}) {
    super();
    positiveInteger("SelfAttention channels", channels);
    if (channels < 8) {
      throw new RangeError(
        `SelfAttention channels must be at least 8 (queries and keys have channels / 8), got ${channels}`,
      );
    }
    this.channels = channels;
    const inner = Math.floor(channels / 8);
    const sn = (conv: Conv2d) => options.spectralNorm ? spectralNorm(conv) : conv;
    this.query = sn(new Conv2d(channels, inner, 1));
    this.key = sn(new Conv2d(channels, inner, 1));
    this.value = sn(new Conv2d(channels, channels, 1));
    this.gamma = this.param(zeros([1]));
  }

  /**
   * Applies the block.
   *
   * @param input (B, C, H, W)
   * @returns (B, C, H, W)
   * @throws {TypeError} when the input is not 4-D with C channels
   */
  override forward(input: Tensor): Tensor {
    const shape = input.shape;
    if (shape.length !== 4 || shape[1] !== this.channels) {
      throw new TypeError(
        `SelfAttention expects input of shape [B, ${this.channels}, H, W], got [${shape.join(", ")}]`,
      );
    }
    const [b, c, h, w] = shape as [number, number, number, number];
    const positions = h * w;
    using q = this.query.forward(input);
    using k = this.key.forward(input);
    using v = this.value.forward(input);
    using qRows = q.reshape([b, -1, positions]);
    using queries = qRows.permute([0, 2, 1]); // (B, HW, C/8)
    using keys = k.reshape([b, -1, positions]); // (B, C/8, HW)
    using values = v.reshape([b, -1, positions]); // (B, C, HW)
    using energy = queries.matmul(keys); // (B, HW, HW)
    using attention = softmax(energy, -1);
    using attentionT = attention.permute([0, 2, 1]);
    using mixed = values.matmul(attentionT); // (B, C, HW)
    using out = mixed.reshape([b, c, h, w]);
    using scaled = out.mul(this.gamma);
    return scaled.add(input);
  }
}
