/**
 * An exponential moving average of a network's weights (`--ema 0.999`), as StyleGAN's `G_ema`: after
 * each generator update, every parameter of the copy moves towards the trained one,
 * `ema = decay * ema + (1 - decay) * p` (`ema.lerp_(p, 1 - decay)`), and the buffers (BatchNorm's running
 * statistics) are copied. The average is smoother than the last iterate, so sample grids look better
 * earlier; it is never trained itself.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import type { Module } from "../../models/nn/module.ts";
import { getRngState, setRngState } from "../../ops/runtime.ts";

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
 * import { emaCopy, emaUpdate } from "./ema.ts";
 * import { Linear } from "../../mod.ts";
 * using net = new Linear(4, 2);
 * using ema = emaCopy(net, () => new Linear(4, 2));
 * emaUpdate(ema, net, 0.999);
 * ```
 */
export function emaCopy<M extends Module>(source: M, make: () => M): M {
  const rng = getRngState();
  let copy: M;
  try {
    copy = make();
  } finally {
    setRngState(rng);
    rng.dispose();
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
