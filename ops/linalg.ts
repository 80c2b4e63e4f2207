/**
 * Linear algebra, as `torch.linalg`. (The matrix product is `Tensor.matmul`.)
 *
 * @module
 */

import { checkStatus, shim } from "../ffi/ffi.ts";
import { type Tensor, wrap } from "./tensor.ts";

/**
 * Eigenvalues and eigenvectors of a symmetric (Hermitian) matrix, as `torch.linalg.eigh` (reads the
 * lower triangle). Use float64 for statistics such as the Fréchet distance.
 *
 * @param input (..., n, n), symmetric
 * @returns `eigenvalues` (..., n) in ascending order, and `eigenvectors` (..., n, n) as columns; dispose both
 * @example
 * ```ts
 * import { linalgEigh, tensor } from "@gan/dcgan";
 * const { eigenvalues, eigenvectors } = linalgEigh(tensor([[2, 1], [1, 2]], { dtype: "float64" }));
 * console.log(eigenvalues.toArray()); // Float64Array [1, 3]
 * eigenvalues.dispose();
 * eigenvectors.dispose();
 * ```
 */
export function linalgEigh(input: Tensor): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const out = new BigUint64Array(2);
  checkStatus("linalgEigh", shim().t_linalg_eigh(input.handle, out));
  return {
    eigenvalues: wrap("linalgEigh", Deno.UnsafePointer.create(out[0]!)),
    eigenvectors: wrap("linalgEigh", Deno.UnsafePointer.create(out[1]!)),
  };
}
