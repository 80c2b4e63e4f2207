/**
 * The Adam optimizer, as `torch.optim.Adam` (amsgrad off): the same update, the same per-parameter
 * state and a state dict in torch.optim's layout.
 *
 * @module
 */

import { checkStatus, shim } from "../../ffi/ffi.ts";
import { noGrad } from "../../ops/autograd.ts";
import { zeros } from "../../ops/creation.ts";
import { keep } from "../../ops/scope.ts";
import { handles, Tensor } from "../../ops/tensor.ts";
import { CudaUnavailableError } from "../../ops/cuda.ts";

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

interface Hyperparameters {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

function checkHyperparameters(h: Hyperparameters): Hyperparameters {
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
 */
function sameLayout(t: Tensor, param: Tensor): Tensor {
  if (param.shape.length !== 4 || param.isContiguous() || !param.isContiguous("channels_last")) return t;
  using owned = t;
  return owned.contiguous("channels_last");
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/**
 * Adam, as `torch.optim.Adam(params, lr, betas, eps, weight_decay)`: per parameter,
 * `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g²` and
 * `p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`. Parameters without a gradient
 * are skipped and their step count does not advance, as in PyTorch.
 *
 * @example
 * ```ts
 * import { Adam, Linear, randn } from "../../mod.ts";
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
    let state = this.#state[i];
    if (state === undefined) {
      const p = this.#params[i]!;
      const zero = () => keep(sameLayout(zeros(p.shape, { dtype: p.dtype, device: p.device }), p));
      state = { step: 0, exp_avg: zero(), exp_avg_sq: zero() };
      this.#state[i] = state;
    }
    return state;
  }

  /** Updates every parameter that has a gradient by one Adam step. */
  step(): void {
    if (this.capturable) return this.#capturableStep();
    const ready: number[] = [];
    this.#params.forEach((p, i) => {
      if (!p.hasGrad) return;
      this.#stateFor(i).step += 1;
      ready.push(i);
    });
    if (this.fused) this.#fusedStep(ready);
    else noGrad(() => ready.forEach((i) => this.#plainStep(i)));
  }

  /** One parameter's update, written out with in-place tensor ops (torch.optim's `_single_tensor_adam`). */
  #plainStep(i: number): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay } = this.#h;
    const param = this.#params[i]!;
    const { step, exp_avg, exp_avg_sq } = this.#state[i]!;
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

  /** All updates in one shim call per distinct step count (one call unless some parameters skipped steps). */
  #fusedStep(ready: readonly number[]): void {
    const byStep = Map.groupBy(ready, (i) => this.#state[i]!.step);
    const { lr, betas: [beta1, beta2], eps, weightDecay } = this.#h;
    for (const [step, indices] of byStep) {
      const params = handles(indices.map((i) => this.#params[i]!));
      const avgs = handles(indices.map((i) => this.#state[i]!.exp_avg));
      const squares = handles(indices.map((i) => this.#state[i]!.exp_avg_sq));
      const status = shim().optim_adam_step(
        params,
        avgs,
        squares,
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

  /**
   * Every parameter in one fused CUDA launch, reading the step count and lr from the GPU (nothing here
   * waits for the GPU, so it can be captured in a graph).
   */
  #capturableStep(): void {
    const missing = this.#params.findIndex((p) => !p.hasGrad);
    if (missing >= 0) {
      throw new Error(
        `Adam capturable: parameter ${missing} has no gradient; every parameter must have one at each step ` +
          "(freeze parameters by leaving them out of the optimizer)",
      );
    }
    const indices = this.#params.map((_, i) => i);
    indices.forEach((i) => this.#stateFor(i));
    const status = shim().optim_adam_step_capturable!(
      handles(this.#params),
      handles(indices.map((i) => this.#state[i]!.exp_avg)),
      handles(indices.map((i) => this.#state[i]!.exp_avg_sq)),
      indices.length,
      this.#lrTensor!.handle,
      this.#h.betas[0],
      this.#h.betas[1],
      this.#h.eps,
      this.#h.weightDecay,
      this.#stepTensor!.handle,
    );
    checkStatus("Adam.step", status);
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
   * import { Adam, Linear } from "../../mod.ts";
   * using net = new Linear(2, 1);
   * using adam = new Adam(net.parameters());
   * const { param_groups } = adam.stateDict();
   * console.log(JSON.stringify(param_groups));
   * ```
   */
  stateDict(): AdamStateDict {
    this.#syncSteps();
    const state: Record<number, AdamParamState> = {};
    this.#state.forEach((s, i) => {
      if (s !== undefined) {
        state[i] = { step: s.step, exp_avg: s.exp_avg.detach(), exp_avg_sq: s.exp_avg_sq.detach() };
      }
    });
    const { lr, betas, eps, weightDecay } = this.#h;
    const group: AdamParamGroup = {
      lr,
      betas: [betas[0], betas[1]],
      eps,
      weight_decay: weightDecay,
      amsgrad: false,
      maximize: false,
      foreach: null,
      capturable: this.capturable,
      differentiable: false,
      fused: this.capturable,
      params: this.#params.map((_, i) => i),
    };
    return { state, param_groups: [group] };
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
    const group = stateDict.param_groups?.[0];
    if (stateDict.param_groups?.length !== 1 || group === undefined) {
      throw new TypeError("Cannot load Adam state dict: expected exactly one param group");
    }
    if (group.params.length !== this.#params.length) {
      throw new TypeError(
        `Cannot load Adam state dict: it has ${group.params.length} parameters, this optimizer has ${this.#params.length}`,
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
      const p = this.#params[i];
      if (!Number.isInteger(i) || p === undefined) {
        throw new TypeError(
          `Cannot load Adam state dict: state key ${i} is not a parameter index below ${this.#params.length}`,
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
    if (this.capturable && steps.size > 1) {
      throw new RangeError(
        `Cannot load Adam state dict into a capturable Adam: its parameters have different step counts (${
          [
            ...steps,
          ].join(", ")
        }); capturable Adam keeps one count for all`,
      );
    }
    this.#disposeState();
    this.#h = h;
    for (const [i, s] of entries) {
      const { dtype, device } = this.#params[i]!;
      const copy = (t: Tensor): Tensor => {
        using moved = t.to({ dtype, device });
        return keep(sameLayout(moved.clone(), this.#params[i]!)); // a copy even when `to` changed nothing
      };
      this.#state[i] = { step: s.step, exp_avg: copy(s.exp_avg), exp_avg_sq: copy(s.exp_avg_sq) };
    }
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
