/**
 * Normalization layers: `BatchNorm2d`, `BatchNorm1d` and `LayerNorm`, as `torch.nn`, with PyTorch's
 * parameter and buffer names (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`).
 *
 * @module
 */

import { checkStatus, shim } from "../../ffi/ffi.ts";
import { full, ones, zeros } from "../../ops/creation.ts";
import { batchNorm, layerNorm } from "../../ops/norm.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { Module } from "./module.ts";
import { floatText, positiveInteger } from "./validate.ts";

/** Options of {@linkcode BatchNorm2d} and {@linkcode BatchNorm1d}. */
export interface BatchNorm2dOptions {
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /**
   * Weight of the current batch in the running statistics; default 0.1. `null` uses a cumulative
   * average (1 / num_batches_tracked), as PyTorch's `momentum=None`.
   */
  momentum?: number | null;
}

function checkEps(layer: string, eps: number): number {
  if (!(eps >= 0) || !Number.isFinite(eps)) {
    throw new RangeError(`${layer} eps must be a number >= 0, got ${eps}`);
  }
  return eps;
}

/**
 * What BatchNorm1d and BatchNorm2d share, as PyTorch's `_BatchNorm`: per-channel (dim 1) batch
 * normalization. In training mode it normalizes with the batch's statistics, adds 1 to
 * `num_batches_tracked` and updates `running_mean` and `running_var` (unbiased) by momentum, all as
 * PyTorch; in eval mode it uses the running statistics. Subclasses say which input shapes they take.
 *
 * The buffers keep PyTorch's snake_case names, since field names are state-dict keys.
 */
export abstract class BatchNormNd extends Module {
  /** Learned per-channel scale (gamma), initially 1. */
  weight: Tensor;
  /** Learned per-channel shift (beta), initially 0. */
  bias: Tensor;
  /** Running per-channel mean (buffer), initially 0. */
  running_mean: Tensor;
  /** Running per-channel unbiased variance (buffer), initially 1. */
  running_var: Tensor;
  /** How many training batches have updated the running statistics (int64 buffer). */
  num_batches_tracked: Tensor;
  /** Channels. */
  readonly numFeatures: number;
  /** Added to the variance. */
  readonly eps: number;
  /**
   * Weight of the current batch in the running statistics, or null for a cumulative average (settable, as
   * PyTorch's attribute: `updateBn` sets it to null while it recomputes the statistics).
   */
  momentum: number | null;

  /**
   * Makes the layer with PyTorch's default init.
   *
   * @param layer the layer's name, for messages
   * @param numFeatures channels (C of an (N, C, ...) input)
   * @param options eps (1e-5), momentum (0.1)
   * @throws {RangeError} when numFeatures is not a positive integer, eps < 0 or momentum outside [0, 1]
   */
  protected constructor(layer: string, numFeatures: number, options: BatchNorm2dOptions) {
    super();
    this.numFeatures = positiveInteger(`${layer} numFeatures`, numFeatures);
    this.eps = checkEps(layer, options.eps ?? 1e-5);
    const momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (momentum !== null && !(momentum >= 0 && momentum <= 1)) {
      throw new RangeError(`${layer} momentum must be in [0, 1] or null, got ${momentum}`);
    }
    this.momentum = momentum;
    this.weight = this.param(ones([numFeatures]));
    this.bias = this.param(zeros([numFeatures]));
    this.running_mean = this.buffer(zeros([numFeatures]));
    this.running_var = this.buffer(ones([numFeatures]));
    this.num_batches_tracked = this.buffer(full([], 0, { dtype: "int64" }));
  }

  /**
   * Forgets the running statistics (PyTorch's `reset_running_stats`): mean 0, variance 1, no batches
   * tracked.
   */
  resetRunningStats(): void {
    this.running_mean.zero_();
    this.running_var.fill_(1);
    this.num_batches_tracked.zero_();
  }

  /**
   * Throws unless the input has a shape the layer takes.
   *
   * @param input the layer's input
   */
  protected abstract checkInput(input: Tensor): void;

  /**
   * Applies the layer.
   *
   * @param input (N, numFeatures, ...) as the subclass takes
   * @returns the normalized input, same shape
   * @throws {TypeError} when the input has another shape
   */
  override forward(input: Tensor): Tensor {
    this.checkInput(input);
    let factor = 0;
    if (this.training) {
      // num_batches_tracked += 1, kept int64 and on its device (no sync unless momentum is null)
      checkStatus(this.constructor.name, shim().t_add_int_(this.num_batches_tracked.handle, 1n));
      factor = this.momentum ?? 1 / this.num_batches_tracked.item();
    }
    return batchNorm(input, this.running_mean, this.running_var, {
      weight: this.weight,
      bias: this.bias,
      training: this.training,
      momentum: factor,
      eps: this.eps,
    });
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    const momentum = this.momentum === null ? "None" : floatText(this.momentum);
    return `${this.numFeatures}, eps=${
      floatText(this.eps)
    }, momentum=${momentum}, affine=True, track_running_stats=True`;
  }
}

/**
 * Batch normalization over (N, H, W) per channel, as `nn.BatchNorm2d`; see {@linkcode BatchNormNd}.
 *
 * @example
 * ```ts
 * import { BatchNorm2d, randn } from "@gan/dcgan";
 * using bn = new BatchNorm2d(8);
 * using y = bn.forward(randn([4, 8, 16, 16]));
 * console.log(bn.num_batches_tracked.item()); // 1
 * ```
 */
export class BatchNorm2d extends BatchNormNd {
  /**
   * Makes the layer with PyTorch's default init.
   *
   * @param numFeatures channels (C of an (N, C, H, W) input)
   * @param options eps (1e-5), momentum (0.1)
   * @throws {RangeError} when numFeatures is not a positive integer, eps < 0 or momentum outside [0, 1]
   */
  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super("BatchNorm2d", numFeatures, options);
  }

  /**
   * Throws unless the input is (N, numFeatures, H, W).
   *
   * @param input the layer's input
   */
  protected override checkInput(input: Tensor): void {
    const shape = input.shape;
    if (shape.length !== 4 || shape[1] !== this.numFeatures) {
      throw new TypeError(
        `BatchNorm2d expects input of shape [N, ${this.numFeatures}, H, W], got [${shape.join(", ")}]`,
      );
    }
  }
}

/**
 * Batch normalization of features (N, C) over N, or of sequences (N, C, L) over (N, L), per channel,
 * as `nn.BatchNorm1d`: what an MLP generator puts between its Linear layers; see
 * {@linkcode BatchNormNd}.
 *
 * @example
 * ```ts
 * import { BatchNorm1d, randn } from "@gan/dcgan";
 * using bn = new BatchNorm1d(16);
 * using y = bn.forward(randn([4, 16]));
 * ```
 */
export class BatchNorm1d extends BatchNormNd {
  /**
   * Makes the layer with PyTorch's default init.
   *
   * @param numFeatures channels (C of an (N, C) or (N, C, L) input)
   * @param options eps (1e-5), momentum (0.1)
   * @throws {RangeError} when numFeatures is not a positive integer, eps < 0 or momentum outside [0, 1]
   */
  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super("BatchNorm1d", numFeatures, options);
  }

  /**
   * Throws unless the input is (N, numFeatures) or (N, numFeatures, L), and has more than one value
   * per channel in training mode (as PyTorch, which cannot take a variance of one value).
   *
   * @param input the layer's input
   */
  protected override checkInput(input: Tensor): void {
    const shape = input.shape;
    if ((shape.length !== 2 && shape.length !== 3) || shape[1] !== this.numFeatures) {
      throw new TypeError(
        `BatchNorm1d expects input of shape [N, ${this.numFeatures}] or [N, ${this.numFeatures}, L], got [${
          shape.join(", ")
        }]`,
      );
    }
    if (this.training && shape[0]! * (shape[2] ?? 1) === 1) {
      throw new TypeError(
        `BatchNorm1d expects more than 1 value per channel when training, got input of shape [${
          shape.join(", ")
        }]: use a batch of 2 or more, or eval()`,
      );
    }
  }
}

/** Options of {@linkcode LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Learn a per-element scale and shift; default true. */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalization over the trailing dims, as `nn.LayerNorm`, with `weight` (ones) and `bias`
 * (zeros) of shape `normalizedShape`.
 *
 * @example
 * ```ts
 * import { LayerNorm, randn } from "@gan/dcgan";
 * using norm = new LayerNorm([16]);
 * using y = norm.forward(randn([4, 16]));
 * ```
 */
export class LayerNorm extends Module {
  /** Learned scale, or undefined without elementwiseAffine. */
  weight: Tensor | undefined;
  /** Learned shift, or undefined without elementwiseAffine. */
  bias: Tensor | undefined;
  /** The trailing sizes normalized over. */
  readonly normalizedShape: number[];
  /** Added to the variance. */
  readonly eps: number;

  /**
   * Makes the layer with PyTorch's default init.
   *
   * @param normalizedShape the trailing sizes to normalize over, e.g. `[C, H, W]` or `16`
   * @param options eps (1e-5), elementwiseAffine (true)
   * @throws {RangeError} when a size is not a positive integer or eps < 0
   */
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    shape.forEach((size) => positiveInteger("LayerNorm normalizedShape entries", size));
    this.normalizedShape = shape;
    this.eps = checkEps("LayerNorm", options.eps ?? 1e-5);
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.param(ones(shape)) : undefined;
    this.bias = affine ? this.param(zeros(shape)) : undefined;
  }

  /**
   * Applies the layer.
   *
   * @param input (..., *normalizedShape)
   * @returns the normalized input, same shape
   * @throws {TypeError} when the input's trailing sizes are not normalizedShape
   */
  override forward(input: Tensor): Tensor {
    const shape = input.shape;
    const tail = shape.slice(shape.length - this.normalizedShape.length);
    if (shape.length < this.normalizedShape.length || tail.join(",") !== this.normalizedShape.join(",")) {
      throw new TypeError(
        `LayerNorm expects input of shape [..., ${this.normalizedShape.join(", ")}], got [${
          shape.join(", ")
        }]`,
      );
    }
    return layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  /**
   * The layer's settings, as PyTorch prints them.
   *
   * @returns the settings as PyTorch prints them
   */
  override extraRepr(): string {
    const affine = this.weight === undefined ? "False" : "True";
    return `(${this.normalizedShape.join(", ")}${this.normalizedShape.length === 1 ? "," : ""}), eps=${
      floatText(this.eps)
    }, elementwise_affine=${affine}`;
  }
}
