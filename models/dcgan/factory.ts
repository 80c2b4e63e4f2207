/**
 * Builds a generator or discriminator from one config, of any architecture (`arch`), plain or
 * conditional by `numClasses`, so that callers hold the shared contract ({@linkcode GeneratorNetwork},
 * {@linkcode DiscriminatorNetwork}) and never branch on the class themselves.
 *
 * @module
 */

import { ConditionalDiscriminator, ConditionalGenerator } from "./conditional.ts";
import {
  Discriminator,
  type DiscriminatorConfig,
  type DiscriminatorNetwork,
  Generator,
  type GeneratorConfig,
  type GeneratorNetwork,
} from "./networks.ts";

/** A network's settings plus how many classes it is conditioned on (0 or absent: unconditional). */
export type NetworkConfig<C> = C & { numClasses?: number };

/**
 * A generator of any architecture (`arch`: "dcgan", the default, "mlp" or "mnist"), with the
 * stabiliser options `spectralNorm` and `attention`; conditional when `numClasses` > 0 (DCGAN only).
 *
 * @param config arch, nz, ngf, nc, imageSize, spectralNorm, attention, numClasses and (conditional
 *   only) embedDim; see {@linkcode GeneratorConfig}
 * @returns the generator, with PyTorch's default init (call weightsInit for the DCGAN's)
 * @example
 * ```ts
 * import { createGenerator } from "@gan/dcgan";
 * using netG = createGenerator({ nz: 16, ngf: 8, nc: 1, imageSize: 32, numClasses: 10 });
 * console.log(netG.numClasses); // 10
 * ```
 */
export function createGenerator(
  config: NetworkConfig<GeneratorConfig> & { embedDim?: number },
): GeneratorNetwork {
  const { numClasses = 0, embedDim, ...shape } = config;
  return numClasses > 0 ? new ConditionalGenerator({ ...shape, numClasses, embedDim }) : new Generator(shape);
}

/**
 * A discriminator of any architecture (`arch`: "dcgan", the default, "mlp" or "mnist"), with the
 * stabiliser options `spectralNorm`, `norm`, `attention`, `dropout` and `minibatchStd`; conditional
 * when `numClasses` > 0 (DCGAN only).
 *
 * @param config arch, ndf, nc, imageSize, sigmoid, norm, spectralNorm, attention, dropout,
 *   minibatchStd and numClasses; see {@linkcode DiscriminatorConfig}
 * @returns the discriminator, with PyTorch's default init (call weightsInit for the DCGAN's)
 * @example
 * ```ts
 * import { createDiscriminator } from "@gan/dcgan";
 * using netD = createDiscriminator({ ndf: 8, nc: 1, imageSize: 32, spectralNorm: true, sigmoid: false });
 * console.log(netD.numClasses); // 0
 * ```
 */
export function createDiscriminator(config: NetworkConfig<DiscriminatorConfig>): DiscriminatorNetwork {
  const { numClasses = 0, ...shape } = config;
  return numClasses > 0 ? new ConditionalDiscriminator({ ...shape, numClasses }) : new Discriminator(shape);
}
