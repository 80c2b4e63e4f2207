/**
 * Losses, as `torch.nn.functional.binary_cross_entropy(_with_logits)` and `mse_loss`.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { type Tensor, wrap } from "./tensor.ts";

/** How a loss reduces over the batch. */
export type Reduction = "none" | "mean" | "sum";

const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/**
 * Binary cross-entropy between probabilities and targets, as `F.binary_cross_entropy`.
 *
 * @param input probabilities in [0, 1]
 * @param target targets, same shape
 * @param options weight, reduction ("mean" default)
 * @returns the loss: a scalar, or `input`'s shape with reduction "none"
 * @example
 * ```ts
 * import { binaryCrossEntropy, tensor } from "@gan/dcgan";
 * using loss = binaryCrossEntropy(tensor([0.9, 0.2]), tensor([1, 0]));
 * ```
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor; reduction?: Reduction } = {},
): Tensor {
  const handle = shim().nn_binary_cross_entropy(
    input.handle,
    target.handle,
    options.weight?.handle ?? null,
    REDUCTION[options.reduction ?? "mean"],
  );
  return wrap("binaryCrossEntropy", handle);
}

/**
 * Binary cross-entropy on logits (sigmoid folded in, numerically stable), as
 * `F.binary_cross_entropy_with_logits`.
 *
 * @param input logits
 * @param target targets, same shape
 * @param options weight, posWeight, reduction ("mean" default)
 * @returns the loss: a scalar, or `input`'s shape with reduction "none"
 * @example
 * ```ts
 * import { binaryCrossEntropyWithLogits, tensor } from "@gan/dcgan";
 * using loss = binaryCrossEntropyWithLogits(tensor([2.0, -1.0]), tensor([1, 0]));
 * ```
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {},
): Tensor {
  const handle = shim().nn_binary_cross_entropy_with_logits(
    input.handle,
    target.handle,
    options.weight?.handle ?? null,
    options.posWeight?.handle ?? null,
    REDUCTION[options.reduction ?? "mean"],
  );
  return wrap("binaryCrossEntropyWithLogits", handle);
}

/**
 * Mean squared error, as `F.mse_loss`.
 *
 * @param input predictions
 * @param target targets, same shape
 * @param options reduction ("mean" default)
 * @returns the loss: a scalar, or `input`'s shape with reduction "none"
 * @example
 * ```ts
 * import { mseLoss, tensor } from "@gan/dcgan";
 * using loss = mseLoss(tensor([1, 2]), tensor([1, 3]));
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  return wrap(
    "mseLoss",
    shim().nn_mse_loss(input.handle, target.handle, REDUCTION[options.reduction ?? "mean"]),
  );
}
