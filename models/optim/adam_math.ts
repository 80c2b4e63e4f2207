/**
 * Adam's update written out with tensor ops, as torch.optim's `_single_tensor_adam`: the clear math
 * that the fused shim calls (adam_fused.ts) are tested against, and the checks on its hyperparameters.
 *
 * @module
 */

import { zeros } from "../../ops/creation.ts";
import { keep } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { AdamParamState } from "./adam_state_dict.ts";

/** Adam's hyperparameters, checked (see {@linkcode checkHyperparameters}). */
export interface Hyperparameters {
  /** Learning rate, >= 0. */
  lr: number;
  /** [beta1, beta2], each in [0, 1). */
  betas: [number, number];
  /** Added to the denominator, >= 0. */
  eps: number;
  /** L2 penalty added to the gradient, >= 0. */
  weightDecay: number;
}

/**
 * Checks Adam's hyperparameters as torch.optim.Adam's constructor does.
 *
 * @param h the values to check
 * @returns a copy (betas copied into a fresh pair)
 * @throws {RangeError} when lr < 0, a beta is outside [0, 1), eps < 0 or weightDecay < 0
 */
export function checkHyperparameters(h: Hyperparameters): Hyperparameters {
  const { lr, betas, eps, weightDecay } = h;
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`Adam lr must be a number >= 0, got ${lr}`);
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new RangeError(`Adam betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
  }
  betas.forEach((beta, i) => {
    if (!(beta >= 0 && beta < 1)) throw new RangeError(`Adam betas[${i}] must be in [0, 1), got ${beta}`);
  });
  if (!(eps >= 0) || !Number.isFinite(eps)) {
    throw new RangeError(`Adam eps must be a number >= 0, got ${eps}`);
  }
  if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new RangeError(`Adam weightDecay must be a number >= 0, got ${weightDecay}`);
  }
  return { lr, betas: [betas[0], betas[1]], eps, weightDecay };
}

/**
 * `t` laid out as `param` (channels_last or not), as torch.optim's `zeros_like(p, memory_format=
 * torch.preserve_format)`: the fused kernels need state, gradient and parameter strides to agree.
 * Takes ownership of `t`.
 *
 * @param t a tensor of `param`'s shape, owned by the caller until now
 * @param param the parameter whose layout to copy
 * @returns `t` itself, or a channels_last copy of it (then `t` is freed)
 */
export function sameLayout(t: Tensor, param: Tensor): Tensor {
  if (param.shape.length !== 4 || param.isContiguous() || !param.isContiguous("channels_last")) return t;
  using owned = t;
  return owned.contiguous("channels_last");
}

/**
 * A parameter's first state: step 0 and zero running averages of its dtype, device and layout, kept
 * (outside any `tidy()`) until the optimizer frees them.
 *
 * @param param the parameter
 * @returns the new state
 */
export function zeroState(param: Tensor): AdamParamState {
  const zero = () =>
    keep(sameLayout(zeros(param.shape, { dtype: param.dtype, device: param.device }), param));
  return { step: 0, exp_avg: zero(), exp_avg_sq: zero() };
}

/**
 * One parameter's Adam update, in place: `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g²`,
 * `p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)` with `t = state.step` (already
 * incremented). Call under `noGrad()`; the parameter must have a gradient.
 *
 * @param param the parameter, updated in place
 * @param state its running averages, updated in place
 * @param h the hyperparameters
 */
export function adamUpdate(param: Tensor, state: AdamParamState, h: Hyperparameters): void {
  const { lr, betas: [beta1, beta2], eps, weightDecay } = h;
  const { step, exp_avg, exp_avg_sq } = state;
  using rawGrad = param.grad!;
  using grad = weightDecay !== 0 ? rawGrad.add(param, weightDecay) : rawGrad.ref();
  exp_avg.mul_(beta1).add_(grad, 1 - beta1);
  exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const stepSize = lr / biasCorrection1;
  using denom = exp_avg_sq.sqrt();
  denom.div_(Math.sqrt(biasCorrection2)).add_(eps);
  param.addcdiv_(exp_avg, denom, -stepSize);
}
