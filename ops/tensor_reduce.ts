/**
 * `Tensor`'s reductions, declared and documented on the `Tensor` interface in ./tensor.ts, which alone
 * imports this file and installs them on `Tensor.prototype`.
 *
 * @module
 */

import { shim, type Symbols } from "../ffi/ffi.ts";
import { dimList } from "./args.ts";
import { type ReduceOptions, type Tensor, wrap } from "./tensor.ts";

function reduce(
  op: string,
  fn: Symbols["t_sum"],
  x: Tensor,
  dim: number | readonly number[] | undefined,
  options: ReduceOptions,
): Tensor {
  const dims = dimList(dim);
  return wrap(op, fn(x.handle, dims, dims.length, options.keepdim ? 1 : 0));
}

/** Bodies of `sum`, `mean`, `amax`, `amin`, `max`, `min`, `var`, `argmax` and `argmin`. */
export const reduceMethods = {
  sum(dim?: number | readonly number[], options: ReduceOptions = {}): Tensor {
    return reduce("sum", shim().t_sum, this, dim, options);
  },

  mean(dim?: number | readonly number[], options: ReduceOptions = {}): Tensor {
    return reduce("mean", shim().t_mean, this, dim, options);
  },

  amax(dim?: number | readonly number[], options: ReduceOptions = {}): Tensor {
    return reduce("amax", shim().t_amax, this, dim, options);
  },

  amin(dim?: number | readonly number[], options: ReduceOptions = {}): Tensor {
    return reduce("amin", shim().t_amin, this, dim, options);
  },

  max(): Tensor {
    return this.amax();
  },

  min(): Tensor {
    return this.amin();
  },

  var(dim?: number | readonly number[], options: ReduceOptions & { unbiased?: boolean } = {}): Tensor {
    const dims = dimList(dim);
    const unbiased = options.unbiased ?? true;
    return wrap(
      "var",
      shim().t_var(this.handle, dims, dims.length, unbiased ? 1 : 0, options.keepdim ? 1 : 0),
    );
  },

  argmax(dim: number, options: ReduceOptions = {}): Tensor {
    return wrap("argmax", shim().t_argmax(this.handle, BigInt(dim), options.keepdim ? 1 : 0));
  },

  argmin(dim: number, options: ReduceOptions = {}): Tensor {
    return wrap("argmin", shim().t_argmin(this.handle, BigInt(dim), options.keepdim ? 1 : 0));
  },
} satisfies Partial<Tensor> & ThisType<Tensor>;
