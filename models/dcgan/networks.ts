/**
 * The DCGAN's generator and discriminator, layer for layer as `Generator` and `Discriminator` in
 * pytorch/examples `dcgan/main.py`, inside a `Sequential` named `main` so that state-dict keys are
 * PyTorch's (`main.0.weight`, `main.1.running_mean`, ...) and checkpoints load both ways.
 *
 * At imageSize 64 the layers are exactly the example's. 32 and 128 are the natural extension: one
 * stride-2 block fewer or more, with the widest layer at ngf * imageSize / 8 (4, 8 or 16 times ngf):
 *
 * | imageSize | Generator (ConvTranspose2d output channels, then nc)   | Discriminator (Conv2d output channels, then 1) |
 * | --------- | ------------------------------------------------------ | ---------------------------------------------- |
 * | 32        | ngf*4 (4x4), ngf*2 (8x8), ngf (16x16), nc (32x32)      | ndf (16), ndf*2 (8), ndf*4 (4), 1              |
 * | 64        | ngf*8 (4), ngf*4 (8), ngf*2 (16), ngf (32), nc (64)    | ndf (32), ndf*2 (16), ndf*4 (8), ndf*8 (4), 1  |
 * | 128       | ngf*16 (4), ngf*8, ngf*4, ngf*2, ngf (64), nc (128)    | ndf (64), ndf*2, ndf*4, ndf*8, ndf*16 (4), 1   |
 *
 * @module
 */

import type { Tensor } from "../../ops/tensor.ts";
import { LeakyReLU, ReLU, Sigmoid, Tanh } from "../nn/activation.ts";
import { Conv2d, ConvTranspose2d } from "../nn/conv.ts";
import { Module } from "../nn/module.ts";
import { BatchNorm2d, LayerNorm } from "../nn/norm.ts";
import { Sequential } from "../nn/sequential.ts";
import { positiveInteger } from "../nn/validate.ts";

/** The image sizes the networks are built for. */
export const IMAGE_SIZES: readonly number[] = [32, 64, 128];

/** Settings of {@linkcode Generator}; defaults are the training task's (the example's, with nz 128). */
export interface GeneratorConfig {
  /** Size of the latent vector z; default 128. */
  nz?: number;
  /** Generator feature maps; default 64. */
  ngf?: number;
  /** Image channels; default 3. */
  nc?: number;
  /** Image height and width: 32, 64 or 128; default 64. */
  imageSize?: number;
}

/** Settings of {@linkcode Discriminator}; defaults are the example's. */
export interface DiscriminatorConfig {
  /** Discriminator feature maps; default 64. */
  ndf?: number;
  /** Image channels; default 3. */
  nc?: number;
  /** Image height and width: 32, 64 or 128; default 64. */
  imageSize?: number;
  /**
   * End with Sigmoid and return probabilities (default true, for BCE), or return the raw scores
   * (logits) that LSGAN, hinge and WGAN losses take. Sigmoid has no parameters, so the state dict keys
   * are the same either way.
   */
  sigmoid?: boolean;
  /**
   * The hidden blocks' normalization: `"batch"` (BatchNorm2d, default) or `"layer"` (LayerNorm over
   * C x H x W, per sample, as WGAN-GP's critic needs: its gradient penalty is taken per sample, which
   * BatchNorm's batch statistics would mix). The layers keep their positions (`main.2`, `main.5`, ...).
   */
  norm?: "batch" | "layer";
}

function checkImageSize(network: string, imageSize: number): number {
  if (!IMAGE_SIZES.includes(imageSize)) {
    throw new RangeError(`${network} imageSize must be 32, 64 or 128, got ${imageSize}`);
  }
  return imageSize;
}

/**
 * The generator's layer list (what {@linkcode Generator} puts in `main`), for networks that feed it
 * something other than plain noise, such as a conditional generator's noise and class embedding.
 *
 * @param nz input channels (the latent size, plus anything concatenated to it)
 * @param ngf generator feature maps
 * @param nc image channels
 * @param imageSize 32, 64 or 128 (not checked here)
 * @returns the layers, in order
 * @example
 * ```ts
 * import { generatorLayers } from "./networks.ts";
 * console.log(generatorLayers(16, 8, 3, 32).length); // 12
 * ```
 */
export function generatorLayers(nz: number, ngf: number, nc: number, imageSize: number): Module[] {
  const top = imageSize / 8; // 8 at imageSize 64, as the example's ngf * 8
  const layers: Module[] = [
    // input is Z, going into a convolution
    new ConvTranspose2d(nz, ngf * top, 4, { stride: 1, padding: 0, bias: false }),
    new BatchNorm2d(ngf * top),
    new ReLU(),
    // state size: (ngf*top) x 4 x 4
  ];
  for (let mult = top; mult > 1; mult /= 2) {
    layers.push(
      new ConvTranspose2d(ngf * mult, ngf * (mult / 2), 4, { stride: 2, padding: 1, bias: false }),
      new BatchNorm2d(ngf * (mult / 2)),
      new ReLU(),
    );
    // state size: (ngf*mult/2) x (imageSize/mult) x (imageSize/mult), at imageSize 64:
    // (ngf*4) x 8 x 8, then (ngf*2) x 16 x 16, then (ngf) x 32 x 32
  }
  layers.push(
    new ConvTranspose2d(ngf, nc, 4, { stride: 2, padding: 1, bias: false }),
    new Tanh(),
    // state size: (nc) x imageSize x imageSize
  );
  return layers;
}

/**
 * The discriminator's layer list (what {@linkcode Discriminator} puts in `main`), for networks that
 * feed it something other than plain images, such as a conditional discriminator's image and label map.
 *
 * @param ndf discriminator feature maps
 * @param nc input channels (image channels, plus any concatenated label channels)
 * @param imageSize 32, 64 or 128 (not checked here)
 * @param options sigmoid (default true) and norm (`"batch"`, default, or `"layer"`), as in
 *   {@linkcode DiscriminatorConfig}
 * @returns the layers, in order
 * @throws {RangeError} when norm is not "batch" or "layer"
 * @example
 * ```ts
 * import { discriminatorLayers } from "./networks.ts";
 * console.log(discriminatorLayers(8, 3, 32, { sigmoid: false }).length); // 9
 * ```
 */
export function discriminatorLayers(
  ndf: number,
  nc: number,
  imageSize: number,
  options: Pick<DiscriminatorConfig, "sigmoid" | "norm"> = {},
): Module[] {
  const norm = options.norm ?? "batch";
  if (norm !== "batch" && norm !== "layer") {
    throw new RangeError(`Discriminator norm must be "batch" or "layer", got "${norm}"`);
  }
  const top = imageSize / 8; // 8 at imageSize 64, as the example's ndf * 8
  const layers: Module[] = [
    // input is (nc) x imageSize x imageSize
    new Conv2d(nc, ndf, 4, { stride: 2, padding: 1, bias: false }),
    new LeakyReLU(0.2),
    // state size: (ndf) x imageSize/2 x imageSize/2
  ];
  for (let mult = 1; mult < top; mult *= 2) {
    const channels = ndf * (mult * 2);
    const side = imageSize / 4 / mult;
    layers.push(
      new Conv2d(ndf * mult, channels, 4, { stride: 2, padding: 1, bias: false }),
      norm === "layer" ? new LayerNorm([channels, side, side]) : new BatchNorm2d(channels),
      new LeakyReLU(0.2),
    );
    // state size: (ndf*mult*2) x (imageSize/4/mult) x (imageSize/4/mult), at imageSize 64:
    // (ndf*2) x 16 x 16, then (ndf*4) x 8 x 8, then (ndf*8) x 4 x 4
  }
  layers.push(new Conv2d(ndf * top, 1, 4, { stride: 1, padding: 0, bias: false }));
  // state size: 1 x 1 x 1, a raw score; the example's Sigmoid makes it a probability
  if (options.sigmoid ?? true) layers.push(new Sigmoid());
  return layers;
}

/**
 * What every generator offers, plain or conditional, so that callers never ask which one they hold:
 * `forward(noise, labels?)` and `numClasses` (0 for a plain generator, which refuses labels).
 */
export interface GeneratorNetwork extends Module {
  /** Size of the latent vector z. */
  readonly nz: number;
  /** Generator feature maps. */
  readonly ngf: number;
  /** Image channels. */
  readonly nc: number;
  /** Image height and width. */
  readonly imageSize: number;
  /** Classes the generator is conditioned on; 0 for an unconditional one. */
  readonly numClasses: number;
  /** Images (N, nc, imageSize, imageSize) in [-1, 1] from noise (N, nz, 1, 1) and, when conditional, labels (N). */
  forward(noise: Tensor, labels?: Tensor): Tensor;
}

/**
 * What every discriminator offers, plain or conditional: `forward(images, labels?)` and `numClasses`
 * (0 for a plain discriminator, which refuses labels).
 */
export interface DiscriminatorNetwork extends Module {
  /** Image channels. */
  readonly nc: number;
  /** Image height and width. */
  readonly imageSize: number;
  /** Classes the discriminator is conditioned on; 0 for an unconditional one. */
  readonly numClasses: number;
  /** Whether the output goes through Sigmoid (probabilities) or not (raw scores). */
  readonly sigmoid: boolean;
  /** One score (N) per image (N, nc, imageSize, imageSize) and, when conditional, label (N). */
  forward(images: Tensor, labels?: Tensor): Tensor;
}

/**
 * Throws when labels reach an unconditional network.
 *
 * @param network the class name, for the message
 * @param labels what the caller passed
 * @throws {TypeError} when labels were given
 */
export function refuseLabels(network: string, labels: Tensor | undefined): void {
  if (labels !== undefined) {
    throw new TypeError(
      `${network} is not conditional and takes no labels: drop them, or use a conditional network (train --conditional)`,
    );
  }
}

/**
 * Maps noise (N, nz, 1, 1) to images (N, nc, imageSize, imageSize) in [-1, 1]: a stride-1
 * ConvTranspose2d to 4x4, then stride-2 ConvTranspose2d + BatchNorm2d + ReLU blocks that double the size
 * and halve the channels, then a ConvTranspose2d to nc channels and Tanh.
 *
 * @example
 * ```ts
 * import { Generator, manualSeed, randn, weightsInit } from "../../mod.ts";
 * manualSeed(999);
 * using netG = weightsInit(new Generator({ nz: 16, ngf: 8, nc: 3, imageSize: 32 }));
 * using fake = netG.forward(randn([4, 16, 1, 1])); // [4, 3, 32, 32]
 * ```
 */
export class Generator extends Module implements GeneratorNetwork {
  /** The layers, named `main` as in the example. */
  main: Sequential;
  /** Size of the latent vector z. */
  readonly nz: number;
  /** Generator feature maps. */
  readonly ngf: number;
  /** Image channels. */
  readonly nc: number;
  /** Image height and width. */
  readonly imageSize: number;
  /** Always 0: the plain generator takes no labels. */
  readonly numClasses = 0;

  /**
   * Builds the layers with PyTorch's default init (call weightsInit for the DCGAN's).
   *
   * @param config nz (128), ngf (64), nc (3), imageSize (64)
   * @throws {RangeError} when nz, ngf or nc is not a positive integer, or imageSize is not 32, 64 or 128
   */
  constructor(config: GeneratorConfig = {}) {
    super();
    const nz = this.nz = positiveInteger("Generator nz", config.nz ?? 128);
    const ngf = this.ngf = positiveInteger("Generator ngf", config.ngf ?? 64);
    const nc = this.nc = positiveInteger("Generator nc", config.nc ?? 3);
    const imageSize = this.imageSize = checkImageSize("Generator", config.imageSize ?? 64);
    this.main = new Sequential(...generatorLayers(nz, ngf, nc, imageSize));
  }

  /**
   * Generates images from noise.
   *
   * @param noise (N, nz, 1, 1)
   * @param labels must be left out: a plain generator refuses them
   * @returns images (N, nc, imageSize, imageSize) in [-1, 1]
   * @throws {TypeError} when the noise has another shape, or labels are given
   */
  override forward(noise: Tensor, labels?: Tensor): Tensor {
    refuseLabels("Generator", labels);
    const shape = noise.shape;
    if (shape.length !== 4 || shape[1] !== this.nz || shape[2] !== 1 || shape[3] !== 1) {
      throw new TypeError(
        `Generator expects noise of shape [N, ${this.nz}, 1, 1], got [${shape.join(", ")}]: ` +
          `make it with randn([N, ${this.nz}, 1, 1])`,
      );
    }
    return this.main.forward(noise);
  }
}

/**
 * Maps images (N, nc, imageSize, imageSize) to the probability (N) that each is real: a stride-2 Conv2d
 * + LeakyReLU(0.2) (no BatchNorm), then stride-2 Conv2d + BatchNorm2d + LeakyReLU(0.2) blocks that
 * halve the size and double the channels down to 4x4, then a 4x4 Conv2d to one channel and Sigmoid.
 * With `sigmoid: false` it returns the raw score (a logit) instead, and with `norm: "layer"` the hidden
 * blocks use LayerNorm in BatchNorm's place (a WGAN-GP critic); state dict keys stay PyTorch's.
 *
 * @example
 * ```ts
 * import { Discriminator, randn } from "../../mod.ts";
 * using netD = new Discriminator({ ndf: 8, nc: 3, imageSize: 32 });
 * using p = netD.forward(randn([4, 3, 32, 32])); // [4]
 * ```
 */
export class Discriminator extends Module implements DiscriminatorNetwork {
  /** The layers, named `main` as in the example. */
  main: Sequential;
  /** Discriminator feature maps. */
  readonly ndf: number;
  /** Image channels. */
  readonly nc: number;
  /** Image height and width. */
  readonly imageSize: number;
  /** Whether the output goes through Sigmoid (probabilities) or not (raw scores). */
  readonly sigmoid: boolean;
  /** The hidden blocks' normalization. */
  readonly norm: "batch" | "layer";
  /** Always 0: the plain discriminator takes no labels. */
  readonly numClasses = 0;

  /**
   * Builds the layers with PyTorch's default init (call weightsInit for the DCGAN's).
   *
   * @param config ndf (64), nc (3), imageSize (64), sigmoid (true), norm ("batch")
   * @throws {RangeError} when ndf or nc is not a positive integer, imageSize is not 32, 64 or 128, or
   *   norm is not "batch" or "layer"
   */
  constructor(config: DiscriminatorConfig = {}) {
    super();
    const ndf = this.ndf = positiveInteger("Discriminator ndf", config.ndf ?? 64);
    const nc = this.nc = positiveInteger("Discriminator nc", config.nc ?? 3);
    const imageSize = this.imageSize = checkImageSize("Discriminator", config.imageSize ?? 64);
    const sigmoid = this.sigmoid = config.sigmoid ?? true;
    const norm = this.norm = config.norm ?? "batch";
    this.main = new Sequential(...discriminatorLayers(ndf, nc, imageSize, { sigmoid, norm }));
  }

  /**
   * Scores images as real (1) or fake (0).
   *
   * @param images (N, nc, imageSize, imageSize)
   * @param labels must be left out: a plain discriminator refuses them
   * @returns (N) probabilities, as the example's `output.view(-1, 1).squeeze(1)` (raw scores with
   *   `sigmoid: false`)
   * @throws {TypeError} when the images have another shape, or labels are given
   */
  override forward(images: Tensor, labels?: Tensor): Tensor {
    refuseLabels("Discriminator", labels);
    const shape = images.shape;
    const { nc, imageSize } = this;
    if (shape.length !== 4 || shape[1] !== nc || shape[2] !== imageSize || shape[3] !== imageSize) {
      throw new TypeError(
        `Discriminator expects images of shape [N, ${nc}, ${imageSize}, ${imageSize}], got [${
          shape.join(", ")
        }]`,
      );
    }
    using output = this.main.forward(images);
    return output.view([-1]); // the example's view(-1, 1).squeeze(1), in one view
  }
}
