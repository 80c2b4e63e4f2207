/**
 * Norms and softmax, as `torch.norm` and `F.softmax`: what `F.normalize`, spectral norm's power
 * iteration and self-attention divide by. Each is the libtorch call PyTorch makes, so the same bits.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { dimList } from "./args.ts";
import { type Tensor, wrap } from "./tensor.ts";

/**
 * The p-norm over `dim` (every element when omitted), as `torch.norm(input, p, dim, keepdim)`.
 *
 * @param input a floating-point tensor
 * @param p the order; default 2
 * @param options dim (all when omitted) and keepdim (false)
 * @returns the norm
 * @example
 * ```ts
 * import { norm, tensor } from "@gan/dcgan";
 * using n = norm(tensor([3, 4])); // 5
 * ```
 */
export function norm(
  input: Tensor,
  p = 2,
  options: { dim?: number | readonly number[]; keepdim?: boolean } = {},
): Tensor {
  const dims = dimList(options.dim);
  return wrap("norm", shim().t_norm(input.handle, p, dims, dims.length, options.keepdim ? 1 : 0));
}

/**
 * exp(x) / sum(exp(x)) along `dim`, as `F.softmax(input, dim)`.
 *
 * @param input a floating-point tensor
 * @param dim the dim that sums to 1 (negative counts from the end)
 * @returns the probabilities, same shape
 * @example
 * ```ts
 * import { softmax, tensor } from "@gan/dcgan";
 * using p = softmax(tensor([[1, 2, 3]]), -1); // rows sum to 1
 * ```
 */
export function softmax(input: Tensor, dim: number): Tensor {
  return wrap("softmax", shim().t_softmax(input.handle, BigInt(dim)));
}
