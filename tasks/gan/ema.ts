/**
 * An exponential moving average of a network's weights (`--ema 0.999`), as StyleGAN's `G_ema`: after
 * each generator update, every parameter of the copy moves towards the trained one,
 * `ema = decay * ema + (1 - decay) * p` (`ema.lerp_(p, 1 - decay)`), and the buffers (BatchNorm's running
 * statistics) are copied. The average is smoother than the last iterate, so sample grids look better
 * earlier; it is never trained itself.
 *
 * A short run needs a warm-up: the plain average still gives the random initial weights `decay^t` of its
 * weight after t updates (0.999^938 ≈ 0.39 after 2 epochs of F-MNIST at batch 128). StyleGAN2's
 * `ema_rampup` ({@linkcode emaDecay}) caps the average's half-life at a fraction of the images seen so
 * far, so that it always forgets the start: with rampup 0.05 the average spans about the last 5% of the
 * run until that reaches the half-life `decay` sets.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import type { Module } from "../../models/nn/module.ts";
import { keptRng } from "./rng_kept.ts";

/**
 * Starts the average as a copy of `source`: `make()` builds a network of the same shape, which gets
 * `source`'s state and stops recording gradients. The random numbers `make()` draws for its init are
 * given back (the CPU generator's state is restored), so turning the average on changes no other draw.
 *
 * @param source the network to average
 * @param make builds an empty network of the same shape, on the same device
 * @returns the copy
 * @example
 * ```ts
 * import { emaCopy, emaUpdate } from "@gan/dcgan/gan";
 * import { Linear } from "@gan/dcgan";
 * using net = new Linear(4, 2);
 * using ema = emaCopy(net, () => new Linear(4, 2));
 * emaUpdate(ema, net, 0.999);
 * ```
 */
export function emaCopy<M extends Module>(source: M, make: () => M): M {
  let copy: M;
  {
    using _kept = keptRng("cpu"); // make() initialises on the CPU
    copy = make();
  }
  const state = source.stateDict();
  try {
    copy.loadStateDict(state);
  } finally {
    for (const t of Object.values(state)) t.dispose();
  }
  for (const p of copy.parameters()) p.requiresGrad_(false);
  return copy;
}

/**
 * One step of the average: `ema = decay * ema + (1 - decay) * source` for parameters, a copy for buffers.
 *
 * @param ema the average, from {@linkcode emaCopy}
 * @param source the trained network
 * @param decay in [0, 1); 0.999 averages over about the last 1,000 updates
 */
export function emaUpdate(ema: Module, source: Module, decay: number): void {
  const averaged = ema.parameters();
  const trained = source.parameters();
  const ownBuffers = ema.namedBuffers();
  const sourceBuffers = source.namedBuffers();
  noGrad(() => {
    averaged.forEach((p, i) => p.lerp_(trained[i]!, 1 - decay));
    ownBuffers.forEach(([, b], i) => b.copy_(sourceBuffers[i]![1]));
  });
}

/**
 * The decay of one update with StyleGAN2's warm-up (`training_loop.py`): `ema_nimg = min(ema_nimg, cur_nimg
 * * ema_rampup)`, `beta = 0.5 ** (batch / max(ema_nimg, 1e-8))`, where `ema_nimg` is the half-life (in
 * images) that `decay` gives and `cur_nimg` the images seen before this update. Per update that is
 * `min(decay, 0.5 ** (1 / (updates * rampup)))`: 0 at the first update (the average becomes a copy of G),
 * 0.5 after `1 / rampup` updates, then rising until it reaches `decay`. The batch size cancels out.
 *
 * @param decay the decay without warm-up, in [0, 1)
 * @param updates the generator updates before this one (0 for the first)
 * @param rampup StyleGAN2's `ema_rampup` (0.05 there); 0 or undefined for no warm-up
 * @returns the decay for this update, for {@linkcode emaUpdate}
 * @throws {RangeError} when decay is outside [0, 1) or rampup is negative
 * @example
 * ```ts
 * import { emaDecay } from "@gan/dcgan/gan";
 * console.log(emaDecay(0.999, 0, 0.05)); // 0
 * console.log(emaDecay(0.999, 20, 0.05)); // 0.5
 * console.log(emaDecay(0.999, 100_000, 0.05)); // 0.999
 * ```
 */
export function emaDecay(decay: number, updates: number, rampup = 0): number {
  if (!(decay >= 0 && decay < 1)) throw new RangeError(`ema decay must be in [0, 1), got ${decay}`);
  if (!(rampup >= 0)) throw new RangeError(`ema rampup must be >= 0, got ${rampup}`);
  if (rampup === 0) return decay;
  return Math.min(decay, 0.5 ** (1 / Math.max(updates * rampup, 1e-8)));
}
