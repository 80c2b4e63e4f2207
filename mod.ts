/**
 * @gan/dcgan: train and sample GANs from Deno on libtorch.
 *
 * This entry point holds the common API: tensors and their ops, the layers, Adam and state-dict files,
 * the DCGAN networks, `train()` and the trainer, the data loaders, image grids (files or Jupyter) and
 * `evaluate()`. The rest lives in subpath modules:
 *
 * - `@gan/dcgan/ops`: every tensor op, CUDA graphs and streams
 * - `@gan/dcgan/nn`: modules and their building blocks (`torch.nn`, Adam, safetensors files)
 * - `@gan/dcgan/gan`: the layer builders, losses, stabilisers, recipes and health checks
 * - `@gan/dcgan/data`: the data sets, decoding and batch loaders
 * - `@gan/dcgan/metrics`: FID, KID, IS, precision/recall, memorization, Inception and the classifier
 * - `@gan/dcgan/image`: grids, PNG encoding and Jupyter display
 * - `@gan/dcgan/cli`: the `train`, `sample`, `eval` and `board` commands
 *
 * ```ts
 * import { Generator, gridImage, manualSeed, noGrad, randn, weightsInit } from "@gan/dcgan";
 * manualSeed(0);
 * using netG = new Generator({ nz: 16, ngf: 8, nc: 3, imageSize: 32 });
 * netG.apply(weightsInit);
 * using z = randn([4, 16, 1, 1]);
 * using fake = noGrad(() => netG.forward(z));
 * const grid = gridImage(fake, { nrow: 2, normalize: true, valueRange: [-1, 1] });
 * console.log(fake.shape, grid.width); // [ 4, 3, 32, 32 ] 70
 * ```
 *
 * @module
 */

export { TorchError } from "./ffi/ffi.ts";
export { type BackwardOptions, type MemoryFormat, type ReduceOptions, Tensor } from "./ops/tensor.ts";
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
export type { Pair } from "./ops/args.ts";
export { conv2d, type Conv2dOptions, convTranspose2d, type ConvTranspose2dOptions } from "./ops/conv.ts";
export {
  adaptiveAvgPool2d,
  avgPool2d,
  type AvgPool2dOptions,
  interpolate,
  type InterpolateOptions,
  maxPool2d,
  type MaxPool2dOptions,
} from "./ops/pool.ts";
export { batchNorm, type BatchNormOptions, layerNorm } from "./ops/norm.ts";
export { dropout, leakyRelu, relu, sigmoid, softplus, tanh } from "./ops/activation.ts";
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, mseLoss, type Reduction } from "./ops/loss.ts";
export { embedding, linear } from "./ops/linear.ts";
export { linalgEigh } from "./ops/linalg.ts";
export { norm, softmax } from "./ops/normalize.ts";
export { cat, stack, where } from "./ops/combine.ts";
export { enableGrad, grad, isGradEnabled, noGrad } from "./ops/autograd.ts";
export { type Freeable, keep, tidy } from "./ops/scope.ts";
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
} from "./ops/runtime.ts";
export {
  autocast,
  type AutocastDType,
  type CudaMemoryStats,
  cudaMemoryStats,
  CudaUnavailableError,
  resetPeakMemoryStats,
  synchronize,
} from "./ops/cuda.ts";

export { type LoadStateDictOptions, type LoadStateDictResult, Module } from "./models/nn/module.ts";
export {
  Conv2d,
  type Conv2dLayerOptions,
  ConvNd,
  ConvTranspose2d,
  type ConvTranspose2dLayerOptions,
} from "./models/nn/conv.ts";
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNorm2dOptions,
  BatchNormNd,
  LayerNorm,
  type LayerNormOptions,
} from "./models/nn/norm.ts";
export { LeakyReLU, ReLU, Sigmoid, Tanh } from "./models/nn/activation.ts";
export { Embedding, Linear } from "./models/nn/linear.ts";
export { Dropout } from "./models/nn/dropout.ts";
export { Flatten, Unflatten } from "./models/nn/flatten.ts";
export { Sequential } from "./models/nn/sequential.ts";
export {
  spectralNorm,
  type SpectralNormOptions,
  type SpectralNormState,
  type Weighted,
} from "./models/nn/spectral_norm.ts";
export {
  Adam,
  type AdamOptions,
  type AdamParamGroup,
  type AdamParamState,
  type AdamStateDict,
} from "./models/optim/adam.ts";
export { updateBn } from "./models/optim/swa_utils.ts";
export {
  loadCheckpoint,
  loadStateDictFile,
  loadStateDictInto,
  saveStateDict,
  type SaveStateDictOptions,
} from "./models/io/state_dict_file.ts";

export { weightsInit } from "./models/dcgan/weights_init.ts";
export {
  type Arch,
  Discriminator,
  type DiscriminatorConfig,
  type DiscriminatorNetwork,
  Generator,
  type GeneratorConfig,
  type GeneratorNetwork,
} from "./models/dcgan/networks.ts";
export type {
  DiscriminatorLayerOptions,
  DiscriminatorNorm,
  GeneratorLayerOptions,
} from "./models/dcgan/layers.ts";
export { createDiscriminator, createGenerator, type NetworkConfig } from "./models/dcgan/factory.ts";
export {
  ConditionalDiscriminator,
  type ConditionalDiscriminatorConfig,
  ConditionalGenerator,
  type ConditionalGeneratorConfig,
} from "./models/dcgan/conditional.ts";
export {
  type DcganExtras,
  type DcganSettings,
  type DcganSpec,
  DcganTrainer,
  DivergenceError,
  type GeneratorStats,
  type StepStats,
} from "./tasks/gan/trainer.ts";
export { train, type TrainHooks, type TrainResult, type TrainStart } from "./tasks/gan/train.ts";
export type { VisualsWork } from "./tasks/gan/output_jobs.ts";
export {
  completeConfig,
  ConfigError,
  parseTrainArgs,
  resolveTrainConfig,
  type TrainConfig,
} from "./tasks/gan/config.ts";
export { type Recipe, RECIPE_NAMES, type RecipeName } from "./tasks/gan/recipes.ts";
export { GAN_LOSSES, type GanLoss } from "./tasks/gan/losses.ts";
export { type Augmentation, AUGMENTATIONS, type DiffAugmentOptions } from "./tasks/gan/augment.ts";
export type { InstanceNoiseOptions, LabelNoiseOptions } from "./tasks/gan/label_noise.ts";
export type { StabiliserOptions } from "./tasks/gan/stabilisers.ts";
export type { StepSync } from "./tasks/gan/trainer_settings.ts";
export type { ReplayBuffer, ReplaySample } from "./tasks/gan/replay.ts";
export { type GeneratorShape, generatorShape, loadGenerator } from "./tasks/gan/generator_file.ts";
export { combineLatents, type LatentTerm, parseLatentExpression, slerp } from "./tasks/gan/latent.ts";
export type { RunPosition } from "./tasks/gan/run_checkpoint.ts";

export type { ImageBatch, ImageDataset, SkippedFile } from "./tasks/data/types.ts";
export { loadDataset } from "./tasks/data/load_dataset.ts";
export type { CacheOptions } from "./tasks/data/dataset_cache.ts";
export { type EmojiOptions, loadEmojiDataset } from "./tasks/data/emoji.ts";
export { type FashionMnistOptions, loadFashionMnist } from "./tasks/data/fashion_mnist.ts";
export { type ImageFolderOptions, loadImageFolder } from "./tasks/data/image_folder.ts";
export { BatchLoader, type BatchLoaderOptions, type LoaderBatch } from "./tasks/data/loader.ts";

export { makeGrid, saveImage } from "./tasks/image/tensor_image.ts";
export type { GridOptions } from "./tasks/image/grid.ts";
export { displayGrid, gridImage, type PngBundle, PngImage } from "./tasks/image/jupyter.ts";

export { type EvalReport, evaluate } from "./tasks/metrics/evaluate.ts";
export { type EvalConfig, parseEvalArgs } from "./tasks/cli/eval_config.ts";
export type { ScoringNetworkInfo } from "./tasks/metrics/feature_network.ts";
export type { MemorizationReport, NearestEntry } from "./tasks/metrics/memorization.ts";
export type { InceptionVariant } from "./models/inception/inception.ts";

// `deno run -A jsr:@gan/dcgan <command>` runs this module: hand over to the CLI (loaded only then).
if (import.meta.main) {
  const { main } = await import("./tasks/cli/main.ts");
  Deno.exit(await main(Deno.args));
}
