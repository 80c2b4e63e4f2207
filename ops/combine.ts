/**
 * Ops that make one tensor from several: `torch.cat`, `torch.stack` and `torch.where`.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { handles } from "./args.ts";
import { type Tensor, wrap } from "./tensor.ts";

/**
 * Concatenates tensors along an existing dim, as `torch.cat`.
 *
 * @param tensors the tensors (same shape except along `dim`)
 * @param dim the dim to join along; default 0
 * @returns the joined tensor
 * @example
 * ```ts
 * import { cat, ones, zeros } from "@gan/dcgan";
 * using both = cat([zeros([2, 3]), ones([1, 3])]); // [3, 3]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return wrap("cat", shim().t_cat(handles(tensors), tensors.length, BigInt(dim)));
}

/**
 * Stacks tensors along a new dim, as `torch.stack`.
 *
 * @param tensors the tensors (same shape)
 * @param dim where the new dim goes; default 0
 * @returns the stacked tensor
 * @example
 * ```ts
 * import { ones, stack, zeros } from "@gan/dcgan";
 * using both = stack([zeros([3]), ones([3])]); // [2, 3]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return wrap("stack", shim().t_stack(handles(tensors), tensors.length, BigInt(dim)));
}

/**
 * Picks from `a` where `condition` holds, else from `b`, as `torch.where` (all three broadcast).
 *
 * @param condition a bool tensor
 * @param a values where true
 * @param b values where false
 * @returns the merged tensor
 * @example
 * ```ts
 * import { tensor, where } from "@gan/dcgan";
 * using x = tensor([1, -2]);
 * using y = where(x.gt(0), x, x.neg());
 * ```
 */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  return wrap("where", shim().t_where(condition.handle, a.handle, b.handle));
}
