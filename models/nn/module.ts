/**
 * `Module`: the base of every layer and network, as `torch.nn.Module`. A module's parameters, buffers
 * and children are its own fields: a field holding a {@linkcode Module} is a child (an array of modules
 * gives children `name.0`, `name.1`, ...), and a tensor field made with `this.param()` or `this.buffer()`
 * is a parameter or a buffer. The field's name is the state-dict name, so a field `running_mean` on a
 * child `main.1` is saved as `main.1.running_mean`, exactly as PyTorch names it. Other fields (numbers,
 * config objects, tensors made without `param()`/`buffer()`) are not part of the module's state.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import type { Device } from "../../ops/device.ts";
import { keep } from "../../ops/scope.ts";
import { type MemoryFormat, Tensor } from "../../ops/tensor.ts";
import { checkStateDict, type LoadStateDictOptions, type LoadStateDictResult } from "./state_dict_check.ts";

export type { LoadStateDictOptions, LoadStateDictResult } from "./state_dict_check.ts";

/** Tensors that `Module.param()` marked as trainable parameters. */
const PARAMETERS = new WeakSet<Tensor>();
/** Tensors that `Module.buffer()` marked as state that is saved but not trained. */
const BUFFERS = new WeakSet<Tensor>();

function sameDevice(current: Device, wanted: Device): boolean {
  return current === wanted || (wanted === "cuda" && current.startsWith("cuda"));
}

/**
 * The base class of layers and networks: subclasses make their parameters in the constructor with
 * `this.param()`/`this.buffer()`, keep children in fields, and implement `forward(x)`.
 *
 * Parameters and buffers belong to the module: they survive an enclosing {@linkcode tidy} and are freed
 * by `dispose()`. The tensors returned by `parameters()`, `namedParameters()` and `namedBuffers()` are
 * the module's own (do not dispose them); `stateDict()` returns new handles that share their storage.
 *
 * @example
 * ```ts
 * import { Module, randn, type Tensor } from "@gan/dcgan";
 *
 * class Scale extends Module {
 *   weight: Tensor;
 *   constructor(features: number) {
 *     super();
 *     this.weight = this.param(randn([features]));
 *   }
 *   override forward(x: Tensor): Tensor {
 *     return x.mul(this.weight);
 *   }
 * }
 * using scale = new Scale(3);
 * console.log(Object.keys(scale.stateDict())); // ["weight"]
 * ```
 */
export abstract class Module {
  #training = true;

  /**
   * Computes the module's output.
   *
   * @param input the input batch
   * @returns the output batch
   */
  abstract forward(input: Tensor): Tensor;

  /**
   * Marks a new tensor as a trainable parameter owned by this module: a leaf that records gradients,
   * kept alive past any enclosing `tidy()`. Assign the result to a field; the field's name is the
   * parameter's name.
   *
   * @param tensor a leaf tensor (not the result of an op that records gradients)
   * @returns the same tensor, now requiring gradients
   * @throws {TypeError} if the tensor is not a leaf
   */
  protected param(tensor: Tensor): Tensor {
    if (!tensor.isLeaf) {
      throw new TypeError(
        "A parameter must be a leaf tensor: pass x.detach() instead of the result of an op",
      );
    }
    keep(tensor).requiresGrad_(true);
    PARAMETERS.add(tensor);
    return tensor;
  }

  /**
   * Marks a new tensor as a buffer owned by this module: saved in the state dict and moved by `to()`,
   * but not trained (e.g. BatchNorm's running statistics). Assign the result to a field.
   *
   * @param tensor the buffer's initial value
   * @returns the same tensor
   */
  protected buffer(tensor: Tensor): Tensor {
    BUFFERS.add(keep(tensor));
    return tensor;
  }

  /**
   * Adds a parameter as a new field from outside the class, as PyTorch's `register_parameter`: what
   * reparametrizations such as `spectralNorm()` use. The field goes last in the state dict.
   *
   * @param name the field, and so the state-dict name (e.g. `weight_orig`)
   * @param tensor a leaf tensor; it becomes trainable and owned by this module
   * @returns the same tensor
   * @throws {TypeError} when the field already exists or the tensor is not a leaf
   */
  registerParameter(name: string, tensor: Tensor): Tensor {
    this.#newField(name);
    return (this as unknown as Record<string, Tensor>)[name] = this.param(tensor);
  }

  /**
   * Adds a buffer as a new field from outside the class, as PyTorch's `register_buffer`. The field goes
   * last in the state dict.
   *
   * @param name the field, and so the state-dict name (e.g. `weight_u`)
   * @param tensor the buffer's value; it becomes owned by this module
   * @returns the same tensor
   * @throws {TypeError} when the field already exists
   */
  registerBuffer(name: string, tensor: Tensor): Tensor {
    this.#newField(name);
    return (this as unknown as Record<string, Tensor>)[name] = this.buffer(tensor);
  }

  #newField(name: string): void {
    if (name in this) {
      throw new TypeError(`${this.constructor.name} already has a field "${name}": pick another name`);
    }
  }

  /**
   * The direct children, named by their fields. Sequential containers override this to name
   * theirs `"0"`, `"1"`, ...
   *
   * @returns `[name, child]` pairs in field order
   */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Module)) {
        value.forEach((child: Module, i) => out.push([`${key}.${i}`, child]));
      }
    }
    return out;
  }

  /**
   * This module and every descendant, parents before children (as PyTorch's `named_modules()`).
   *
   * @returns `[dotted name, module]` pairs; this module's name is `""`
   */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [["", this]];
    for (const [name, child] of this.namedChildren()) {
      for (const [sub, module] of child.namedModules()) out.push([sub ? `${name}.${sub}` : name, module]);
    }
    return out;
  }

  /**
   * Calls `fn` on every descendant and then on this module: children before their parent, in field
   * order, as PyTorch's `module.apply(fn)` (this order fixes which random numbers each layer draws).
   *
   * @param fn the function to call with each module
   * @returns this module
   * @example
   * ```ts
   * import { Sequential, Tanh } from "@gan/dcgan";
   * const names: string[] = [];
   * new Sequential(new Tanh()).apply((m) => names.push(m.constructor.name)); // ["Tanh", "Sequential"]
   * ```
   */
  apply(fn: (module: Module) => void): this {
    for (const [, child] of this.namedChildren()) child.apply(fn);
    fn(this);
    return this;
  }

  #ownTensors(kind: WeakSet<Tensor>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Tensor && kind.has(value)) out.push([key, value]);
    }
    return out;
  }

  #collect(kind: WeakSet<Tensor>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, module] of this.namedModules()) {
      for (const [key, tensor] of module.#ownTensors(kind)) {
        if (seen.has(tensor)) continue; // shared between two fields: listed once, as PyTorch does
        seen.add(tensor);
        out.push([prefix ? `${prefix}.${key}` : key, tensor]);
      }
    }
    return out;
  }

  /**
   * Every trainable parameter with its dotted name, in PyTorch's order.
   *
   * @returns `[name, tensor]` pairs; the tensors are the module's own
   */
  namedParameters(): [string, Tensor][] {
    return this.#collect(PARAMETERS);
  }

  /**
   * Every trainable parameter, in PyTorch's order: what an optimizer takes.
   *
   * @returns the module's own parameter tensors
   * @example
   * ```ts
   * import { Conv2d } from "@gan/dcgan";
   * using conv = new Conv2d(3, 8, 4);
   * console.log(conv.parameters().length); // 2
   * ```
   */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, tensor]) => tensor);
  }

  /**
   * Every buffer with its dotted name, in PyTorch's order.
   *
   * @returns `[name, tensor]` pairs; the tensors are the module's own
   */
  namedBuffers(): [string, Tensor][] {
    return this.#collect(BUFFERS);
  }

  /** Whether the module is in training mode (the default) rather than eval mode. */
  get training(): boolean {
    return this.#training;
  }

  /**
   * Sets training mode on this module and every descendant (BatchNorm uses batch statistics and
   * updates its running ones in training mode, and uses the running ones in eval mode).
   *
   * @param mode true for training, false for eval
   * @returns this module
   */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.#training = mode;
    return this;
  }

  /**
   * Sets eval mode on this module and every descendant: `train(false)`.
   *
   * @returns this module
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter and buffer to `device`, and/or lays out its 4-d ones in `memoryFormat`, as
   * PyTorch's `module.to(device)` and `module.to(memory_format=torch.channels_last)` (new tensors replace
   * the fields; gradients are dropped). Make the optimizer after moving, as in PyTorch.
   *
   * @param target `"cpu"`, `"cuda"` or `"cuda:N"`, or `{ device, memoryFormat }`
   * @returns this module
   */
  to(target: Device | { device?: Device; memoryFormat?: MemoryFormat }): this {
    const { device, memoryFormat } = typeof target === "string"
      ? { device: target, memoryFormat: undefined }
      : target;
    for (const [, module] of this.namedModules()) {
      const fields = module as unknown as Record<string, unknown>;
      for (const kind of [PARAMETERS, BUFFERS]) {
        for (const [key, tensor] of module.#ownTensors(kind)) {
          const move = device !== undefined && !sameDevice(tensor.device, device);
          const relayout = memoryFormat !== undefined && tensor.shape.length === 4 &&
            !tensor.isContiguous(memoryFormat);
          if (!move && !relayout) continue;
          const moved = keep(noGrad(() => {
            const placed = move ? tensor.to({ device }) : tensor.detach();
            if (!relayout) return placed;
            using _ = placed;
            return placed.contiguous(memoryFormat);
          }));
          if (kind === PARAMETERS) moved.requiresGrad_(tensor.requiresGrad);
          kind.add(moved);
          fields[key] = moved;
          tensor.dispose();
        }
      }
    }
    return this;
  }

  #stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      const own = [...module.#ownTensors(PARAMETERS), ...module.#ownTensors(BUFFERS)];
      for (const [key, tensor] of own) out.push([prefix ? `${prefix}.${key}` : key, tensor]);
    }
    return out;
  }

  /**
   * The parameters and buffers by their PyTorch names (`main.0.weight`, `main.1.running_mean`, ...), in
   * PyTorch's order: each module's parameters, then its buffers, then its children.
   *
   * @returns new detached handles sharing the module's storage; dispose them (or call inside `tidy()`)
   * @example
   * ```ts
   * import { BatchNorm2d } from "@gan/dcgan";
   * using bn = new BatchNorm2d(4);
   * const state = bn.stateDict();
   * console.log(Object.keys(state)); // weight, bias, running_mean, running_var, num_batches_tracked
   * for (const tensor of Object.values(state)) tensor.dispose();
   * ```
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, tensor] of this.#stateEntries()) out[name] = tensor.detach();
    return out;
  }

  /**
   * Copies values from a state dict into the parameters and buffers (converting dtype and device), as
   * PyTorch's `load_state_dict`. Everything is checked before anything is copied.
   *
   * @param state tensors by PyTorch name, e.g. from `stateDict()` or `loadStateDictFile()`
   * @param options strict (default true): also fail on missing or unexpected keys
   * @returns the keys skipped with `strict: false`
   * @throws {TypeError} naming the key and both shapes when a shape differs; with `strict`, listing the
   *   missing and unexpected keys
   * @example
   * ```ts
   * import { Linear } from "@gan/dcgan";
   * using a = new Linear(4, 2);
   * using b = new Linear(4, 2);
   * const state = a.stateDict();
   * b.loadStateDict(state);
   * for (const tensor of Object.values(state)) tensor.dispose();
   * ```
   */
  loadStateDict(
    state: Readonly<Record<string, Tensor>>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const { missingKeys, unexpectedKeys } = checkStateDict(this.#stateEntries(), state, options);
    const own = this.#stateEntries();
    noGrad(() => {
      for (const [name, target] of own) {
        const source = state[name];
        if (source !== undefined) target.copy_(source);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const tensor of this.parameters()) tensor.zeroGrad();
  }

  /**
   * The total number of elements over all parameters.
   *
   * @returns the parameter count
   */
  parameterCount(): number {
    return this.parameters().reduce((n, tensor) => n + tensor.numel(), 0);
  }

  /** Frees every parameter and buffer of this module and its descendants. A second call does nothing. */
  dispose(): void {
    for (const [, tensor] of this.#stateEntries()) tensor.dispose();
  }

  /** Frees the module at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * The arguments shown after the class name in `toString()`, e.g. `3, 8, kernel_size=(4, 4)`.
   *
   * @returns the layer's settings, PyTorch style; empty by default
   */
  extraRepr(): string {
    return "";
  }

  /**
   * The module tree, printed as PyTorch prints it (`print(netG)`).
   *
   * @returns one line per module, children indented
   */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([name, child]) => `  (${name}): ${String(child).replaceAll("\n", "\n  ")}`);
    return `${head}\n${lines.join("\n")}\n)`;
  }
}
