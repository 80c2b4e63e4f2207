/**
 * The conditional DCGAN (cDCGAN): the DCGAN's generator and discriminator told which class to make or
 * judge. The generator concatenates a learned class embedding to z (`nn.Embedding(numClasses,
 * numClasses)`, as PyTorch-GAN's cGAN); the discriminator concatenates a learned label map, one extra
 * image channel per class (`nn.Embedding(numClasses, imageSize * imageSize)` viewed as 1 x H x W, as
 * the Keras Fashion-MNIST cGAN does), to the image. The layers are the DCGAN's, in `main`, with one
 * more input channel each; the embeddings are `label_emb`, so a checkpoint says by its keys that it is
 * conditional.
 *
 * In PyTorch:
 *
 * ```text
 * class ConditionalGenerator(nn.Module):          class ConditionalDiscriminator(nn.Module):
 *     main = <DCGAN generator layers, nz + E in>      main = <DCGAN discriminator layers, nc + 1 in>
 *     label_emb = nn.Embedding(K, E)                  label_emb = nn.Embedding(K, size * size)
 *     forward(z, y): main(cat([z, label_emb(y)        forward(x, y): main(cat([x, label_emb(y)
 *                        .view(N, E, 1, 1)], 1))                     .view(N, 1, size, size)], 1))
 * ```
 *
 * @module
 */

import { cat } from "../../ops/combine.ts";
import type { Tensor } from "../../ops/tensor.ts";
import {
  discriminatorLayers,
  type DiscriminatorNorm,
  discriminatorNorm,
  generatorLayers,
  scoreWithFeatures,
} from "./layers.ts";
import type {
  DiscriminatorConfig,
  DiscriminatorNetwork,
  GeneratorConfig,
  GeneratorNetwork,
} from "./networks.ts";
import { Embedding } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";
import { Sequential } from "../nn/sequential.ts";
import { positiveInteger } from "../nn/validate.ts";

/** Settings of {@linkcode ConditionalGenerator}: the DCGAN generator's, plus the classes. */
export interface ConditionalGeneratorConfig extends GeneratorConfig {
  /** How many classes (10 for Fashion-MNIST). */
  numClasses: number;
  /** Size of the class embedding concatenated to z; default numClasses. */
  embedDim?: number;
}

/** Settings of {@linkcode ConditionalDiscriminator}: the DCGAN discriminator's, plus the classes. */
export interface ConditionalDiscriminatorConfig extends DiscriminatorConfig {
  /** How many classes. */
  numClasses: number;
}

function checkImageSize(network: string, imageSize: number, arch: string | undefined): number {
  if (arch !== undefined && arch !== "dcgan") {
    throw new RangeError(
      `${network} is a DCGAN: arch must be "dcgan", got "${arch}" ` +
        "(the MLP and MNIST networks are unconditional)",
    );
  }
  if (![32, 64, 128].includes(imageSize)) {
    throw new RangeError(`${network} imageSize must be 32, 64 or 128, got ${imageSize}`);
  }
  return imageSize;
}

function checkLabels(network: string, labels: Tensor | undefined, n: number): Tensor {
  if (labels === undefined) {
    throw new TypeError(`${network} needs the class labels: call forward(input, labels) with int64 labels`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new TypeError(`${network} expects labels of shape [${n}], got [${labels.shape.join(", ")}]`);
  }
  return labels;
}

/**
 * Maps noise (N, nz, 1, 1) and class labels (N) to images (N, nc, imageSize, imageSize) in [-1, 1]:
 * the class's embedding is concatenated to z and the DCGAN generator does the rest.
 *
 * @example
 * ```ts
 * import { ConditionalGenerator } from "@gan/dcgan";
 * import { randn, tensor } from "@gan/dcgan";
 * using netG = new ConditionalGenerator({ nz: 16, ngf: 8, nc: 1, imageSize: 32, numClasses: 10 });
 * using labels = tensor([0, 3, 9], { dtype: "int64" });
 * using fake = netG.forward(randn([3, 16, 1, 1]), labels); // [3, 1, 32, 32]
 * ```
 */
export class ConditionalGenerator extends Module implements GeneratorNetwork {
  /** The DCGAN generator's layers, taking nz + embedDim channels. */
  main: Sequential;
  /** The class embedding, (numClasses, embedDim). */
  label_emb: Embedding;
  /** Size of the latent vector z (without the embedding). */
  readonly nz: number;
  /** Generator feature maps. */
  readonly ngf: number;
  /** Image channels. */
  readonly nc: number;
  /** Image height and width. */
  readonly imageSize: number;
  /** How many classes. */
  readonly numClasses: number;
  /** Size of the class embedding. */
  readonly embedDim: number;

  /**
   * Builds the layers with PyTorch's default init (call weightsInit for the DCGAN's; the embedding
   * keeps nn.Embedding's N(0, 1)).
   *
   * @param config nz (128), ngf (64), nc (3), imageSize (64), numClasses, embedDim (numClasses), and the
   *   DCGAN's options spectralNorm and attention (arch must be "dcgan" or left out)
   * @throws {RangeError} when a size is not a positive integer, imageSize is not 32, 64 or 128, arch is
   *   not "dcgan", or an option is out of range
   */
  constructor(config: ConditionalGeneratorConfig) {
    super();
    const nz = this.nz = positiveInteger("ConditionalGenerator nz", config.nz ?? 128);
    const ngf = this.ngf = positiveInteger("ConditionalGenerator ngf", config.ngf ?? 64);
    const nc = this.nc = positiveInteger("ConditionalGenerator nc", config.nc ?? 3);
    const imageSize = this.imageSize = checkImageSize(
      "ConditionalGenerator",
      config.imageSize ?? 64,
      config.arch,
    );
    const classes = this.numClasses = positiveInteger("ConditionalGenerator numClasses", config.numClasses);
    const embedDim = this.embedDim = positiveInteger(
      "ConditionalGenerator embedDim",
      config.embedDim ?? classes,
    );
    const { spectralNorm, attention } = config;
    this.main = new Sequential(
      ...generatorLayers(nz + embedDim, ngf, nc, imageSize, { spectralNorm, attention }),
    );
    this.label_emb = new Embedding(classes, embedDim);
  }

  /**
   * Generates images of the given classes.
   *
   * @param noise (N, nz, 1, 1)
   * @param labels (N) int64 class indices in [0, numClasses)
   * @returns images (N, nc, imageSize, imageSize) in [-1, 1]
   * @throws {TypeError} when the noise or labels have another shape, or labels are missing
   */
  override forward(noise: Tensor, labels?: Tensor): Tensor {
    const shape = noise.shape;
    if (shape.length !== 4 || shape[1] !== this.nz || shape[2] !== 1 || shape[3] !== 1) {
      throw new TypeError(
        `ConditionalGenerator expects noise of shape [N, ${this.nz}, 1, 1], got [${shape.join(", ")}]`,
      );
    }
    const n = shape[0]!;
    using embedded = this.label_emb.forward(checkLabels("ConditionalGenerator", labels, n));
    using column = embedded.view([n, this.embedDim, 1, 1]);
    using input = cat([noise, column], 1);
    return this.main.forward(input);
  }
}

/**
 * Maps images (N, nc, imageSize, imageSize) and class labels (N) to one score each (N): the class's
 * label map is concatenated to the image as one more channel and the DCGAN discriminator does the rest.
 *
 * @example
 * ```ts
 * import { ConditionalDiscriminator } from "@gan/dcgan";
 * import { randn, tensor } from "@gan/dcgan";
 * using netD = new ConditionalDiscriminator({ ndf: 8, nc: 1, imageSize: 32, numClasses: 10 });
 * using labels = tensor([0, 3], { dtype: "int64" });
 * using p = netD.forward(randn([2, 1, 32, 32]), labels); // [2]
 * ```
 */
export class ConditionalDiscriminator extends Module implements DiscriminatorNetwork {
  /** The DCGAN discriminator's layers, taking nc + 1 channels. */
  main: Sequential;
  /** The label maps, (numClasses, imageSize * imageSize). */
  label_emb: Embedding;
  /** Discriminator feature maps. */
  readonly ndf: number;
  /** Image channels (without the label map). */
  readonly nc: number;
  /** Image height and width. */
  readonly imageSize: number;
  /** How many classes. */
  readonly numClasses: number;
  /** Whether the output goes through Sigmoid (probabilities) or not (raw scores). */
  readonly sigmoid: boolean;
  /** The hidden blocks' normalization. */
  readonly norm: DiscriminatorNorm;

  /**
   * Builds the layers with PyTorch's default init.
   *
   * @param config ndf (64), nc (3), imageSize (64), numClasses, sigmoid (true), norm ("batch", or "none"
   *   with spectralNorm), and the DCGAN's options spectralNorm, attention, dropout and minibatchStd (arch
   *   must be "dcgan" or left out)
   * @throws {RangeError} when a size is not a positive integer, imageSize is not 32, 64 or 128, arch is
   *   not "dcgan", or an option is out of range
   */
  constructor(config: ConditionalDiscriminatorConfig) {
    super();
    const ndf = this.ndf = positiveInteger("ConditionalDiscriminator ndf", config.ndf ?? 64);
    const nc = this.nc = positiveInteger("ConditionalDiscriminator nc", config.nc ?? 3);
    const imageSize = this.imageSize = checkImageSize(
      "ConditionalDiscriminator",
      config.imageSize ?? 64,
      config.arch,
    );
    const classes = this.numClasses = positiveInteger(
      "ConditionalDiscriminator numClasses",
      config.numClasses,
    );
    const sigmoid = this.sigmoid = config.sigmoid ?? true;
    const norm = this.norm = discriminatorNorm(config.norm, config.spectralNorm ?? false);
    const { spectralNorm, attention, dropout, minibatchStd } = config;
    const options = { sigmoid, norm, spectralNorm, attention, dropout, minibatchStd };
    this.main = new Sequential(...discriminatorLayers(ndf, nc + 1, imageSize, options));
    this.label_emb = new Embedding(classes, imageSize * imageSize);
  }

  /**
   * Scores images as real or fake for their classes.
   *
   * @param images (N, nc, imageSize, imageSize)
   * @param labels (N) int64 class indices in [0, numClasses)
   * @returns (N) probabilities (raw scores with `sigmoid: false`)
   * @throws {TypeError} when the images or labels have another shape, or labels are missing
   */
  override forward(images: Tensor, labels?: Tensor): Tensor {
    const shape = images.shape;
    const { nc, imageSize } = this;
    if (shape.length !== 4 || shape[1] !== nc || shape[2] !== imageSize || shape[3] !== imageSize) {
      throw new TypeError(
        `ConditionalDiscriminator expects images of shape [N, ${nc}, ${imageSize}, ${imageSize}], got [${
          shape.join(", ")
        }]`,
      );
    }
    using input = this.#withLabelMaps(images, labels);
    using output = this.main.forward(input);
    return output.view([-1]); // the example's view(-1, 1).squeeze(1), in one view
  }

  /**
   * Scores images for their classes and returns the hidden features the score is made from (the input
   * of D's last weighted layer), from one pass: what feature matching compares.
   *
   * @param images (N, nc, imageSize, imageSize)
   * @param labels (N) int64 class indices
   * @returns `output` as {@linkcode ConditionalDiscriminator.forward} returns it, and `features` (N, ...)
   */
  forwardWithFeatures(images: Tensor, labels?: Tensor): { output: Tensor; features: Tensor } {
    using input = this.#withLabelMaps(images, labels);
    const { output, features } = scoreWithFeatures(this.main, input);
    using scores = output;
    return { output: scores.view([-1]), features };
  }

  /** The images with each one's label map as one more channel. */
  #withLabelMaps(images: Tensor, labels: Tensor | undefined): Tensor {
    const n = images.shape[0]!;
    const { imageSize } = this;
    using maps = this.label_emb.forward(checkLabels("ConditionalDiscriminator", labels, n));
    using plane = maps.view([n, 1, imageSize, imageSize]);
    return cat([images, plane], 1);
  }
}
