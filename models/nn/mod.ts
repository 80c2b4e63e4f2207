/**
 * `@gan/dcgan/nn`: modules, PyTorch's `torch.nn` (with `torch.optim.Adam` and state-dict files): the
 * `Module` base class whose parameters are named as in a PyTorch `state_dict`, the layers, their
 * initialisers and spectral norm, Adam and `updateBn`, and safetensors I/O that reads and writes PyTorch's files.
 *
 * ```ts
 * import { Adam, BatchNorm2d, Conv2d, LeakyReLU, Sequential } from "@gan/dcgan/nn";
 * using net = new Sequential(new Conv2d(3, 8, 4, { stride: 2, padding: 1 }), new BatchNorm2d(8), new LeakyReLU(0.2));
 * const optimizer = new Adam(net.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
 * console.log(net.namedParameters().map(([name]) => name)); // [ "0.weight", "0.bias", "1.weight", "1.bias" ]
 * ```
 *
 * @module
 */

export { type LoadStateDictOptions, type LoadStateDictResult, Module } from "./module.ts";
export { fanInUniform, kaimingUniform } from "./init.ts";
export {
  Conv2d,
  type Conv2dLayerOptions,
  ConvNd,
  ConvTranspose2d,
  type ConvTranspose2dLayerOptions,
} from "./conv.ts";
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNorm2dOptions,
  BatchNormNd,
  LayerNorm,
  type LayerNormOptions,
} from "./norm.ts";
export { LeakyReLU, ReLU, Sigmoid, Tanh } from "./activation.ts";
export { Embedding, Linear } from "./linear.ts";
export { Dropout } from "./dropout.ts";
export { Flatten, Unflatten } from "./flatten.ts";
export { minibatchGroupSize, MinibatchStdDev } from "./minibatch_std.ts";
export { SelfAttention, type SelfAttentionOptions } from "./attention.ts";
export {
  spectralNorm,
  type SpectralNormOptions,
  spectralNormSettings,
  type SpectralNormState,
  type Weighted,
} from "./spectral_norm.ts";
export { Sequential } from "./sequential.ts";
export {
  Adam,
  type AdamOptions,
  type AdamParamGroup,
  type AdamParamState,
  type AdamStateDict,
} from "../optim/adam.ts";
export { updateBn } from "../optim/swa_utils.ts";
export {
  loadCheckpoint,
  loadStateDictFile,
  loadStateDictInto,
  saveStateDict,
  type SaveStateDictOptions,
} from "../io/state_dict_file.ts";
