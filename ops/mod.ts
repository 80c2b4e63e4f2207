/**
 * `@gan/dcgan/ops`: tensors and the functional ops on them, PyTorch's `torch` and `torch.nn.functional`
 * namespaces: creation, convolution, pooling, normalization, activations, losses, autograd, the free-on-exit
 * scopes, the runtime (seeds, threads, fast paths), CUDA (autocast, CUDA graphs, side streams) and
 * process groups for data-parallel training (`torch.distributed`). `@gan/dcgan` exports the common part.
 *
 * ```ts
 * import { conv2d, manualSeed, randn, tidy } from "@gan/dcgan/ops";
 * manualSeed(0);
 * using y = tidy(() => conv2d(randn([1, 3, 8, 8]), randn([4, 3, 3, 3]), undefined, { padding: 1 }));
 * console.log(y.shape); // [ 1, 4, 8, 8 ]
 * ```
 *
 * @module
 */

export { TorchError } from "../ffi/ffi.ts";
export { type BackwardOptions, type MemoryFormat, type ReduceOptions, Tensor } from "./tensor.ts";
export type { DType, HostArray } from "./dtype.ts";
export type { Device } from "./device.ts";
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
} from "./creation.ts";
export type { Pair } from "./args.ts";
export { conv2d, type Conv2dOptions, convTranspose2d, type ConvTranspose2dOptions } from "./conv.ts";
export {
  adaptiveAvgPool2d,
  avgPool2d,
  type AvgPool2dOptions,
  interpolate,
  type InterpolateOptions,
  maxPool2d,
  type MaxPool2dOptions,
} from "./pool.ts";
export { batchNorm, type BatchNormOptions, layerNorm } from "./norm.ts";
export { dropout, leakyRelu, relu, sigmoid, softplus, tanh } from "./activation.ts";
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, mseLoss, type Reduction } from "./loss.ts";
export { embedding, linear } from "./linear.ts";
export { linalgEigh } from "./linalg.ts";
export { norm, softmax } from "./normalize.ts";
export { cat, stack, where } from "./combine.ts";
export { enableGrad, grad, isGradEnabled, noGrad } from "./autograd.ts";
export { type Freeable, keep, tidy } from "./scope.ts";
export {
  cudaIsAvailable,
  type CudnnFlags,
  fastPathsEnabled,
  getNumThreads,
  getRngState,
  liveTensorCount,
  manualSeed,
  setCudnn,
  setFastPaths,
  setNumThreads,
  setRngState,
} from "./runtime.ts";
export { cpuHasNativeBf16 } from "./cpu_features.ts";
export {
  autocast,
  type AutocastDType,
  cudaExtensionLoaded,
  CudaGraph,
  type CudaMemoryStats,
  cudaMemoryStats,
  CudaUnavailableError,
  getCudaRngState,
  isCapturing,
  onSideStream,
  resetPeakMemoryStats,
  setCudaRngState,
  synchronize,
} from "./cuda.ts";
export {
  distributedAvailable,
  type DistributedBackend,
  initProcessGroup,
  ProcessGroup,
  type ProcessGroupOptions,
} from "./distributed.ts";
