/**
 * Linear layers' functionals, as `torch.nn.functional.linear` and `embedding`.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { type Tensor, wrap } from "./tensor.ts";

/**
 * `input @ weight.T + bias`, as `F.linear`.
 *
 * @param input (..., in)
 * @param weight (out, in)
 * @param bias (out) or undefined
 * @returns (..., out)
 * @example
 * ```ts
 * import { linear, randn } from "@gan/dcgan";
 * using y = linear(randn([2, 3]), randn([4, 3]));
 * ```
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return wrap("linear", shim().nn_linear(input.handle, weight.handle, bias?.handle ?? null));
}

/**
 * The rows of `weight` at `indices`, as `F.embedding`.
 *
 * @param indices int64 indices, any shape (...)
 * @param weight (num_embeddings, dim)
 * @returns (..., dim)
 * @example
 * ```ts
 * import { embedding, randn, tensor } from "@gan/dcgan";
 * using rows = embedding(tensor([0, 2], { dtype: "int64" }), randn([3, 5]));
 * ```
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  return wrap("embedding", shim().nn_embedding(weight.handle, indices.handle));
}
