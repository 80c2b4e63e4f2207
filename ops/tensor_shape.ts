/**
 * `Tensor`'s view and shape ops, declared and documented on the `Tensor` interface in ./tensor.ts,
 * which alone imports this file and installs them on `Tensor.prototype`.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { int64s } from "./args.ts";
import { type Tensor, wrap } from "./tensor.ts";

/** Bodies of `reshape`, `view`, `permute`, `expand`, `transpose`, `flatten`, `(un)squeeze` and indexing. */
export const shapeMethods = {
  reshape(shape: readonly number[]): Tensor {
    const dims = int64s(shape);
    return wrap("reshape", shim().t_reshape(this.handle, dims, dims.length));
  },

  view(shape: readonly number[]): Tensor {
    const dims = int64s(shape);
    return wrap("view", shim().t_view(this.handle, dims, dims.length));
  },

  permute(dims: readonly number[]): Tensor {
    const order = int64s(dims);
    return wrap("permute", shim().t_permute(this.handle, order, order.length));
  },

  expand(shape: readonly number[]): Tensor {
    const dims = int64s(shape);
    return wrap("expand", shim().t_expand(this.handle, dims, dims.length));
  },

  transpose(dim0: number, dim1: number): Tensor {
    return wrap("transpose", shim().t_transpose(this.handle, BigInt(dim0), BigInt(dim1)));
  },

  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap("flatten", shim().t_flatten(this.handle, BigInt(startDim), BigInt(endDim)));
  },

  squeeze(dim: number): Tensor {
    return wrap("squeeze", shim().t_squeeze(this.handle, BigInt(dim)));
  },

  unsqueeze(dim: number): Tensor {
    return wrap("unsqueeze", shim().t_unsqueeze(this.handle, BigInt(dim)));
  },

  slice(dim: number, start = 0, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
    return wrap("slice", shim().t_slice(this.handle, BigInt(dim), BigInt(start), BigInt(end), BigInt(step)));
  },

  select(dim: number, index: number): Tensor {
    return wrap("select", shim().t_select(this.handle, BigInt(dim), BigInt(index)));
  },

  indexSelect(dim: number, index: Tensor): Tensor {
    return wrap("indexSelect", shim().t_index_select(this.handle, BigInt(dim), index.handle));
  },
} satisfies Partial<Tensor> & ThisType<Tensor>;
