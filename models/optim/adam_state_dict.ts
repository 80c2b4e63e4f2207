/**
 * Adam's state dict in torch.optim's layout (`{state: {index: {step, exp_avg, exp_avg_sq}},
 * param_groups: [{lr, betas, ...}]}`): building one from an optimizer's state, and checking one before
 * it is loaded.
 *
 * @module
 */

import { keep } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { checkHyperparameters, type Hyperparameters, sameLayout } from "./adam_math.ts";

/** One parameter's optimizer state, as torch.optim keeps it. */
export interface AdamParamState {
  /** How many updates this parameter has had. */
  step: number;
  /** Running mean of the gradient. */
  exp_avg: Tensor;
  /** Running mean of the squared gradient. */
  exp_avg_sq: Tensor;
}

/** The hyperparameters of a torch.optim param group, JSON-able. */
export interface AdamParamGroup {
  /** Learning rate. */
  lr: number;
  /** [beta1, beta2]. */
  betas: [number, number];
  /** Added to the denominator. */
  eps: number;
  /** L2 penalty. */
  weight_decay: number;
  /** Always false (not supported). */
  amsgrad: false;
  /** Always false (not supported). */
  maximize: false;
  /** torch.optim's default. */
  foreach: null;
  /** Whether the step count and lr live on the GPU (our `capturable` option). */
  capturable: boolean;
  /** torch.optim's default. */
  differentiable: false;
  /** torch.optim's CUDA-fused kernel flag: true with `capturable` (libtorch's fused kernel runs). */
  fused: boolean;
  /** Indices of the group's parameters, 0..n-1. */
  params: number[];
}

/**
 * Adam's state dict in torch.optim's layout: `state` by parameter index (only parameters that have been
 * updated) and one `param_groups` entry. The tensors are detached handles; `param_groups` and each
 * `step` are JSON-able, so a checkpoint can store the tensors in safetensors and the rest as JSON.
 */
export interface AdamStateDict {
  /** Per-parameter state by index into the parameter list. */
  state: Record<number, AdamParamState>;
  /** The one param group. */
  param_groups: [AdamParamGroup];
}

/**
 * The state dict of an optimizer's state.
 *
 * @param states each parameter's state (undefined before its first update)
 * @param h the hyperparameters
 * @param capturable whether the optimizer is capturable (`capturable` and `fused` in the group)
 * @returns detached handles sharing the state's storage, and the JSON-able group
 */
export function toStateDict(
  states: readonly (AdamParamState | undefined)[],
  h: Hyperparameters,
  capturable: boolean,
): AdamStateDict {
  const state: Record<number, AdamParamState> = {};
  states.forEach((s, i) => {
    if (s !== undefined) {
      state[i] = { step: s.step, exp_avg: s.exp_avg.detach(), exp_avg_sq: s.exp_avg_sq.detach() };
    }
  });
  const { lr, betas, eps, weightDecay } = h;
  const group: AdamParamGroup = {
    lr,
    betas: [betas[0], betas[1]],
    eps,
    weight_decay: weightDecay,
    amsgrad: false,
    maximize: false,
    foreach: null,
    capturable,
    differentiable: false,
    fused: capturable,
    params: states.map((_, i) => i),
  };
  return { state, param_groups: [group] };
}

/** A state dict that passed {@linkcode checkStateDict}: its hyperparameters and state by parameter index. */
export interface CheckedStateDict {
  /** The group's hyperparameters, checked. */
  h: Hyperparameters;
  /** [parameter index, state], in the dict's order. */
  entries: (readonly [number, AdamParamState])[];
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/**
 * Checks a state dict against the parameters it is to be loaded for, changing nothing.
 *
 * @param stateDict from `Adam.stateDict()`, possibly after a round trip through a file
 * @param params the optimizer's parameters
 * @param capturable whether the optimizer is capturable (then all steps must be equal)
 * @returns the hyperparameters and the per-parameter entries
 * @throws {TypeError} when the parameter count differs or a state tensor's shape differs from its
 *   parameter's
 * @throws {RangeError} when a hyperparameter or step is out of range
 */
export function checkStateDict(
  stateDict: AdamStateDict,
  params: readonly Tensor[],
  capturable: boolean,
): CheckedStateDict {
  const group = stateDict.param_groups?.[0];
  if (stateDict.param_groups?.length !== 1 || group === undefined) {
    throw new TypeError("Cannot load Adam state dict: expected exactly one param group");
  }
  if (group.params.length !== params.length) {
    throw new TypeError(
      `Cannot load Adam state dict: it has ${group.params.length} parameters, this optimizer has ${params.length}`,
    );
  }
  const h = checkHyperparameters({
    lr: group.lr,
    betas: group.betas,
    eps: group.eps,
    weightDecay: group.weight_decay,
  });
  const entries = Object.entries(stateDict.state).map(([key, s]) => [Number(key), s] as const);
  for (const [i, s] of entries) {
    const p = params[i];
    if (!Number.isInteger(i) || p === undefined) {
      throw new TypeError(
        `Cannot load Adam state dict: state key ${i} is not a parameter index below ${params.length}`,
      );
    }
    if (!Number.isSafeInteger(s.step) || s.step < 0) {
      throw new RangeError(
        `Cannot load Adam state dict: state ${i} step must be an integer >= 0, got ${s.step}`,
      );
    }
    for (const name of ["exp_avg", "exp_avg_sq"] as const) {
      const [got, want] = [s[name].shape, p.shape];
      if (shapeText(got) !== shapeText(want)) {
        throw new TypeError(
          `Cannot load Adam state dict: state ${i} ${name} has shape ${shapeText(got)}, expected ${
            shapeText(want)
          }`,
        );
      }
    }
  }
  const steps = new Set(entries.map(([, s]) => s.step));
  if (capturable && steps.size > 1) {
    throw new RangeError(
      `Cannot load Adam state dict into a capturable Adam: its parameters have different step counts (${
        [
          ...steps,
        ].join(", ")
      }); capturable Adam keeps one count for all`,
    );
  }
  return { h, entries };
}

/**
 * A loaded state's own copy for `param`: converted to its dtype, device and layout, and kept until the
 * optimizer frees it.
 *
 * @param s the state from the dict (not changed)
 * @param param the parameter it belongs to
 * @returns the copy
 */
export function copyState(s: AdamParamState, param: Tensor): AdamParamState {
  const { dtype, device } = param;
  const copy = (t: Tensor): Tensor => {
    using moved = t.to({ dtype, device });
    return keep(sameLayout(moved.clone(), param)); // a copy even when `to` changed nothing
  };
  return { step: s.step, exp_avg: copy(s.exp_avg), exp_avg_sq: copy(s.exp_avg_sq) };
}
