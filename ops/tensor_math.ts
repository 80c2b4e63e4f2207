/**
 * `Tensor`'s elementwise arithmetic, activations, matmul and comparisons, declared and documented on
 * the `Tensor` interface in ./tensor.ts, which alone imports this file and installs them on
 * `Tensor.prototype`. Ops that take a tensor or a number call the shim's tensor or scalar form.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { type Tensor, wrap } from "./tensor.ts";

/** A comparison, in the shim's codes. */
const COMPARE = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 } as const;

function compare(op: keyof typeof COMPARE, x: Tensor, other: Tensor | number): Tensor {
  const s = shim();
  return typeof other === "number"
    ? wrap(op, s.t_compare(x.handle, null, other, COMPARE[op]))
    : wrap(op, s.t_compare(x.handle, other.handle, 0, COMPARE[op]));
}

/** Bodies of `add` to `matmul` and of the comparisons `eq` to `ge`. */
export const mathMethods = {
  add(other: Tensor | number, alpha = 1): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap("add", s.t_add_scalar(this.handle, other * alpha))
      : wrap("add", s.t_add(this.handle, other.handle, alpha));
  },

  sub(other: Tensor | number, alpha = 1): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap("sub", s.t_sub_scalar(this.handle, other * alpha))
      : wrap("sub", s.t_sub(this.handle, other.handle, alpha));
  },

  rsub(other: number): Tensor {
    return wrap("rsub", shim().t_rsub_scalar(this.handle, other));
  },

  mul(other: Tensor | number): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap("mul", s.t_mul_scalar(this.handle, other))
      : wrap("mul", s.t_mul(this.handle, other.handle));
  },

  div(other: Tensor | number): Tensor {
    const s = shim();
    return typeof other === "number"
      ? wrap("div", s.t_div_scalar(this.handle, other))
      : wrap("div", s.t_div(this.handle, other.handle));
  },

  pow(exponent: Tensor | number): Tensor {
    const s = shim();
    return typeof exponent === "number"
      ? wrap("pow", s.t_pow_scalar(this.handle, exponent))
      : wrap("pow", s.t_pow(this.handle, exponent.handle));
  },

  maximum(other: Tensor): Tensor {
    return wrap("maximum", shim().t_maximum(this.handle, other.handle));
  },

  minimum(other: Tensor): Tensor {
    return wrap("minimum", shim().t_minimum(this.handle, other.handle));
  },

  clamp(min?: number, max?: number): Tensor {
    const hasMin = min === undefined ? 0 : 1;
    const hasMax = max === undefined ? 0 : 1;
    return wrap("clamp", shim().t_clamp(this.handle, min ?? 0, max ?? 0, hasMin, hasMax));
  },

  neg(): Tensor {
    return wrap("neg", shim().t_neg(this.handle));
  },

  abs(): Tensor {
    return wrap("abs", shim().t_abs(this.handle));
  },

  exp(): Tensor {
    return wrap("exp", shim().t_exp(this.handle));
  },

  log(): Tensor {
    return wrap("log", shim().t_log(this.handle));
  },

  sqrt(): Tensor {
    return wrap("sqrt", shim().t_sqrt(this.handle));
  },

  rsqrt(): Tensor {
    return wrap("rsqrt", shim().t_rsqrt(this.handle));
  },

  square(): Tensor {
    return wrap("square", shim().t_square(this.handle));
  },

  sign(): Tensor {
    return wrap("sign", shim().t_sign(this.handle));
  },

  isfinite(): Tensor {
    return wrap("isfinite", shim().t_isfinite(this.handle));
  },

  relu(): Tensor {
    return wrap("relu", shim().nn_relu(this.handle));
  },

  tanh(): Tensor {
    return wrap("tanh", shim().nn_tanh(this.handle));
  },

  sigmoid(): Tensor {
    return wrap("sigmoid", shim().nn_sigmoid(this.handle));
  },

  matmul(other: Tensor): Tensor {
    return wrap("matmul", shim().t_matmul(this.handle, other.handle));
  },

  eq(other: Tensor | number): Tensor {
    return compare("eq", this, other);
  },

  ne(other: Tensor | number): Tensor {
    return compare("ne", this, other);
  },

  lt(other: Tensor | number): Tensor {
    return compare("lt", this, other);
  },

  le(other: Tensor | number): Tensor {
    return compare("le", this, other);
  },

  gt(other: Tensor | number): Tensor {
    return compare("gt", this, other);
  },

  ge(other: Tensor | number): Tensor {
    return compare("ge", this, other);
  },
} satisfies Partial<Tensor> & ThisType<Tensor>;
