/**
 * Inception-v3 as a feature extractor for FID and KID: torchvision's `Inception3` (0.14) layer for layer,
 * with its state-dict names, returning the 2048-d features of the last average pool. Two variants:
 *
 * - `"fid"`: pytorch-fid's FID Inception (TensorFlow's 2015 graph, `pt_inception-2015-12-05`): average
 *   pools leave padding out, `Mixed_7c` max-pools, 1008 classes. FID numbers comparable with papers
 *   need this variant and its weights.
 * - `"torchvision"`: `torchvision.models.inception_v3` as is (ImageNet weights, 1000 classes).
 *
 * Weights come from a safetensors file; nothing is downloaded. {@linkcode INCEPTION_EXPORT_HELP} says how
 * to write one from PyTorch.
 *
 * @module
 */

import { loadCheckpoint } from "../io/state_dict_file.ts";
import type { Device } from "../../ops/device.ts";
import { adaptiveAvgPool2d, interpolate, maxPool2d } from "../../ops/pool.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { InceptionAux } from "./aux_logits.ts";
import { BasicConv2d, type PoolKind } from "./basic_conv.ts";
import { InceptionA, InceptionB, InceptionC, InceptionD, InceptionE } from "./blocks.ts";
import { Linear } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";

/** Which Inception-v3: pytorch-fid's FID Inception, or torchvision's. */
export type InceptionVariant = "fid" | "torchvision";

/** Options of {@linkcode InceptionV3}. */
export interface InceptionV3Options {
  /** `"fid"` (pytorch-fid's pooling) or `"torchvision"` (default). */
  variant?: InceptionVariant;
  /** Classes of the `fc` layer: 1000 (torchvision, default), 1008 (FID weights), or 0 for no `fc`. */
  numClasses?: number;
  /** Include the `AuxLogits` classifier (torchvision's pretrained file has its weights); default false. */
  auxLogits?: boolean;
}

/** The side of Inception-v3's input images. */
export const INCEPTION_SIZE = 299;

/** Length of the feature vector {@linkcode InceptionV3.forward} returns. */
export const INCEPTION_FEATURES = 2048;

/** How to write the weights file from PyTorch, for error messages and the README. */
export const INCEPTION_EXPORT_HELP =
  `Write the FID Inception weights to safetensors once, on a machine with PyTorch and internet:
  pip install pytorch-fid safetensors
  python3 -c "from pytorch_fid.inception import fid_inception_v3; from safetensors.torch import save_file; \\
save_file(fid_inception_v3().state_dict(), 'pt_inception.safetensors', metadata={'variant': 'fid'})"
then pass --inception pt_inception.safetensors. torchvision's ImageNet Inception works too (FID values then
differ from published ones):
  python3 -c "from torchvision.models import inception_v3; from safetensors.torch import save_file; \\
save_file(inception_v3(weights='DEFAULT').state_dict(), 'inception_v3.safetensors', metadata={'variant': 'torchvision'})"`;

/**
 * Inception-v3 up to its last average pool, as torchvision's `Inception3` with `transform_input=False`:
 * `forward` takes (N, 3, 299, 299) images with values in [-1, 1] and returns (N, 2048) features;
 * {@linkcode InceptionV3.features} first resizes any image size to 299 as pytorch-fid does. Field names
 * are torchvision's, so its state dicts load with strict key matching.
 *
 * @example
 * ```ts
 * import { InceptionV3 } from "@gan/dcgan/metrics";
 * import { noGrad, rand } from "@gan/dcgan";
 * using net = new InceptionV3({ variant: "fid", numClasses: 1008 }).eval();
 * using images = rand([1, 3, 64, 64]).mul(2).sub(1);
 * using features = noGrad(() => net.features(images)); // [1, 2048]
 * ```
 */
export class InceptionV3 extends Module {
  /** 3x3 stride-2 conv: 3 to 32 channels, 299 to 149. */
  Conv2d_1a_3x3: BasicConv2d;
  /** 3x3 conv: 32 channels, 149 to 147. */
  Conv2d_2a_3x3: BasicConv2d;
  /** 3x3 padded conv: 32 to 64 channels. */
  Conv2d_2b_3x3: BasicConv2d;
  /** 1x1 conv: 64 to 80 channels. */
  Conv2d_3b_1x1: BasicConv2d;
  /** 3x3 conv: 80 to 192 channels, 73 to 71. */
  Conv2d_4a_3x3: BasicConv2d;
  /** 35x35 block, 192 to 256 channels. */
  Mixed_5b: InceptionA;
  /** 35x35 block, 256 to 288 channels. */
  Mixed_5c: InceptionA;
  /** 35x35 block, 288 channels. */
  Mixed_5d: InceptionA;
  /** Reduction to 17x17, 768 channels. */
  Mixed_6a: InceptionB;
  /** 17x17 block. */
  Mixed_6b: InceptionC;
  /** 17x17 block. */
  Mixed_6c: InceptionC;
  /** 17x17 block. */
  Mixed_6d: InceptionC;
  /** 17x17 block. */
  Mixed_6e: InceptionC;
  /** The auxiliary classifier, when built with `auxLogits` (never run by `forward`). */
  AuxLogits: InceptionAux | undefined;
  /** Reduction to 8x8, 1280 channels. */
  Mixed_7a: InceptionD;
  /** 8x8 block, 2048 channels. */
  Mixed_7b: InceptionE;
  /** 8x8 block, 2048 channels. */
  Mixed_7c: InceptionE;
  /** The classifier on the features, unless built with `numClasses: 0`. */
  fc: Linear | undefined;
  /** Which pooling the blocks use. */
  readonly variant: InceptionVariant;

  /**
   * Builds the network with PyTorch's default init (load weights before use).
   *
   * @param options variant (`"torchvision"`), numClasses (1000), auxLogits (false)
   * @throws {RangeError} when numClasses is not a non-negative integer
   */
  constructor(options: InceptionV3Options = {}) {
    super();
    const variant = options.variant ?? "torchvision";
    if (variant !== "fid" && variant !== "torchvision") {
      throw new RangeError(`InceptionV3 variant must be "fid" or "torchvision", got "${variant}"`);
    }
    const numClasses = options.numClasses ?? 1000;
    if (!Number.isInteger(numClasses) || numClasses < 0) {
      throw new RangeError(`InceptionV3 numClasses must be an integer >= 0, got ${numClasses}`);
    }
    this.variant = variant;
    const avg: PoolKind = variant === "fid" ? "avgExcludePad" : "avg";
    this.Conv2d_1a_3x3 = new BasicConv2d(3, 32, 3, { stride: 2 });
    this.Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3);
    this.Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, { padding: 1 });
    this.Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
    this.Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3);
    this.Mixed_5b = new InceptionA(192, 32, avg);
    this.Mixed_5c = new InceptionA(256, 64, avg);
    this.Mixed_5d = new InceptionA(288, 64, avg);
    this.Mixed_6a = new InceptionB(288);
    this.Mixed_6b = new InceptionC(768, 128, avg);
    this.Mixed_6c = new InceptionC(768, 160, avg);
    this.Mixed_6d = new InceptionC(768, 160, avg);
    this.Mixed_6e = new InceptionC(768, 192, avg);
    this.AuxLogits = options.auxLogits ? new InceptionAux(768, numClasses || 1000) : undefined;
    this.Mixed_7a = new InceptionD(768);
    this.Mixed_7b = new InceptionE(1280, avg);
    this.Mixed_7c = new InceptionE(2048, variant === "fid" ? "max" : "avg");
    this.fc = numClasses > 0 ? new Linear(INCEPTION_FEATURES, numClasses) : undefined;
  }

  /**
   * The pool features of images already at 299x299.
   *
   * @param x (N, 3, 299, 299), values in [-1, 1]
   * @returns (N, 2048)
   * @throws {TypeError} when the input is not (N, 3, H, W)
   */
  override forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length !== 4 || shape[1] !== 3) {
      throw new TypeError(
        `InceptionV3 expects input of shape [N, 3, 299, 299], got [${shape.join(", ")}]: ` +
          "use features() to resize and repeat gray channels",
      );
    }
    return tidy(() => {
      // each layer's output is freed once the next one has used it (peak memory stays one block deep)
      let y = x;
      const next = (out: Tensor) => {
        if (y !== x) y.dispose();
        y = out;
      };
      next(this.Conv2d_1a_3x3.forward(y)); // N x 32 x 149 x 149
      next(this.Conv2d_2a_3x3.forward(y)); // N x 32 x 147 x 147
      next(this.Conv2d_2b_3x3.forward(y)); // N x 64 x 147 x 147
      next(maxPool2d(y, 3, { stride: 2 })); // N x 64 x 73 x 73
      next(this.Conv2d_3b_1x1.forward(y)); // N x 80 x 73 x 73
      next(this.Conv2d_4a_3x3.forward(y)); // N x 192 x 71 x 71
      next(maxPool2d(y, 3, { stride: 2 })); // N x 192 x 35 x 35
      const blocks = [
        this.Mixed_5b,
        this.Mixed_5c,
        this.Mixed_5d, // N x 288 x 35 x 35
        this.Mixed_6a,
        this.Mixed_6b,
        this.Mixed_6c,
        this.Mixed_6d,
        this.Mixed_6e, // N x 768 x 17 x 17
        this.Mixed_7a,
        this.Mixed_7b,
        this.Mixed_7c, // N x 2048 x 8 x 8
      ];
      for (const block of blocks) next(block.forward(y));
      return adaptiveAvgPool2d(y, 1).flatten(1); // N x 2048
    });
  }

  /**
   * The pool features of images of any size, prepared as pytorch-fid prepares them: resized to 299x299
   * (bilinear, align_corners false) and, for 1-channel images, the channel repeated three times.
   *
   * @param images (N, 1 or 3, H, W), values in [-1, 1]
   * @returns (N, 2048)
   * @throws {TypeError} when the images are not (N, 1 or 3, H, W)
   */
  features(images: Tensor): Tensor {
    const shape = images.shape;
    if (shape.length !== 4 || (shape[1] !== 1 && shape[1] !== 3)) {
      throw new TypeError(
        `Inception features need images of shape [N, 1 or 3, H, W], got [${shape.join(", ")}]`,
      );
    }
    return tidy(() => {
      let x = images;
      if (shape[2] !== INCEPTION_SIZE || shape[3] !== INCEPTION_SIZE) {
        x = interpolate(x, { size: INCEPTION_SIZE, mode: "bilinear", alignCorners: false });
      }
      if (shape[1] === 1) x = x.expand([-1, 3, -1, -1]);
      return this.forward(x);
    });
  }

  /**
   * The classifier's logits for features from {@linkcode InceptionV3.forward} (dropout is the identity
   * in eval mode).
   *
   * @param features (N, 2048)
   * @returns (N, numClasses)
   * @throws {TypeError} when the network was built without `fc`
   */
  logits(features: Tensor): Tensor {
    if (this.fc === undefined) {
      throw new TypeError("This InceptionV3 has no fc layer: build it with numClasses > 0");
    }
    return this.fc.forward(features);
  }
}

/** Options of {@linkcode loadInception}. */
export interface LoadInceptionOptions {
  /** Override the variant; default the file's `variant` metadata, else `"fid"` for 1008 classes. */
  variant?: InceptionVariant;
  /** Where to put the network; default `"cpu"`. */
  device?: Device;
}

/**
 * Loads Inception-v3 weights from a safetensors file with torchvision's key names (a `state_dict()` of
 * torchvision's `inception_v3` or pytorch-fid's `fid_inception_v3`), with strict key matching. The `fc`
 * size and `AuxLogits` are read off the file.
 *
 * @param path the safetensors file
 * @param options variant, device
 * @returns the network in eval mode
 * @throws {TypeError} naming the file when it is not an Inception-v3 state dict, or a key is missing
 * @example
 * ```ts ignore
 * import { loadInception } from "@gan/dcgan/metrics";
 * using net = await loadInception("pt_inception.safetensors");
 * ```
 */
export async function loadInception(path: string, options: LoadInceptionOptions = {}): Promise<InceptionV3> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      `Cannot load the Inception weights: "${path}" does not exist.\n${INCEPTION_EXPORT_HELP}`,
      {
        cause: error,
      },
    );
  }
  const { tensors, metadata } = await loadCheckpoint(path);
  try {
    if (!("Conv2d_1a_3x3.conv.weight" in tensors)) {
      const some = Object.keys(tensors).slice(0, 3).map((k) => `"${k}"`).join(", ");
      throw new TypeError(
        `"${path}" is not an Inception-v3 state dict with torchvision's names: it has no ` +
          `"Conv2d_1a_3x3.conv.weight" (its keys start ${some || "with nothing"}).\n${INCEPTION_EXPORT_HELP}`,
      );
    }
    const fcWeight = tensors["fc.weight"];
    const numClasses = fcWeight?.shape[0] ?? 0;
    const named = metadata.variant;
    if (named !== undefined && named !== "fid" && named !== "torchvision") {
      throw new TypeError(`"${path}" has variant metadata "${named}": expected "fid" or "torchvision"`);
    }
    const variant = options.variant ?? named ?? (numClasses === 1008 ? "fid" : "torchvision");
    const auxLogits = Object.keys(tensors).some((key) => key.startsWith("AuxLogits."));
    const net = new InceptionV3({ variant, numClasses, auxLogits });
    try {
      net.loadStateDict(tensors, { source: `Inception weights "${path}"` });
      if (options.device !== undefined && options.device !== "cpu") net.to(options.device);
      return net.eval();
    } catch (error) {
      net.dispose();
      throw error;
    }
  } finally {
    for (const tensor of Object.values(tensors)) tensor.dispose();
  }
}
