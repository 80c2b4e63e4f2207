/**
 * The mixed blocks of Inception-v3, as torchvision's `models/inception.py` (0.14): `InceptionA` to
 * `InceptionE`, built of basic_conv.ts's `BasicConv2d` (the auxiliary classifier is in aux_logits.ts),
 * with torchvision's field names so state-dict keys match (`Mixed_5b.branch5x5_1.conv.weight`,
 * `Mixed_5b.branch5x5_1.bn.running_var`, ...).
 *
 * The pooling branch of blocks A, C and E is configurable, because the FID Inception of pytorch-fid
 * (TensorFlow's 2015 graph) differs from torchvision's there: its average pools leave the padding out
 * of each average, and its last block (`Mixed_7c`) max-pools instead.
 *
 * @module
 */

import { tidy } from "../../ops/scope.ts";
import { cat } from "../../ops/combine.ts";
import { maxPool2d } from "../../ops/pool.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { Module } from "../nn/module.ts";
import { BasicConv2d, chain, pool3x3, type PoolKind } from "./basic_conv.ts";

/**
 * The 35x35 block (`Mixed_5b` to `Mixed_5d`): 1x1, 5x5, double 3x3 and pooling branches.
 *
 * @example
 * ```ts
 * import { InceptionA } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using block = new InceptionA(192, 32);
 * using y = block.eval().forward(randn([1, 192, 5, 5])); // [1, 256, 5, 5]
 * ```
 */
export class InceptionA extends Module {
  /** 1x1 branch. */
  branch1x1: BasicConv2d;
  /** 5x5 branch, first conv. */
  branch5x5_1: BasicConv2d;
  /** 5x5 branch, second conv. */
  branch5x5_2: BasicConv2d;
  /** Double 3x3 branch, first conv. */
  branch3x3dbl_1: BasicConv2d;
  /** Double 3x3 branch, second conv. */
  branch3x3dbl_2: BasicConv2d;
  /** Double 3x3 branch, third conv. */
  branch3x3dbl_3: BasicConv2d;
  /** Pooling branch's 1x1 conv. */
  branch_pool: BasicConv2d;
  /** The pooling branch's pool. */
  readonly pool: PoolKind;

  /**
   * Makes the block.
   *
   * @param inChannels input channels
   * @param poolFeatures output channels of the pooling branch
   * @param pool the pooling branch's pool; default `"avg"`
   */
  constructor(inChannels: number, poolFeatures: number, pool: PoolKind = "avg") {
    super();
    this.branch1x1 = new BasicConv2d(inChannels, 64, 1);
    this.branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
    this.branch5x5_2 = new BasicConv2d(48, 64, 5, { padding: 2 });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
    this.branch3x3dbl_2 = new BasicConv2d(64, 96, 3, { padding: 1 });
    this.branch3x3dbl_3 = new BasicConv2d(96, 96, 3, { padding: 1 });
    this.branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
    this.pool = pool;
  }

  /**
   * Runs the branches and concatenates them.
   *
   * @param x (N, inChannels, H, W)
   * @returns (N, 224 + poolFeatures, H, W)
   */
  override forward(x: Tensor): Tensor {
    return tidy(() =>
      cat([
        this.branch1x1.forward(x),
        chain(x, this.branch5x5_1, this.branch5x5_2),
        chain(x, this.branch3x3dbl_1, this.branch3x3dbl_2, this.branch3x3dbl_3),
        this.branch_pool.forward(pool3x3(x, this.pool)),
      ], 1)
    );
  }
}

/**
 * The 35x35 to 17x17 reduction (`Mixed_6a`): stride-2 3x3, double 3x3 and max-pool branches.
 *
 * @example
 * ```ts
 * import { InceptionB } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using block = new InceptionB(288);
 * using y = block.eval().forward(randn([1, 288, 7, 7])); // [1, 768, 3, 3]
 * ```
 */
export class InceptionB extends Module {
  /** Stride-2 3x3 branch. */
  branch3x3: BasicConv2d;
  /** Double 3x3 branch, first conv. */
  branch3x3dbl_1: BasicConv2d;
  /** Double 3x3 branch, second conv. */
  branch3x3dbl_2: BasicConv2d;
  /** Double 3x3 branch, third (stride-2) conv. */
  branch3x3dbl_3: BasicConv2d;

  /**
   * Makes the block.
   *
   * @param inChannels input channels
   */
  constructor(inChannels: number) {
    super();
    this.branch3x3 = new BasicConv2d(inChannels, 384, 3, { stride: 2 });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
    this.branch3x3dbl_2 = new BasicConv2d(64, 96, 3, { padding: 1 });
    this.branch3x3dbl_3 = new BasicConv2d(96, 96, 3, { stride: 2 });
  }

  /**
   * Runs the branches and concatenates them.
   *
   * @param x (N, inChannels, H, W)
   * @returns (N, 480 + inChannels, H_out, W_out)
   */
  override forward(x: Tensor): Tensor {
    return tidy(() =>
      cat([
        this.branch3x3.forward(x),
        chain(x, this.branch3x3dbl_1, this.branch3x3dbl_2, this.branch3x3dbl_3),
        maxPool2d(x, 3, { stride: 2 }),
      ], 1)
    );
  }
}

/**
 * The 17x17 block (`Mixed_6b` to `Mixed_6e`): 1x1, factorized 7x7, double factorized 7x7 and pooling
 * branches.
 *
 * @example
 * ```ts
 * import { InceptionC } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using block = new InceptionC(768, 128);
 * using y = block.eval().forward(randn([1, 768, 3, 3])); // [1, 768, 3, 3]
 * ```
 */
export class InceptionC extends Module {
  /** 1x1 branch. */
  branch1x1: BasicConv2d;
  /** 7x7 branch: 1x1. */
  branch7x7_1: BasicConv2d;
  /** 7x7 branch: 1x7. */
  branch7x7_2: BasicConv2d;
  /** 7x7 branch: 7x1. */
  branch7x7_3: BasicConv2d;
  /** Double 7x7 branch: 1x1. */
  branch7x7dbl_1: BasicConv2d;
  /** Double 7x7 branch: 7x1. */
  branch7x7dbl_2: BasicConv2d;
  /** Double 7x7 branch: 1x7. */
  branch7x7dbl_3: BasicConv2d;
  /** Double 7x7 branch: 7x1. */
  branch7x7dbl_4: BasicConv2d;
  /** Double 7x7 branch: 1x7. */
  branch7x7dbl_5: BasicConv2d;
  /** Pooling branch's 1x1 conv. */
  branch_pool: BasicConv2d;
  /** The pooling branch's pool. */
  readonly pool: PoolKind;

  /**
   * Makes the block.
   *
   * @param inChannels input channels
   * @param channels7x7 channels inside the 7x7 branches
   * @param pool the pooling branch's pool; default `"avg"`
   */
  constructor(inChannels: number, channels7x7: number, pool: PoolKind = "avg") {
    super();
    const c7 = channels7x7;
    this.branch1x1 = new BasicConv2d(inChannels, 192, 1);
    this.branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
    this.branch7x7_2 = new BasicConv2d(c7, c7, [1, 7], { padding: [0, 3] });
    this.branch7x7_3 = new BasicConv2d(c7, 192, [7, 1], { padding: [3, 0] });
    this.branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
    this.branch7x7dbl_2 = new BasicConv2d(c7, c7, [7, 1], { padding: [3, 0] });
    this.branch7x7dbl_3 = new BasicConv2d(c7, c7, [1, 7], { padding: [0, 3] });
    this.branch7x7dbl_4 = new BasicConv2d(c7, c7, [7, 1], { padding: [3, 0] });
    this.branch7x7dbl_5 = new BasicConv2d(c7, 192, [1, 7], { padding: [0, 3] });
    this.branch_pool = new BasicConv2d(inChannels, 192, 1);
    this.pool = pool;
  }

  /**
   * Runs the branches and concatenates them.
   *
   * @param x (N, inChannels, H, W)
   * @returns (N, 768, H, W)
   */
  override forward(x: Tensor): Tensor {
    return tidy(() =>
      cat([
        this.branch1x1.forward(x),
        chain(x, this.branch7x7_1, this.branch7x7_2, this.branch7x7_3),
        chain(
          x,
          this.branch7x7dbl_1,
          this.branch7x7dbl_2,
          this.branch7x7dbl_3,
          this.branch7x7dbl_4,
          this.branch7x7dbl_5,
        ),
        this.branch_pool.forward(pool3x3(x, this.pool)),
      ], 1)
    );
  }
}

/**
 * The 17x17 to 8x8 reduction (`Mixed_7a`): 3x3, factorized 7x7 + 3x3 and max-pool branches.
 *
 * @example
 * ```ts
 * import { InceptionD } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using block = new InceptionD(768);
 * using y = block.eval().forward(randn([1, 768, 7, 7])); // [1, 1280, 3, 3]
 * ```
 */
export class InceptionD extends Module {
  /** 3x3 branch: 1x1. */
  branch3x3_1: BasicConv2d;
  /** 3x3 branch: stride-2 3x3. */
  branch3x3_2: BasicConv2d;
  /** 7x7x3 branch: 1x1. */
  branch7x7x3_1: BasicConv2d;
  /** 7x7x3 branch: 1x7. */
  branch7x7x3_2: BasicConv2d;
  /** 7x7x3 branch: 7x1. */
  branch7x7x3_3: BasicConv2d;
  /** 7x7x3 branch: stride-2 3x3. */
  branch7x7x3_4: BasicConv2d;

  /**
   * Makes the block.
   *
   * @param inChannels input channels
   */
  constructor(inChannels: number) {
    super();
    this.branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
    this.branch3x3_2 = new BasicConv2d(192, 320, 3, { stride: 2 });
    this.branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
    this.branch7x7x3_2 = new BasicConv2d(192, 192, [1, 7], { padding: [0, 3] });
    this.branch7x7x3_3 = new BasicConv2d(192, 192, [7, 1], { padding: [3, 0] });
    this.branch7x7x3_4 = new BasicConv2d(192, 192, 3, { stride: 2 });
  }

  /**
   * Runs the branches and concatenates them.
   *
   * @param x (N, inChannels, H, W)
   * @returns (N, 512 + inChannels, H_out, W_out)
   */
  override forward(x: Tensor): Tensor {
    return tidy(() =>
      cat([
        chain(x, this.branch3x3_1, this.branch3x3_2),
        chain(x, this.branch7x7x3_1, this.branch7x7x3_2, this.branch7x7x3_3, this.branch7x7x3_4),
        maxPool2d(x, 3, { stride: 2 }),
      ], 1)
    );
  }
}

/**
 * The 8x8 block (`Mixed_7b`, `Mixed_7c`): 1x1, split 3x3, split double 3x3 and pooling branches.
 *
 * @example
 * ```ts
 * import { InceptionE } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using block = new InceptionE(1280);
 * using y = block.eval().forward(randn([1, 1280, 3, 3])); // [1, 2048, 3, 3]
 * ```
 */
export class InceptionE extends Module {
  /** 1x1 branch. */
  branch1x1: BasicConv2d;
  /** 3x3 branch: 1x1. */
  branch3x3_1: BasicConv2d;
  /** 3x3 branch: 1x3 half. */
  branch3x3_2a: BasicConv2d;
  /** 3x3 branch: 3x1 half. */
  branch3x3_2b: BasicConv2d;
  /** Double 3x3 branch: 1x1. */
  branch3x3dbl_1: BasicConv2d;
  /** Double 3x3 branch: 3x3. */
  branch3x3dbl_2: BasicConv2d;
  /** Double 3x3 branch: 1x3 half. */
  branch3x3dbl_3a: BasicConv2d;
  /** Double 3x3 branch: 3x1 half. */
  branch3x3dbl_3b: BasicConv2d;
  /** Pooling branch's 1x1 conv. */
  branch_pool: BasicConv2d;
  /** The pooling branch's pool. */
  readonly pool: PoolKind;

  /**
   * Makes the block.
   *
   * @param inChannels input channels
   * @param pool the pooling branch's pool; default `"avg"`
   */
  constructor(inChannels: number, pool: PoolKind = "avg") {
    super();
    this.branch1x1 = new BasicConv2d(inChannels, 320, 1);
    this.branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
    this.branch3x3_2a = new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] });
    this.branch3x3_2b = new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
    this.branch3x3dbl_2 = new BasicConv2d(448, 384, 3, { padding: 1 });
    this.branch3x3dbl_3a = new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] });
    this.branch3x3dbl_3b = new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] });
    this.branch_pool = new BasicConv2d(inChannels, 192, 1);
    this.pool = pool;
  }

  /**
   * Runs the branches and concatenates them.
   *
   * @param x (N, inChannels, H, W)
   * @returns (N, 2048, H, W)
   */
  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const b3 = this.branch3x3_1.forward(x);
      const d3 = chain(x, this.branch3x3dbl_1, this.branch3x3dbl_2);
      return cat([
        this.branch1x1.forward(x),
        this.branch3x3_2a.forward(b3),
        this.branch3x3_2b.forward(b3),
        this.branch3x3dbl_3a.forward(d3),
        this.branch3x3dbl_3b.forward(d3),
        this.branch_pool.forward(pool3x3(x, this.pool)),
      ], 1);
    });
  }
}
