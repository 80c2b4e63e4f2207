/**
 * @gan/dcgan: train and sample GANs from Deno on libtorch.
 *
 * ```ts
 * import { manualSeed, randn } from "@gan/dcgan";
 * manualSeed(0);
 * using z = randn([4, 128, 1, 1]);
 * ```
 *
 * @module
 */

export { TorchError } from "./ffi/ffi.ts";
export { type BackwardOptions, type ReduceOptions, Tensor } from "./ops/tensor.ts";
export type { DType, HostArray } from "./ops/dtype.ts";
export type { Device } from "./ops/device.ts";
export {
  arange,
  empty,
  full,
  type NestedNumbers,
  ones,
  rand,
  randint,
  randn,
  randperm,
  tensor,
  type TensorOptions,
  zeros,
} from "./ops/creation.ts";
export {
  batchNorm,
  type BatchNormOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cat,
  conv2d,
  type Conv2dOptions,
  convTranspose2d,
  type ConvTranspose2dOptions,
  dropout,
  embedding,
  layerNorm,
  leakyRelu,
  linear,
  mseLoss,
  type Pair,
  type Reduction,
  relu,
  sigmoid,
  softplus,
  stack,
  tanh,
  where,
} from "./ops/functional.ts";
export { enableGrad, grad, isGradEnabled, noGrad } from "./ops/autograd.ts";
export { keep, tidy } from "./ops/scope.ts";
export {
  cudaIsAvailable,
  getNumThreads,
  getRngState,
  liveTensorCount,
  manualSeed,
  setNumThreads,
  setRngState,
} from "./ops/runtime.ts";
