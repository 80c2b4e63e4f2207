/**
 * Adam's update for many parameters in one shim call: `optim_adam_step` (the math of adam_math.ts in
 * C++, CPU or GPU) and `optim_adam_step_capturable` (libtorch's fused CUDA kernel, reading the step
 * count and lr from the GPU so that a CUDA graph can capture it).
 *
 * @module
 */

import { checkStatus, shim } from "../../ffi/ffi.ts";
import { handles } from "../../ops/args.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { Hyperparameters } from "./adam_math.ts";
import type { AdamParamState } from "./adam_state_dict.ts";

/**
 * Updates `params[i]` for every `i` in `ready`, one shim call per distinct step count (one call unless
 * some parameters skipped steps). Each ready parameter has a gradient and its state's step is already
 * incremented.
 *
 * @param params every parameter
 * @param states their states, by the same index
 * @param ready indices of the parameters to update
 * @param h the hyperparameters
 */
export function fusedAdamStep(
  params: readonly Tensor[],
  states: readonly (AdamParamState | undefined)[],
  ready: readonly number[],
  h: Hyperparameters,
): void {
  const byStep = Map.groupBy(ready, (i) => states[i]!.step);
  const { lr, betas: [beta1, beta2], eps, weightDecay } = h;
  for (const [step, indices] of byStep) {
    const status = shim().optim_adam_step(
      handles(indices.map((i) => params[i]!)),
      handles(indices.map((i) => states[i]!.exp_avg)),
      handles(indices.map((i) => states[i]!.exp_avg_sq)),
      indices.length,
      lr,
      beta1,
      beta2,
      eps,
      weightDecay,
      BigInt(step),
    );
    checkStatus("Adam.step", status);
  }
}

/** The GPU scalars a capturable Adam reads at each step. */
export interface DeviceScalars {
  /** The learning rate, a float32 scalar on the GPU. */
  lr: Tensor;
  /** The step count shared by every parameter, a float32 scalar on the GPU; incremented by each step. */
  step: Tensor;
}

/**
 * Updates every parameter in one fused CUDA launch, as `torch.optim.Adam(capturable=True, fused=True)`;
 * nothing here waits for the GPU, so it can be captured in a graph.
 *
 * @param params every parameter; each must have a gradient
 * @param stateOf parameter `i`'s state, allocated on first use (after the gradient check)
 * @param scalars the lr and step count on the GPU
 * @param h the hyperparameters (its lr is ignored: `scalars.lr` holds it)
 * @throws {Error} when a parameter has no gradient
 */
export function capturableAdamStep(
  params: readonly Tensor[],
  stateOf: (i: number) => AdamParamState,
  scalars: DeviceScalars,
  h: Hyperparameters,
): void {
  const missing = params.findIndex((p) => !p.hasGrad);
  if (missing >= 0) {
    throw new Error(
      `Adam capturable: parameter ${missing} has no gradient; every parameter must have one at each step ` +
        "(freeze parameters by leaving them out of the optimizer)",
    );
  }
  const states = params.map((_, i) => stateOf(i));
  const status = shim().optim_adam_step_capturable!(
    handles(params),
    handles(states.map((s) => s.exp_avg)),
    handles(states.map((s) => s.exp_avg_sq)),
    params.length,
    scalars.lr.handle,
    h.betas[0],
    h.betas[1],
    h.eps,
    h.weightDecay,
    scalars.step.handle,
  );
  checkStatus("Adam.step", status);
}
