/**
 * Activations and dropout, as in `torch.nn.functional`; each keeps the input's shape.
 *
 * @module
 */

import { shim } from "../ffi/ffi.ts";
import { type Tensor, wrap } from "./tensor.ts";

/**
 * `max(input, 0)`, as `F.relu`.
 *
 * @example
 * ```ts
 * import { relu, tensor } from "@gan/dcgan";
 * using y = relu(tensor([-1, 2]));
 * ```
 */
export function relu(input: Tensor): Tensor {
  return wrap("relu", shim().nn_relu(input.handle));
}

/**
 * `input` where positive, else `negativeSlope * input` (default slope 0.01, as `F.leaky_relu`).
 *
 * @example
 * ```ts
 * import { leakyRelu, tensor } from "@gan/dcgan";
 * using y = leakyRelu(tensor([-1, 2]), 0.2);
 * ```
 */
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  return wrap("leakyRelu", shim().nn_leaky_relu(input.handle, negativeSlope));
}

/**
 * The hyperbolic tangent, as `torch.tanh`.
 *
 * @example
 * ```ts
 * import { tanh, tensor } from "@gan/dcgan";
 * using y = tanh(tensor([0.5]));
 * ```
 */
export function tanh(input: Tensor): Tensor {
  return wrap("tanh", shim().nn_tanh(input.handle));
}

/**
 * The logistic sigmoid `1 / (1 + exp(-input))`, as `torch.sigmoid`.
 *
 * @example
 * ```ts
 * import { sigmoid, tensor } from "@gan/dcgan";
 * using y = sigmoid(tensor([0.5]));
 * ```
 */
export function sigmoid(input: Tensor): Tensor {
  return wrap("sigmoid", shim().nn_sigmoid(input.handle));
}

/**
 * `log(1 + exp(input))`, as `F.softplus` with its defaults.
 *
 * @example
 * ```ts
 * import { softplus, tensor } from "@gan/dcgan";
 * using y = softplus(tensor([0.5]));
 * ```
 */
export function softplus(input: Tensor): Tensor {
  return wrap("softplus", shim().nn_softplus(input.handle));
}

/**
 * Zeroes each element with probability `p` (default 0.5) and scales the rest by 1/(1-p), as
 * `F.dropout`; the identity when `training` is false.
 *
 * @throws {RangeError} for `p` outside [0, 1]
 * @example
 * ```ts
 * import { dropout, ones } from "@gan/dcgan";
 * using y = dropout(ones([8]), 0.5, true);
 * ```
 */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  return wrap("dropout", shim().nn_dropout(input.handle, p, training ? 1 : 0));
}
