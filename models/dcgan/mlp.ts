/**
 * The seeds' fully connected GAN (the "vanilla" GAN of the GAN chapter's cGAN code, without its
 * labels): dense layers with LeakyReLU(0.2), BatchNorm1d in the generator's middle layers, Tanh out.
 * Widths follow ngf and ndf so that the defaults (64) give the seed's 128-256-512 generator and
 * 512-256 discriminator. `arch: "mlp"` selects it.
 *
 * ```text
 * G: Flatten, Linear(nz, ngf*2), LeakyReLU, Linear(ngf*2, ngf*4), BatchNorm1d, LeakyReLU,
 *    Linear(ngf*4, ngf*8), BatchNorm1d, LeakyReLU, Linear(ngf*8, nc*H*W), Tanh, Unflatten(1, (nc, H, W))
 * D: Flatten, Linear(nc*H*W, ndf*8), LeakyReLU, Linear(ndf*8, ndf*4), LeakyReLU, Linear(ndf*4, 1), Sigmoid
 * ```
 *
 * Options: spectral norm goes on every Linear, dropout after every LeakyReLU of D, the minibatch
 * standard deviation before D's last Linear (one more input feature). The MLP has no feature maps, so
 * attention is refused, and D has no normalization layers (as the seed's), so `norm` does not apply.
 *
 * @module
 */

import { LeakyReLU, Sigmoid, Tanh } from "../nn/activation.ts";
import { Dropout } from "../nn/dropout.ts";
import { Flatten, Unflatten } from "../nn/flatten.ts";
import { Linear } from "../nn/linear.ts";
import { MinibatchStdDev } from "../nn/minibatch_std.ts";
import type { Module } from "../nn/module.ts";
import { BatchNorm1d } from "../nn/norm.ts";
import {
  attentionSide,
  type DiscriminatorLayerOptions,
  dropoutProbability,
  type GeneratorLayerOptions,
  maybeSpectralNorm,
  minibatchGroup,
} from "./layers.ts";

/**
 * The MLP generator's layers: noise (N, nz, 1, 1) in, images (N, nc, imageSize, imageSize) out.
 *
 * @param nz latent size
 * @param ngf width unit (hidden layers ngf*2, ngf*4, ngf*8)
 * @param nc image channels
 * @param imageSize image height and width
 * @param options spectralNorm (false); attention must be left out
 * @returns the layers, in order
 * @throws {RangeError} when attention is set
 * @example
 * ```ts
 * import { mlpGeneratorLayers } from "@gan/dcgan/gan";
 * console.log(mlpGeneratorLayers(16, 8, 1, 32).length); // 12
 * ```
 */
export function mlpGeneratorLayers(
  nz: number,
  ngf: number,
  nc: number,
  imageSize: number,
  options: GeneratorLayerOptions = {},
): Module[] {
  attentionSide("The MLP generator", options.attention, []);
  const sn = maybeSpectralNorm(options.spectralNorm);
  return [
    new Flatten(), // (nz)
    sn(new Linear(nz, ngf * 2)),
    new LeakyReLU(0.2),
    sn(new Linear(ngf * 2, ngf * 4)),
    new BatchNorm1d(ngf * 4),
    new LeakyReLU(0.2),
    sn(new Linear(ngf * 4, ngf * 8)),
    new BatchNorm1d(ngf * 8),
    new LeakyReLU(0.2),
    sn(new Linear(ngf * 8, nc * imageSize * imageSize)),
    new Tanh(),
    new Unflatten(1, [nc, imageSize, imageSize]), // (nc) x imageSize x imageSize
  ];
}

/**
 * The MLP discriminator's layers: images (N, nc, imageSize, imageSize) in, one score (N, 1) out.
 *
 * @param ndf width unit (hidden layers ndf*8, ndf*4)
 * @param nc image channels
 * @param imageSize image height and width
 * @param options sigmoid (true), spectralNorm, dropout, minibatchStd; attention must be left out and
 *   norm does not apply
 * @returns the layers, in order
 * @throws {RangeError} when attention is set, or dropout or the group size is out of range
 * @example
 * ```ts
 * import { mlpDiscriminatorLayers } from "@gan/dcgan/gan";
 * console.log(mlpDiscriminatorLayers(8, 1, 32).length); // 7
 * ```
 */
export function mlpDiscriminatorLayers(
  ndf: number,
  nc: number,
  imageSize: number,
  options: DiscriminatorLayerOptions = {},
): Module[] {
  attentionSide("The MLP discriminator", options.attention, []);
  const sn = maybeSpectralNorm(options.spectralNorm);
  const p = dropoutProbability(options.dropout);
  const group = minibatchGroup(options.minibatchStd);
  const activate = (): Module[] => [new LeakyReLU(0.2), ...(p > 0 ? [new Dropout(p)] : [])];
  return [
    new Flatten(), // (nc*imageSize*imageSize)
    sn(new Linear(nc * imageSize * imageSize, ndf * 8)),
    ...activate(),
    sn(new Linear(ndf * 8, ndf * 4)),
    ...activate(),
    ...(group > 0 ? [new MinibatchStdDev(group)] : []), // (ndf*4 + 1)
    sn(new Linear(ndf * 4 + (group > 0 ? 1 : 0), 1)),
    ...(options.sigmoid ?? true ? [new Sigmoid()] : []),
  ];
}
