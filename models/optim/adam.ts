/**
 * The Adam optimizer, as `torch.optim.Adam` (amsgrad off): the same update, the same per-parameter
 * state and a state dict in torch.optim's layout. The class holds the state; the update's clear math is in
 * adam_math.ts, the one-call shim updates (plain and capturable) in adam_fused.ts and the state-dict
 * format in adam_state_dict.ts.
 *
 * @module
 */

import { shim } from "../../ffi/ffi.ts";
import { noGrad } from "../../ops/autograd.ts";
import { zeros } from "../../ops/creation.ts";
import { keep } from "../../ops/scope.ts";
import { Tensor } from "../../ops/tensor.ts";
import { CudaUnavailableError } from "../../ops/cuda.ts";
import { capturableAdamStep, fusedAdamStep } from "./adam_fused.ts";
import { adamUpdate, checkHyperparameters, type Hyperparameters, zeroState } from "./adam_math.ts";
import {
  type AdamParamState,
  type AdamStateDict,
  checkStateDict,
  copyState,
  toStateDict,
} from "./adam_state_dict.ts";

export type { AdamParamGroup, AdamParamState, AdamStateDict } from "./adam_state_dict.ts";

/** Hyperparameters of {@linkcode Adam}. */
export interface AdamOptions {
  /** Learning rate; default 1e-3 (the DCGAN uses 2e-4). */
  lr?: number;
  /** Decay rates of the gradient's running mean and running square; default [0.9, 0.999] (DCGAN: [0.5, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator; default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
  /** Update all parameters in one shim call (default true); false runs the plain TypeScript update. */
  fused?: boolean;
  /**
   * Keep the step count and lr as GPU tensors and update with libtorch's fused CUDA kernel, so that the
   * step can be captured in a {@linkcode CudaGraph} and replayed with the right bias correction, as
   * `torch.optim.Adam(capturable=True, fused=True)`. CUDA parameters only; every parameter must have a
   * gradient at each step. Default false.
   */
  capturable?: boolean;
}

/**
 * Adam, as `torch.optim.Adam(params, lr, betas, eps, weight_decay)`: per parameter,
 * `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g²` and
 * `p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`. Parameters without a gradient
 * are skipped and their step count does not advance, as in PyTorch.
 *
 * @example
 * ```ts
 * import { Adam, Linear, randn } from "@gan/dcgan";
 * using net = new Linear(4, 1);
 * using optimizer = new Adam(net.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
 * using loss = net.forward(randn([8, 4])).square().mean();
 * loss.backward();
 * optimizer.step();
 * optimizer.zeroGrad();
 * ```
 */
export class Adam {
  readonly #params: Tensor[];
  readonly #state: (AdamParamState | undefined)[];
  #h: Hyperparameters;
  /** Whether `step()` uses the one-call shim update (true) or the plain TypeScript one. */
  readonly fused: boolean;
  /** Whether the step count and lr live on the GPU, for CUDA graph capture (see {@linkcode AdamOptions}). */
  readonly capturable: boolean;
  /** With `capturable`: the step count shared by every parameter, a float32 scalar on the GPU. */
  #stepTensor?: Tensor;
  /** With `capturable`: the learning rate, a float32 scalar on the GPU. */
  #lrTensor?: Tensor;

  /**
   * Makes the optimizer; state is allocated on the first step.
   *
   * @param params the parameters to update (e.g. `net.parameters()`); they stay owned by their module
   * @param options lr (1e-3), betas ([0.9, 0.999]), eps (1e-8), weightDecay (0), fused (true)
   * @throws {RangeError} when lr < 0, a beta is outside [0, 1), eps < 0 or weightDecay < 0
   * @throws {TypeError} when a parameter is not a leaf tensor that requires gradients
   */
  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    this.#h = checkHyperparameters({
      lr: options.lr ?? 1e-3,
      betas: (options.betas ?? [0.9, 0.999]) as [number, number],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
    });
    this.fused = options.fused ?? true;
    this.capturable = options.capturable ?? false;
    this.#params = [...params];
    this.#params.forEach((p, i) => {
      if (!(p instanceof Tensor) || !p.isLeaf || !p.requiresGrad) {
        throw new TypeError(
          `Adam parameter ${i} must be a leaf tensor that requires gradients, e.g. net.parameters()`,
        );
      }
    });
    this.#state = this.#params.map(() => undefined);
    if (this.capturable) {
      const device = this.#params[0]?.device ?? "cpu";
      if (device === "cpu" || this.#params.some((p) => p.device !== device)) {
        throw new TypeError(
          "Adam capturable needs every parameter on one CUDA device: move the module first",
        );
      }
      if (shim().optim_adam_step_capturable === null) throw new CudaUnavailableError("Adam capturable");
      this.#stepTensor = keep(zeros([], { device }));
      this.#lrTensor = keep(zeros([], { device }).fill_(this.#h.lr));
    }
  }

  /** The learning rate; set it to schedule (checked as in the constructor). */
  get lr(): number {
    return this.#h.lr;
  }

  set lr(value: number) {
    this.#h = checkHyperparameters({ ...this.#h, lr: value });
    this.#lrTensor?.fill_(value);
  }

  /** The hyperparameters in use, as passed to the constructor (or loaded by `loadStateDict`). */
  get options(): Required<Omit<AdamOptions, "fused" | "capturable">> {
    const { lr, betas, eps, weightDecay } = this.#h;
    return { lr, betas: [betas[0], betas[1]], eps, weightDecay };
  }

  /** The parameters this optimizer updates, in order. */
  get params(): readonly Tensor[] {
    return this.#params;
  }

  #stateFor(i: number): AdamParamState {
    return this.#state[i] ??= zeroState(this.#params[i]!);
  }

  /** Updates every parameter that has a gradient by one Adam step. */
  step(): void {
    if (this.capturable) {
      const scalars = { lr: this.#lrTensor!, step: this.#stepTensor! };
      return capturableAdamStep(this.#params, (i) => this.#stateFor(i), scalars, this.#h);
    }
    const ready: number[] = [];
    this.#params.forEach((p, i) => {
      if (!p.hasGrad) return;
      this.#stateFor(i).step += 1;
      ready.push(i);
    });
    if (this.fused) fusedAdamStep(this.#params, this.#state, ready, this.#h);
    else noGrad(() => ready.forEach((i) => adamUpdate(this.#params[i]!, this.#state[i]!, this.#h)));
  }

  /** With `capturable`, the GPU's step count copied into each parameter's state (one wait for the GPU). */
  #syncSteps(): void {
    if (!this.#stepTensor) return;
    const step = this.#stepTensor.item();
    this.#state.forEach((s) => {
      if (s !== undefined) s.step = step;
    });
  }

  /** Drops every parameter's gradient (`zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.#params) p.zeroGrad();
  }

  /**
   * The optimizer's state in torch.optim's layout.
   *
   * @returns per-parameter state (detached handles sharing the optimizer's storage: dispose them, or
   *   call inside `tidy()`) and the JSON-able param group
   * @example
   * ```ts
   * import { Adam, Linear } from "@gan/dcgan";
   * using net = new Linear(2, 1);
   * using adam = new Adam(net.parameters());
   * const { param_groups } = adam.stateDict();
   * console.log(JSON.stringify(param_groups));
   * ```
   */
  stateDict(): AdamStateDict {
    this.#syncSteps();
    return toStateDict(this.#state, this.#h, this.capturable);
  }

  /**
   * Replaces the state and hyperparameters with a state dict's (the tensors are copied, converted to
   * each parameter's dtype and device), as torch.optim's `load_state_dict`. Everything is checked
   * before anything changes.
   *
   * @param stateDict from `stateDict()`, possibly after a round trip through a file
   * @throws {TypeError} when the parameter count differs or a state tensor's shape differs from its
   *   parameter's
   * @throws {RangeError} when a hyperparameter or step is out of range
   */
  loadStateDict(stateDict: AdamStateDict): void {
    const { h, entries } = checkStateDict(stateDict, this.#params, this.capturable);
    this.#disposeState();
    this.#h = h;
    for (const [i, s] of entries) this.#state[i] = copyState(s, this.#params[i]!);
    this.#lrTensor?.fill_(h.lr);
    this.#stepTensor?.fill_(entries[0]?.[1].step ?? 0);
  }

  #disposeState(): void {
    this.#state.forEach((s, i) => {
      s?.exp_avg.dispose();
      s?.exp_avg_sq.dispose();
      this.#state[i] = undefined;
    });
  }

  /** Frees the optimizer's state (not the parameters). */
  dispose(): void {
    this.#disposeState();
    this.#stepTensor?.dispose();
    this.#lrTensor?.dispose();
  }

  /** Frees the optimizer's state at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
