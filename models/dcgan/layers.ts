/**
 * The DCGAN's layer lists, as pytorch/examples `dcgan/main.py` builds them, with the stabilisers the
 * seeds teach as options. With no option set, the lists are exactly the example's.
 *
 * | option         | where                                                                                  |
 * | -------------- | -------------------------------------------------------------------------------------- |
 * | `spectralNorm` | every Conv2d/ConvTranspose2d (and attention's 1x1 convs) wrapped by `spectralNorm()`   |
 * | `norm`         | D's hidden blocks: BatchNorm2d, LayerNorm, or none (the default with spectral norm)    |
 * | `attention: s` | a SelfAttention block after the block whose output is s x s                            |
 * | `dropout: p`   | D: a Dropout(p) after every LeakyReLU                                                  |
 * | `minibatchStd` | D: a MinibatchStdDev before the last conv (at 4x4), which then takes one more channel  |
 *
 * Layers that an option adds or removes shift the positions after them, as they would in PyTorch's
 * `nn.Sequential`: D with spectral norm and no norm is `main.0` conv, `main.1` LeakyReLU, `main.2` conv,
 * `main.3` LeakyReLU, ...; its convs save `weight_orig`, `weight_u` and `weight_v` (no `weight`).
 *
 * @module
 */

import { Dropout } from "../nn/dropout.ts";
import { LeakyReLU, ReLU, Sigmoid, Tanh } from "../nn/activation.ts";
import { SelfAttention } from "../nn/attention.ts";
import { Conv2d, ConvTranspose2d } from "../nn/conv.ts";
import { MinibatchStdDev } from "../nn/minibatch_std.ts";
import type { Module } from "../nn/module.ts";
import { BatchNorm2d, LayerNorm } from "../nn/norm.ts";
import { spectralNorm, type Weighted } from "../nn/spectral_norm.ts";
import type { Sequential } from "../nn/sequential.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** The hidden-block normalization of a discriminator. */
export type DiscriminatorNorm = "batch" | "layer" | "none";

/** Options of {@linkcode generatorLayers}. */
export interface GeneratorLayerOptions {
  /** Spectral norm on every convolution (BatchNorm stays); default false. */
  spectralNorm?: boolean;
  /** Side (e.g. 16) of the feature map after which a SelfAttention block goes; default none. */
  attention?: number;
}

/** Options of {@linkcode discriminatorLayers}. */
export interface DiscriminatorLayerOptions {
  /** End with Sigmoid (default true). */
  sigmoid?: boolean;
  /** Hidden-block normalization: default "batch", or "none" with spectralNorm. */
  norm?: DiscriminatorNorm;
  /** Spectral norm on every convolution; default false. */
  spectralNorm?: boolean;
  /** Side (e.g. 16) of the feature map after which a SelfAttention block goes; default none. */
  attention?: number;
  /** Dropout probability after every LeakyReLU; default 0 (no Dropout layers). */
  dropout?: number;
  /** A MinibatchStdDev layer before the last layer: true for group size 4, or the group size; default off. */
  minibatchStd?: boolean | number;
}

/**
 * Wraps new weight layers in spectral norm when asked, as `spectral_norm(nn.Conv2d(...))` would inline
 * (so u and v are drawn right after each layer's own init, in PyTorch's order).
 *
 * @param on whether to add spectral norm
 * @returns a function that takes a new layer and returns it, spectral-normed or not
 */
export function maybeSpectralNorm(on: boolean | undefined): <M extends Weighted>(layer: M) => M {
  return (layer) => on ? spectralNorm(layer) : layer;
}

/**
 * Checks an attention side against the sides a network has.
 *
 * @param network the network's name, for the message
 * @param side the requested side, or undefined / 0 for none
 * @param sides the feature-map sides where a block can go
 * @returns the side, or 0 for none
 * @throws {RangeError} when the side is not one of `sides`
 */
export function attentionSide(network: string, side: number | undefined, sides: readonly number[]): number {
  if (side === undefined || side === 0) return 0;
  if (!sides.includes(side)) {
    throw new RangeError(
      `${network} attention must be one of its feature-map sides ${
        sides.join(", ")
      } (or 0 for none), got ${side}`,
    );
  }
  return side;
}

/**
 * Checks D's dropout probability.
 *
 * @param p the probability, or undefined for none
 * @returns p, or 0
 * @throws {RangeError} when p is outside [0, 1)
 */
export function dropoutProbability(p: number | undefined): number {
  const value = p ?? 0;
  if (!(value >= 0 && value < 1)) {
    throw new RangeError(`Discriminator dropout must be in [0, 1), got ${value}`);
  }
  return value;
}

/**
 * The group size of D's minibatch standard deviation layer.
 *
 * @param option true (group size 4), a group size, or false / 0 / undefined for none
 * @returns the group size, or 0 for none
 * @throws {RangeError} when a number is not a positive integer
 */
export function minibatchGroup(option: boolean | number | undefined): number {
  if (option === undefined || option === false || option === 0) return 0;
  if (option === true) return 4;
  if (!Number.isSafeInteger(option) || option < 1) {
    throw new RangeError(
      `Discriminator minibatchStd must be true, false or a group size >= 1, got ${option}`,
    );
  }
  return option;
}

/**
 * D's normalization: the given one, else "none" with spectral norm (SNGAN's D has no BatchNorm), else
 * "batch".
 *
 * @param norm the requested normalization
 * @param spectral whether D has spectral norm
 * @returns the normalization to use
 * @throws {RangeError} when norm is not "batch", "layer" or "none"
 */
export function discriminatorNorm(norm: DiscriminatorNorm | undefined, spectral: boolean): DiscriminatorNorm {
  const value = norm ?? (spectral ? "none" : "batch");
  if (value !== "batch" && value !== "layer" && value !== "none") {
    throw new RangeError(`Discriminator norm must be "batch", "layer" or "none", got "${value}"`);
  }
  return value;
}

/**
 * The generator's layer list (what `Generator` puts in `main`), for networks that feed it
 * something other than plain noise, such as a conditional generator's noise and class embedding.
 *
 * @param nz input channels (the latent size, plus anything concatenated to it)
 * @param ngf generator feature maps
 * @param nc image channels
 * @param imageSize 32, 64 or 128 (not checked here)
 * @param options spectralNorm (false) and attention (none)
 * @returns the layers, in order
 * @throws {RangeError} when attention is not a side between 4 and imageSize / 2
 * @example
 * ```ts
 * import { generatorLayers } from "@gan/dcgan/gan";
 * console.log(generatorLayers(16, 8, 3, 32).length); // 12
 * ```
 */
export function generatorLayers(
  nz: number,
  ngf: number,
  nc: number,
  imageSize: number,
  options: GeneratorLayerOptions = {},
): Module[] {
  const sn = maybeSpectralNorm(options.spectralNorm);
  const top = imageSize / 8; // 8 at imageSize 64, as the example's ngf * 8
  const sides = [4, 8, 16, 32, 64].filter((s) => s < imageSize);
  const attention = attentionSide("Generator", options.attention, sides);
  const attend = (side: number, channels: number): Module[] =>
    side === attention ? [new SelfAttention(channels, { spectralNorm: options.spectralNorm })] : [];
  const layers: Module[] = [
    // input is Z, going into a convolution
    sn(new ConvTranspose2d(nz, ngf * top, 4, { stride: 1, padding: 0, bias: false })),
    new BatchNorm2d(ngf * top),
    new ReLU(),
    ...attend(4, ngf * top),
    // state size: (ngf*top) x 4 x 4
  ];
  for (let mult = top; mult > 1; mult /= 2) {
    layers.push(
      sn(new ConvTranspose2d(ngf * mult, ngf * (mult / 2), 4, { stride: 2, padding: 1, bias: false })),
      new BatchNorm2d(ngf * (mult / 2)),
      new ReLU(),
      ...attend(imageSize / mult, ngf * (mult / 2)),
    );
    // state size: (ngf*mult/2) x (imageSize/mult) x (imageSize/mult), at imageSize 64:
    // (ngf*4) x 8 x 8, then (ngf*2) x 16 x 16, then (ngf) x 32 x 32
  }
  layers.push(
    sn(new ConvTranspose2d(ngf, nc, 4, { stride: 2, padding: 1, bias: false })),
    new Tanh(),
    // state size: (nc) x imageSize x imageSize
  );
  return layers;
}

/**
 * The discriminator's layer list (what `Discriminator` puts in `main`), for networks that
 * feed it something other than plain images, such as a conditional discriminator's image and label map.
 *
 * @param ndf discriminator feature maps
 * @param nc input channels (image channels, plus any concatenated label channels)
 * @param imageSize 32, 64 or 128 (not checked here)
 * @param options sigmoid (true), norm ("batch"; "none" with spectralNorm), spectralNorm (false),
 *   attention (none), dropout (0), minibatchStd (off), as in {@linkcode DiscriminatorLayerOptions}
 * @returns the layers, in order
 * @throws {RangeError} for an unknown norm, an attention side that D does not have, or a dropout or
 *   group size out of range
 * @example
 * ```ts
 * import { discriminatorLayers } from "@gan/dcgan/gan";
 * console.log(discriminatorLayers(8, 3, 32, { sigmoid: false }).length); // 9
 * ```
 */
export function discriminatorLayers(
  ndf: number,
  nc: number,
  imageSize: number,
  options: DiscriminatorLayerOptions = {},
): Module[] {
  const sn = maybeSpectralNorm(options.spectralNorm);
  const norm = discriminatorNorm(options.norm, options.spectralNorm ?? false);
  const p = dropoutProbability(options.dropout);
  const group = minibatchGroup(options.minibatchStd);
  const top = imageSize / 8; // 8 at imageSize 64, as the example's ndf * 8
  const sides = [64, 32, 16, 8, 4].filter((s) => s < imageSize);
  const attention = attentionSide("Discriminator", options.attention, sides);
  // LeakyReLU, then the options' Dropout and SelfAttention at this side
  const activate = (side: number, channels: number): Module[] => [
    new LeakyReLU(0.2),
    ...(p > 0 ? [new Dropout(p)] : []),
    ...(side === attention ? [new SelfAttention(channels, { spectralNorm: options.spectralNorm })] : []),
  ];
  const layers: Module[] = [
    // input is (nc) x imageSize x imageSize
    sn(new Conv2d(nc, ndf, 4, { stride: 2, padding: 1, bias: false })),
    ...activate(imageSize / 2, ndf),
    // state size: (ndf) x imageSize/2 x imageSize/2
  ];
  for (let mult = 1; mult < top; mult *= 2) {
    const channels = ndf * (mult * 2);
    const side = imageSize / 4 / mult;
    layers.push(sn(new Conv2d(ndf * mult, channels, 4, { stride: 2, padding: 1, bias: false })));
    if (norm === "batch") layers.push(new BatchNorm2d(channels));
    if (norm === "layer") layers.push(new LayerNorm([channels, side, side]));
    layers.push(...activate(side, channels));
    // state size: (ndf*mult*2) x (imageSize/4/mult) x (imageSize/4/mult), at imageSize 64:
    // (ndf*2) x 16 x 16, then (ndf*4) x 8 x 8, then (ndf*8) x 4 x 4
  }
  if (group > 0) layers.push(new MinibatchStdDev(group)); // state size: (ndf*top + 1) x 4 x 4
  layers.push(sn(new Conv2d(ndf * top + (group > 0 ? 1 : 0), 1, 4, { stride: 1, padding: 0, bias: false })));
  // state size: 1 x 1 x 1, a raw score; the example's Sigmoid makes it a probability
  if (options.sigmoid ?? true) layers.push(new Sigmoid());
  return layers;
}

/**
 * Runs a discriminator's layers split before the last layer with weights: the hidden features, then
 * the score made from them.
 *
 * @param main the layers
 * @param input what the first layer takes
 * @returns the last layers' output and the features (both new tensors)
 */
export function scoreWithFeatures(main: Sequential, input: Tensor): { output: Tensor; features: Tensor } {
  const layers = main.layers;
  let last = layers.length - 1;
  while (last > 0 && layers[last]!.parameters().length === 0) last--;
  if (last === 0) {
    throw new RangeError("A discriminator needs a hidden layer before its last one for features");
  }
  const run = (from: number, to: number, x: Tensor): Tensor => {
    let y = x;
    for (let i = from; i < to; i++) {
      const next = layers[i]!.forward(y);
      if (y !== x) y.dispose();
      y = next;
    }
    return y;
  };
  const features = run(0, last, input);
  return { output: run(last, layers.length, features), features };
}
