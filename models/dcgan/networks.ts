/**
 * The DCGAN's generator and discriminator, layer for layer as `Generator` and `Discriminator` in
 * pytorch/examples `dcgan/main.py`, inside a `Sequential` named `main` so that state-dict keys are
 * PyTorch's (`main.0.weight`, `main.1.running_mean`, ...) and checkpoints load both ways.
 *
 * With `arch: "mlp"` or `"mnist"` the same classes hold the seeds' MLP GAN or the course notes' MNIST
 * GAN instead (models/dcgan/mlp.ts, mnist.ts); the layer lists and the stabiliser options are in
 * models/dcgan/layers.ts.
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
import { Module } from "../nn/module.ts";
import { Sequential } from "../nn/sequential.ts";
import { positiveInteger } from "../nn/validate.ts";
import {
  type DiscriminatorLayerOptions,
  discriminatorLayers,
  type DiscriminatorNorm,
  discriminatorNorm,
  type GeneratorLayerOptions,
  generatorLayers,
  scoreWithFeatures,
} from "./layers.ts";
import { mlpDiscriminatorLayers, mlpGeneratorLayers } from "./mlp.ts";
import { mnistDiscriminatorLayers, mnistGeneratorLayers } from "./mnist.ts";

/** The image sizes the networks are built for. */
export const IMAGE_SIZES: readonly number[] = [32, 64, 128];

/** A network architecture: the DCGAN (default), the seeds' MLP GAN, or the course notes' MNIST GAN. */
export type Arch = "dcgan" | "mlp" | "mnist";

/** Settings of {@linkcode Generator}; defaults are the training task's (the example's, with nz 128). */
export interface GeneratorConfig extends GeneratorLayerOptions {
  /** The architecture: "dcgan" (default), "mlp" or "mnist" (see models/dcgan/mlp.ts and mnist.ts). */
  arch?: Arch;
  /** Size of the latent vector z; default 128. */
  nz?: number;
  /** Generator feature maps; default 64. */
  ngf?: number;
  /** Image channels; default 3. */
  nc?: number;
  /** Image height and width: 32, 64 or 128 for the DCGAN, a multiple of 4 for "mnist"; default 64. */
  imageSize?: number;
}

/** Settings of {@linkcode Discriminator}; defaults are the example's. */
export interface DiscriminatorConfig extends DiscriminatorLayerOptions {
  /** The architecture: "dcgan" (default), "mlp" or "mnist" (see models/dcgan/mlp.ts and mnist.ts). */
  arch?: Arch;
  /** Discriminator feature maps; default 64. */
  ndf?: number;
  /** Image channels; default 3. */
  nc?: number;
  /** Image height and width: 32, 64 or 128 for the DCGAN, a multiple of 4 for "mnist"; default 64. */
  imageSize?: number;
  /**
   * End with Sigmoid and return probabilities (default true, for BCE), or return the raw scores
   * (logits) that LSGAN, hinge and WGAN losses take. Sigmoid has no parameters, so the state dict keys
   * are the same either way.
   */
  sigmoid?: boolean;
  /**
   * The hidden blocks' normalization: `"batch"` (BatchNorm2d, the default without spectral norm),
   * `"layer"` (LayerNorm over C x H x W, per sample, as WGAN-GP's critic needs: its gradient penalty is
   * taken per sample, which BatchNorm's batch statistics would mix; the layers keep their positions) or
   * `"none"` (the default with `spectralNorm`, as SNGAN's D; the layers after it move up).
   */
  norm?: DiscriminatorNorm;
}

/** How each architecture builds its layers and which image sizes it takes. */
interface Architecture {
  generator(nz: number, ngf: number, nc: number, imageSize: number, options: GeneratorLayerOptions): Module[];
  discriminator(ndf: number, nc: number, imageSize: number, options: DiscriminatorLayerOptions): Module[];
  /** Whether the architecture takes this image size, and what it takes otherwise. */
  sizes: { takes(imageSize: number): boolean; text: string };
}

const ARCHITECTURES: Record<Arch, Architecture> = {
  dcgan: {
    generator: generatorLayers,
    discriminator: discriminatorLayers,
    sizes: { takes: (size) => IMAGE_SIZES.includes(size), text: "32, 64 or 128" },
  },
  mlp: {
    generator: mlpGeneratorLayers,
    discriminator: mlpDiscriminatorLayers,
    sizes: { takes: (size) => Number.isSafeInteger(size) && size >= 1, text: "a positive integer" },
  },
  mnist: {
    generator: mnistGeneratorLayers,
    discriminator: mnistDiscriminatorLayers,
    sizes: {
      takes: (size) => Number.isSafeInteger(size) && size >= 8 && size % 4 === 0,
      text: "a multiple of 4 (28, 32, ...)",
    },
  },
};

/** The architectures `arch` accepts. */
export const ARCHS: readonly Arch[] = ["dcgan", "mlp", "mnist"];

/**
 * Checks an architecture's name and image size.
 *
 * @param network the class name, for messages
 * @param arch the architecture (default "dcgan")
 * @param imageSize the image size (default 64)
 * @returns the architecture's builders and the checked values
 * @throws {RangeError} for an unknown architecture or an image size it does not take
 */
function architecture(
  network: string,
  arch: Arch = "dcgan",
  imageSize = 64,
): { arch: Arch; imageSize: number; builders: Architecture } {
  if (!ARCHS.includes(arch)) {
    throw new RangeError(`${network} arch must be one of ${ARCHS.join(", ")}, got "${arch}"`);
  }
  const builders = ARCHITECTURES[arch];
  if (!builders.sizes.takes(imageSize)) {
    const which = arch === "dcgan" ? "" : ` (arch ${arch})`;
    throw new RangeError(`${network}${which} imageSize must be ${builders.sizes.text}, got ${imageSize}`);
  }
  return { arch, imageSize, builders };
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
 * and halve the channels, then a ConvTranspose2d to nc channels and Tanh. The options (spectralNorm,
 * attention) and the other architectures (`arch: "mlp" | "mnist"`) are described in
 * models/dcgan/layers.ts, mlp.ts and mnist.ts.
 *
 * @example
 * ```ts
 * import { Generator, manualSeed, randn, weightsInit } from "@gan/dcgan";
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
  /** The architecture. */
  readonly arch: Arch;
  /** Always 0: the plain generator takes no labels. */
  readonly numClasses = 0;

  /**
   * Builds the layers with PyTorch's default init (call weightsInit for the DCGAN's).
   *
   * @param config arch ("dcgan"), nz (128), ngf (64), nc (3), imageSize (64), spectralNorm (false),
   *   attention (none)
   * @throws {RangeError} when nz, ngf or nc is not a positive integer, the arch is unknown, imageSize
   *   does not fit the arch (32, 64 or 128 for the DCGAN), or attention is not one of G's sides
   */
  constructor(config: GeneratorConfig = {}) {
    super();
    const nz = this.nz = positiveInteger("Generator nz", config.nz ?? 128);
    const ngf = this.ngf = positiveInteger("Generator ngf", config.ngf ?? 64);
    const nc = this.nc = positiveInteger("Generator nc", config.nc ?? 3);
    const { arch, imageSize, builders } = architecture("Generator", config.arch, config.imageSize);
    this.arch = arch;
    this.imageSize = imageSize;
    const { spectralNorm, attention } = config;
    this.main = new Sequential(...builders.generator(nz, ngf, nc, imageSize, { spectralNorm, attention }));
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
 * blocks use LayerNorm in BatchNorm's place (a WGAN-GP critic); state dict keys stay PyTorch's. The
 * stabiliser options (spectralNorm, attention, dropout, minibatchStd) and the other architectures
 * (`arch: "mlp" | "mnist"`) are described in models/dcgan/layers.ts, mlp.ts and mnist.ts.
 *
 * @example
 * ```ts
 * import { Discriminator, randn } from "@gan/dcgan";
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
  /** The hidden blocks' normalization (the MLP has none, whatever this says). */
  readonly norm: DiscriminatorNorm;
  /** The architecture. */
  readonly arch: Arch;
  /** Always 0: the plain discriminator takes no labels. */
  readonly numClasses = 0;

  /**
   * Builds the layers with PyTorch's default init (call weightsInit for the DCGAN's).
   *
   * @param config arch ("dcgan"), ndf (64), nc (3), imageSize (64), sigmoid (true), norm ("batch", or
   *   "none" with spectralNorm), spectralNorm (false), attention (none), dropout (0), minibatchStd (off)
   * @throws {RangeError} when ndf or nc is not a positive integer, the arch is unknown, imageSize does
   *   not fit the arch, norm is unknown, or an option is out of range (see {@linkcode DiscriminatorConfig})
   */
  constructor(config: DiscriminatorConfig = {}) {
    super();
    const ndf = this.ndf = positiveInteger("Discriminator ndf", config.ndf ?? 64);
    const nc = this.nc = positiveInteger("Discriminator nc", config.nc ?? 3);
    const { arch, imageSize, builders } = architecture("Discriminator", config.arch, config.imageSize);
    this.arch = arch;
    this.imageSize = imageSize;
    const sigmoid = this.sigmoid = config.sigmoid ?? true;
    const norm = this.norm = discriminatorNorm(config.norm, config.spectralNorm ?? false);
    const { spectralNorm, attention, dropout, minibatchStd } = config;
    const options = { sigmoid, norm, spectralNorm, attention, dropout, minibatchStd };
    this.main = new Sequential(...builders.discriminator(ndf, nc, imageSize, options));
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

  /**
   * Scores images and returns the hidden features the score is made from (the input of D's last
   * weighted layer), from one pass: what feature matching compares.
   *
   * @param images (N, nc, imageSize, imageSize)
   * @param labels must be left out: a plain discriminator refuses them
   * @returns `output` as {@linkcode Discriminator.forward} returns it, and `features` (N, ...)
   */
  forwardWithFeatures(images: Tensor, labels?: Tensor): { output: Tensor; features: Tensor } {
    refuseLabels("Discriminator", labels);
    const { output, features } = scoreWithFeatures(this.main, images);
    using scores = output;
    return { output: scores.view([-1]), features };
  }
}
