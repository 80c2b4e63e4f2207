/**
 * The course notes' MNIST case-study GAN (`arch: "mnist"`), for 28x28 digits there and for our 32x32
 * Fashion-MNIST here: a dense projection to a (imageSize/4)² x 128 map (7x7 at 28, 8x8 at 32) and two
 * stride-2 5x5 transposed convolutions up to the image; D mirrors it with two stride-2 5x5 convolutions,
 * Flatten and one dense output. Widths follow ngf and ndf (128 = ngf*2, 64 = ngf at the default 64).
 *
 * ```text
 * G: Flatten, Linear(nz, ngf*2*b*b, bias=False), BatchNorm1d, ReLU, Unflatten(1, (ngf*2, b, b)),
 *    ConvTranspose2d(ngf*2, ngf, 5, 2, 2, output_padding=1, bias=False), BatchNorm2d, ReLU,
 *    ConvTranspose2d(ngf, nc, 5, 2, 2, output_padding=1, bias=False), Tanh          (b = imageSize / 4)
 * D: Conv2d(nc, ndf, 5, 2, 2, bias=False), LeakyReLU(0.2),
 *    Conv2d(ndf, ndf*2, 5, 2, 2, bias=False), BatchNorm2d, LeakyReLU(0.2),
 *    Flatten, Linear(ndf*2*b*b, 1), Sigmoid
 * ```
 *
 * Adaptations, beyond the size: the notes' dense projection is followed by BatchNorm1d and ReLU (as
 * the DCGAN's "project and reshape"; without them the dense layer and the first transposed convolution
 * would be one linear map); padding 2 with output padding 1 is the notes' "same" padding; convolutions
 * have no bias (as the DCGAN example's), dense layers have one unless BatchNorm follows. Options: spectral
 * norm on every conv and Linear, norm/dropout/attention/minibatchStd as in the DCGAN (attention at
 * imageSize/2 or imageSize/4; the minibatch std before D's Flatten).
 *
 * @module
 */

import { LeakyReLU, ReLU, Sigmoid, Tanh } from "../nn/activation.ts";
import { SelfAttention } from "../nn/attention.ts";
import { Conv2d, ConvTranspose2d } from "../nn/conv.ts";
import { Dropout } from "../nn/dropout.ts";
import { Flatten, Unflatten } from "../nn/flatten.ts";
import { Linear } from "../nn/linear.ts";
import { MinibatchStdDev } from "../nn/minibatch_std.ts";
import type { Module } from "../nn/module.ts";
import { BatchNorm1d, BatchNorm2d, LayerNorm } from "../nn/norm.ts";
import {
  attentionSide,
  type DiscriminatorLayerOptions,
  discriminatorNorm,
  dropoutProbability,
  type GeneratorLayerOptions,
  maybeSpectralNorm,
  minibatchGroup,
} from "./layers.ts";

/** The 5x5 stride-2 "same" convolution settings. */
const DOWN = { stride: 2, padding: 2, bias: false } as const;
/** The 5x5 stride-2 transposed convolution that doubles the side exactly. */
const UP = { stride: 2, padding: 2, outputPadding: 1, bias: false } as const;

/**
 * The case-study generator's layers: noise (N, nz, 1, 1) in, images (N, nc, imageSize, imageSize) out.
 *
 * @param nz latent size
 * @param ngf width unit (maps of ngf*2, then ngf)
 * @param nc image channels
 * @param imageSize a multiple of 4 (not checked here)
 * @param options spectralNorm (false), attention (imageSize/4 or imageSize/2)
 * @returns the layers, in order
 * @throws {RangeError} when attention is another side
 * @example
 * ```ts
 * import { mnistGeneratorLayers } from "@gan/dcgan/gan";
 * console.log(mnistGeneratorLayers(16, 8, 1, 32).length); // 10
 * ```
 */
export function mnistGeneratorLayers(
  nz: number,
  ngf: number,
  nc: number,
  imageSize: number,
  options: GeneratorLayerOptions = {},
): Module[] {
  const b = imageSize / 4;
  const attention = attentionSide("The MNIST generator", options.attention, [b, 2 * b]);
  const sn = maybeSpectralNorm(options.spectralNorm);
  const attend = (side: number, channels: number): Module[] =>
    side === attention ? [new SelfAttention(channels, { spectralNorm: options.spectralNorm })] : [];
  return [
    new Flatten(),
    sn(new Linear(nz, ngf * 2 * b * b, { bias: false })),
    new BatchNorm1d(ngf * 2 * b * b),
    new ReLU(),
    new Unflatten(1, [ngf * 2, b, b]), // (ngf*2) x b x b
    ...attend(b, ngf * 2),
    sn(new ConvTranspose2d(ngf * 2, ngf, 5, UP)),
    new BatchNorm2d(ngf),
    new ReLU(), // (ngf) x 2b x 2b
    ...attend(2 * b, ngf),
    sn(new ConvTranspose2d(ngf, nc, 5, UP)),
    new Tanh(), // (nc) x imageSize x imageSize
  ];
}

/**
 * The case-study discriminator's layers: images (N, nc, imageSize, imageSize) in, one score (N, 1) out.
 *
 * @param ndf width unit (maps of ndf, then ndf*2)
 * @param nc input channels
 * @param imageSize a multiple of 4 (not checked here)
 * @param options sigmoid (true), norm ("batch"; "none" with spectralNorm), spectralNorm, attention
 *   (imageSize/2 or imageSize/4), dropout, minibatchStd
 * @returns the layers, in order
 * @throws {RangeError} for an unknown norm, another attention side, or dropout or group size out of range
 * @example
 * ```ts
 * import { mnistDiscriminatorLayers } from "@gan/dcgan/gan";
 * console.log(mnistDiscriminatorLayers(8, 1, 32).length); // 8
 * ```
 */
export function mnistDiscriminatorLayers(
  ndf: number,
  nc: number,
  imageSize: number,
  options: DiscriminatorLayerOptions = {},
): Module[] {
  const b = imageSize / 4;
  const sn = maybeSpectralNorm(options.spectralNorm);
  const norm = discriminatorNorm(options.norm, options.spectralNorm ?? false);
  const p = dropoutProbability(options.dropout);
  const group = minibatchGroup(options.minibatchStd);
  const attention = attentionSide("The MNIST discriminator", options.attention, [2 * b, b]);
  const activate = (side: number, channels: number): Module[] => [
    new LeakyReLU(0.2),
    ...(p > 0 ? [new Dropout(p)] : []),
    ...(side === attention ? [new SelfAttention(channels, { spectralNorm: options.spectralNorm })] : []),
  ];
  const normLayers: Module[] = norm === "batch"
    ? [new BatchNorm2d(ndf * 2)]
    : norm === "layer"
    ? [new LayerNorm([ndf * 2, b, b])]
    : [];
  return [
    sn(new Conv2d(nc, ndf, 5, DOWN)),
    ...activate(2 * b, ndf), // (ndf) x 2b x 2b
    sn(new Conv2d(ndf, ndf * 2, 5, DOWN)),
    ...normLayers,
    ...activate(b, ndf * 2), // (ndf*2) x b x b
    ...(group > 0 ? [new MinibatchStdDev(group)] : []),
    new Flatten(),
    sn(new Linear((ndf * 2 + (group > 0 ? 1 : 0)) * b * b, 1)),
    ...(options.sigmoid ?? true ? [new Sigmoid()] : []),
  ];
}
