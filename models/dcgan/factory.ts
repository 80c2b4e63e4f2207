/**
 * Builds a generator or discriminator from one config, plain or conditional by `numClasses`, so that
 * callers hold the shared contract ({@linkcode GeneratorNetwork}, {@linkcode DiscriminatorNetwork}) and
 * never branch on the class themselves.
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
 * A DCGAN generator: conditional when `numClasses` > 0.
 *
 * @param config nz, ngf, nc, imageSize, numClasses and (conditional only) embedDim
 * @returns the generator, with PyTorch's default init (call weightsInit for the DCGAN's)
 * @example
 * ```ts
 * import { createGenerator } from "./factory.ts";
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
 * A DCGAN discriminator: conditional when `numClasses` > 0.
 *
 * @param config ndf, nc, imageSize, sigmoid, norm and numClasses
 * @returns the discriminator, with PyTorch's default init (call weightsInit for the DCGAN's)
 * @example
 * ```ts
 * import { createDiscriminator } from "./factory.ts";
 * using netD = createDiscriminator({ ndf: 8, nc: 1, imageSize: 32 });
 * console.log(netD.numClasses); // 0
 * ```
 */
export function createDiscriminator(config: NetworkConfig<DiscriminatorConfig>): DiscriminatorNetwork {
  const { numClasses = 0, ...shape } = config;
  return numClasses > 0 ? new ConditionalDiscriminator({ ...shape, numClasses }) : new Discriminator(shape);
}
