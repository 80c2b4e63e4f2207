/**
 * PyTorch's `torch.optim.swa_utils.update_bn`: an average of weights (SWA, or the EMA of a GAN's
 * generator) has no BatchNorm statistics of its own, since the statistics of the networks averaged
 * describe their activations, not the average's. `updateBn` recomputes them with forward passes.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { Module } from "../nn/module.ts";
import { BatchNormNd } from "../nn/norm.ts";

/**
 * Recomputes every BatchNorm layer's running statistics as PyTorch's `update_bn(loader, model)`: resets
 * them, sets momentum to null (a cumulative average over the batches), runs `model` in training mode on
 * each input, then puts the momenta and every module's mode back. Without BatchNorm layers it does nothing.
 *
 * @param inputs the batches to run, each a tensor or the arguments of `forward` as an array (where
 *   PyTorch would take a list batch's first element: a conditional generator needs its labels too)
 * @param model the network, e.g. the average of a generator's weights
 * @example
 * ```ts
 * import { BatchNorm1d, randn, Sequential } from "@gan/dcgan";
 * import { updateBn } from "@gan/dcgan";
 * using net = new Sequential(new BatchNorm1d(3));
 * using a = randn([8, 3]);
 * using b = randn([8, 3]);
 * updateBn([a, b], net); // running_mean: the mean of a's and b's batch means
 * ```
 */
export function updateBn(
  inputs: Iterable<Tensor | readonly Tensor[]>,
  model: Module & { forward(...args: Tensor[]): Tensor },
): void {
  const modules = model.namedModules().map(([, m]) => m);
  const norms = modules.filter((m): m is BatchNormNd => m instanceof BatchNormNd);
  if (norms.length === 0) return;
  const modes = modules.map((m) => [m, m.training] as const);
  const momenta = norms.map((bn) => bn.momentum);
  try {
    for (const bn of norms) {
      bn.resetRunningStats();
      bn.momentum = null;
    }
    model.train();
    noGrad(() => {
      for (const input of inputs) {
        const args = Array.isArray(input) ? input as readonly Tensor[] : [input as Tensor];
        model.forward(...args).dispose();
      }
    });
  } finally {
    norms.forEach((bn, i) => bn.momentum = momenta[i]!);
    for (const [module, training] of modes) module.train(training);
  }
}
