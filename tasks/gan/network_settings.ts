/**
 * The networks a train config asks for: which settings go to G and which to D, in one place, so the
 * trainer, its EMA copy and anything that rebuilds a run's generator build the same networks.
 *
 * @module
 */

import type { DiscriminatorConfig, GeneratorConfig } from "../../models/dcgan/networks.ts";
import type { NetworkConfig } from "../../models/dcgan/factory.ts";
import type { TrainConfig } from "./config.ts";
import { usesSigmoid } from "./losses.ts";

/** The train settings the networks depend on, plus the data's channels and classes. */
export type NetworkSettings =
  & Pick<
    TrainConfig,
    | "arch"
    | "nz"
    | "ngf"
    | "ndf"
    | "imageSize"
    | "loss"
    | "spectralNorm"
    | "spectralNormG"
    | "attention"
    | "minibatchStd"
    | "dDropout"
  >
  & { nc: number; numClasses: number };

/**
 * G's settings for createGenerator.
 *
 * @param s the run's settings
 * @returns the generator config
 */
export function generatorSettings(s: NetworkSettings): NetworkConfig<GeneratorConfig> {
  return {
    arch: s.arch,
    nz: s.nz,
    ngf: s.ngf,
    nc: s.nc,
    imageSize: s.imageSize,
    spectralNorm: s.spectralNormG,
    attention: s.attention || undefined,
    numClasses: s.numClasses,
  };
}

/**
 * D's settings for createDiscriminator: a WGAN-GP critic takes LayerNorm; with spectral norm D has no
 * BatchNorm (the networks' own default); otherwise BatchNorm as the seed.
 *
 * @param s the run's settings
 * @returns the discriminator config
 */
export function discriminatorSettings(s: NetworkSettings): NetworkConfig<DiscriminatorConfig> {
  return {
    arch: s.arch,
    ndf: s.ndf,
    nc: s.nc,
    imageSize: s.imageSize,
    sigmoid: usesSigmoid(s.loss),
    norm: s.loss === "wgan-gp" ? "layer" : s.spectralNorm ? undefined : "batch",
    spectralNorm: s.spectralNorm,
    attention: s.attention || undefined,
    dropout: s.dDropout || undefined,
    minibatchStd: s.minibatchStd || undefined,
    numClasses: s.numClasses,
  };
}
