/**
 * Autograd controls: `noGrad`, `enableGrad`, `isGradEnabled` and `grad` (torch.autograd.grad).
 *
 * @module
 */

import { checkStatus, shim } from "../ffi/ffi.ts";
import { handles } from "./args.ts";
import { Tensor } from "./tensor.ts";

/**
 * Runs `fn` with gradient recording off, like `with torch.no_grad():`. `fn` must be synchronous.
 *
 * @param fn the work to run without autograd
 * @returns what `fn` returns
 * @example
 * ```ts
 * import { noGrad, ones } from "@gan/dcgan";
 * using w = ones([2], { requiresGrad: true });
 * using y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/**
 * Runs `fn` with gradient recording on, inside a {@linkcode noGrad}.
 *
 * @param fn the work to run with autograd
 * @returns what `fn` returns
 * @example
 * ```ts
 * import { enableGrad, noGrad, ones } from "@gan/dcgan";
 * noGrad(() => enableGrad(() => ones([1], { requiresGrad: true }).mul(2)));
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const s = shim();
  const before = s.t_grad_enabled();
  s.t_set_grad_enabled(enabled ? 1 : 0);
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError("noGrad() and enableGrad() take a synchronous function");
    }
    return result;
  } finally {
    s.t_set_grad_enabled(before);
  }
}

/**
 * Whether autograd records ops right now.
 *
 * @returns false inside {@linkcode noGrad}
 * @example
 * ```ts
 * import { isGradEnabled } from "@gan/dcgan";
 * console.log(isGradEnabled()); // true
 * ```
 */
export function isGradEnabled(): boolean {
  return shim().t_grad_enabled() !== 0;
}

/**
 * Gradients of the sum of `outputs` with respect to `inputs`, as `torch.autograd.grad` with
 * `grad_outputs` of ones. With `createGraph` the gradients are differentiable (as WGAN-GP needs).
 *
 * @param outputs tensors to differentiate
 * @param inputs tensors to differentiate with respect to
 * @param options createGraph (also retains the graph), allowUnused
 * @returns one gradient per input (undefined where unused and allowed)
 * @example
 * ```ts
 * import { grad, tensor } from "@gan/dcgan";
 * using x = tensor([3], { requiresGrad: true });
 * using y = x.mul(x);
 * const [dx] = grad([y], [x]); // 6
 * ```
 */
export function grad(
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  options: { createGraph?: boolean; allowUnused?: boolean } = {},
): (Tensor | undefined)[] {
  const out = new BigUint64Array(inputs.length);
  const status = shim().t_autograd_grad(
    handles(outputs),
    outputs.length,
    handles(inputs),
    inputs.length,
    out,
    options.createGraph ? 1 : 0,
    options.allowUnused ? 1 : 0,
  );
  checkStatus("grad", status);
  return Array.from(out, (value) => {
    const handle = Deno.UnsafePointer.create(value);
    return handle === null ? undefined : new Tensor(handle);
  });
}
