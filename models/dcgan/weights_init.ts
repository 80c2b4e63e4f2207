/**
 * The DCGAN's weight initialization, as `weights_init` in pytorch/examples `dcgan/main.py`.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import { Conv2d, ConvTranspose2d } from "../nn/conv.ts";
import type { Module } from "../nn/module.ts";
import { BatchNormNd } from "../nn/norm.ts";

/**
 * Draws convolution weights from N(0, 0.02) and BatchNorm (1d and 2d) weights from N(1, 0.02) with
 * BatchNorm biases 0, leaving other parameters (Linear, attention's gamma) as they are; under spectral
 * norm the convolution's `weight_orig` is drawn, as PyTorch's `m.weight` before the first forward.
 * Layers are visited as `netG.apply(weights_init)` visits them (children before parents, in order), so
 * after the same `manualSeed` the weights equal PyTorch's bit for bit.
 *
 * @param module the network to initialize, in place
 * @returns the same module
 * @example
 * ```ts
 * import { Generator, manualSeed, weightsInit } from "@gan/dcgan";
 * manualSeed(999);
 * using netG = weightsInit(new Generator({ nz: 16, ngf: 8, nc: 3, imageSize: 32 }));
 * ```
 */
export function weightsInit<M extends Module>(module: M): M {
  noGrad(() =>
    module.apply((m) => {
      if (m instanceof Conv2d || m instanceof ConvTranspose2d) {
        m.weight.normal_(0.0, 0.02);
      } else if (m instanceof BatchNormNd) {
        m.weight.normal_(1.0, 0.02);
        m.bias.zero_();
      }
    })
  );
  return module;
}
