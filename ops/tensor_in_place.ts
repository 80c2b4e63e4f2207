/**
 * `Tensor`'s in-place ops (those optimizers and initializers need), declared and documented on the
 * `Tensor` interface in ./tensor.ts, which alone imports this file and installs them on
 * `Tensor.prototype`. Each returns `this`.
 *
 * @module
 */

import { checkStatus, shim } from "../ffi/ffi.ts";
import type { Tensor } from "./tensor.ts";

/** Bodies of `add_`, `mul_`, `div_`, `addcmul_`, `addcdiv_`, `lerp_`, `clamp_`, `copy_` and the fills. */
export const inPlaceMethods = {
  add_(other: Tensor | number, alpha = 1): Tensor {
    const s = shim();
    const status = typeof other === "number"
      ? s.t_add_scalar_(this.handle, other * alpha)
      : s.t_add_(this.handle, other.handle, alpha);
    checkStatus("add_", status);
    return this;
  },

  mul_(other: Tensor | number): Tensor {
    const s = shim();
    const status = typeof other === "number"
      ? s.t_mul_scalar_(this.handle, other)
      : s.t_mul_(this.handle, other.handle);
    checkStatus("mul_", status);
    return this;
  },

  div_(other: number): Tensor {
    checkStatus("div_", shim().t_div_scalar_(this.handle, other));
    return this;
  },

  addcmul_(a: Tensor, b: Tensor, value = 1): Tensor {
    checkStatus("addcmul_", shim().t_addcmul_(this.handle, a.handle, b.handle, value));
    return this;
  },

  addcdiv_(a: Tensor, b: Tensor, value = 1): Tensor {
    checkStatus("addcdiv_", shim().t_addcdiv_(this.handle, a.handle, b.handle, value));
    return this;
  },

  lerp_(end: Tensor, weight: number): Tensor {
    checkStatus("lerp_", shim().t_lerp_(this.handle, end.handle, weight));
    return this;
  },

  clamp_(min: number, max: number): Tensor {
    checkStatus("clamp_", shim().t_clamp_(this.handle, min, max));
    return this;
  },

  copy_(src: Tensor): Tensor {
    checkStatus("copy_", shim().t_copy_(this.handle, src.handle));
    return this;
  },

  zero_(): Tensor {
    checkStatus("zero_", shim().t_zero_(this.handle));
    return this;
  },

  fill_(value: number): Tensor {
    checkStatus("fill_", shim().t_fill_(this.handle, value));
    return this;
  },

  normal_(mean = 0, std = 1): Tensor {
    checkStatus("normal_", shim().t_normal_(this.handle, mean, std));
    return this;
  },

  uniform_(low = 0, high = 1): Tensor {
    checkStatus("uniform_", shim().t_uniform_(this.handle, low, high));
    return this;
  },
} satisfies Partial<Tensor> & ThisType<Tensor>;
