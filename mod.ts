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
} from "./ops/cuda.ts";
export { type LoadStateDictOptions, type LoadStateDictResult, Module } from "./models/nn/module.ts";
export { fanInUniform, kaimingUniform } from "./models/nn/init.ts";
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
export { minibatchGroupSize, MinibatchStdDev } from "./models/nn/minibatch_std.ts";
export { SelfAttention, type SelfAttentionOptions } from "./models/nn/attention.ts";
export {
  spectralNorm,
  type SpectralNormOptions,
  spectralNormSettings,
  type SpectralNormState,
  type Weighted,
} from "./models/nn/spectral_norm.ts";
export { Sequential } from "./models/nn/sequential.ts";
export { weightsInit } from "./models/dcgan/weights_init.ts";
export {
  type Arch,
  ARCHS,
  Discriminator,
  type DiscriminatorConfig,
  type DiscriminatorNetwork,
  Generator,
  type GeneratorConfig,
  type GeneratorNetwork,
  IMAGE_SIZES,
} from "./models/dcgan/networks.ts";
export { createDiscriminator, createGenerator, type NetworkConfig } from "./models/dcgan/factory.ts";
export {
  Adam,
  type AdamOptions,
  type AdamParamGroup,
  type AdamParamState,
  type AdamStateDict,
} from "./models/optim/adam.ts";
export {
  loadCheckpoint,
  loadStateDictFile,
  loadStateDictInto,
  saveStateDict,
  type SaveStateDictOptions,
} from "./models/io/state_dict_file.ts";
export { makeGrid, saveImage } from "./tasks/image/tensor_image.ts";
export type { GridOptions } from "./tasks/image/grid.ts";
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
export { completeConfig, ConfigError, parseTrainArgs, type TrainConfig } from "./tasks/gan/config.ts";
export { type GeneratorShape, generatorShape, loadGenerator } from "./tasks/gan/generator_file.ts";
export { combineLatents, type LatentTerm, parseLatentExpression, slerp } from "./tasks/gan/latent.ts";
export type { RunPosition } from "./tasks/gan/run_checkpoint.ts";

export {
  INCEPTION_EXPORT_HELP,
  InceptionV3,
  type InceptionV3Options,
  type InceptionVariant,
  loadInception,
  type LoadInceptionOptions,
} from "./models/inception/inception.ts";
export { BasicConv2d, type PoolKind } from "./models/inception/basic_conv.ts";
export { InceptionA, InceptionB, InceptionC, InceptionD, InceptionE } from "./models/inception/blocks.ts";
export { InceptionAux } from "./models/inception/aux_logits.ts";
export { type EvalReport, evaluate } from "./tasks/metrics/evaluate.ts";
export { type EvalConfig, parseEvalArgs } from "./tasks/cli/eval_config.ts";
export { FeatureStats, featureStats, type FrechetDistance, frechetDistance } from "./tasks/metrics/fid.ts";
export {
  kernelInceptionDistance,
  type KidOptions,
  type KidResult,
  type PolynomialKernel,
  polynomialMmd,
} from "./tasks/metrics/kid.ts";
export {
  type MemorizationReport,
  memorizationReport,
  type NearestEntry,
} from "./tasks/metrics/memorization.ts";
export { type NearestImages, nearestImages } from "./tasks/metrics/nearest.ts";
export {
  CLASSIFIER_FEATURES,
  FashionMnistClassifier,
  loadClassifier,
  type LoadClassifierOptions,
  PRETRAINED_CLASSIFIER,
} from "./models/classifier/fashion_mnist.ts";
export {
  type InceptionScore,
  inceptionScore,
  type InceptionScoreOptions,
} from "./tasks/metrics/inception_score.ts";
export {
  manifoldCoverage,
  manifoldRadii,
  type PrecisionRecall,
  precisionRecall,
  type PrecisionRecallOptions,
} from "./tasks/metrics/precision_recall.ts";
export { accuracy, datasetAccuracy } from "./tasks/metrics/accuracy.ts";
export { type FeatureNetwork, type FeatureOptions, imageFeatures } from "./tasks/metrics/features.ts";
export {
  openScoringNetwork,
  type ScoredSet,
  scoreImages,
  type ScoringNetwork,
  type ScoringNetworkInfo,
  type ScoringNetworkOptions,
} from "./tasks/metrics/feature_network.ts";
export { type SampleScores, type ScoreOptions, scoreSamples } from "./tasks/metrics/scores.ts";
export {
  type ClassifierTrainConfig,
  type ClassifierTrainResult,
  crossEntropy,
  trainClassifier,
} from "./tasks/metrics/train_classifier.ts";
export type { ImageBatch, ImageDataset, SkippedFile } from "./tasks/data/types.ts";

export {
  ConditionalDiscriminator,
  type ConditionalDiscriminatorConfig,
  ConditionalGenerator,
  type ConditionalGeneratorConfig,
} from "./models/dcgan/conditional.ts";
export {
  type DiscriminatorLayerOptions,
  discriminatorLayers,
  type DiscriminatorNorm,
  type GeneratorLayerOptions,
  generatorLayers,
} from "./models/dcgan/layers.ts";
export { mlpDiscriminatorLayers, mlpGeneratorLayers } from "./models/dcgan/mlp.ts";
export { mnistDiscriminatorLayers, mnistGeneratorLayers } from "./models/dcgan/mnist.ts";
export {
  discriminatorFakeLoss,
  discriminatorRealLoss,
  GAN_LOSSES,
  type GanLoss,
  generatorLoss,
  GP_WEIGHT,
  gradientPenalty,
  usesSigmoid,
} from "./tasks/gan/losses.ts";
export { ReplayBuffer, type ReplaySample } from "./tasks/gan/replay.ts";
export { emaCopy, emaUpdate } from "./tasks/gan/ema.ts";
export { CudaGraphStep, type CudaGraphStepOptions } from "./tasks/gan/cuda_graph_step.ts";
export { DEFAULT_RECIPE, type Recipe, RECIPE_NAMES, type RecipeName, RECIPES } from "./tasks/gan/recipes.ts";
export {
  type Augmentation,
  AUGMENTATIONS,
  diffAugment,
  type DiffAugmentOptions,
  parseAugmentPolicy,
} from "./tasks/gan/augment.ts";
export {
  addInstanceNoise,
  discriminatorTargets,
  type InstanceNoiseOptions,
  instanceNoiseSigma,
  type LabelNoiseOptions,
} from "./tasks/gan/label_noise.ts";
export { type FeatureDiscriminator, featureMatchingLoss, r1Penalty } from "./tasks/gan/regularizers.ts";
export { type StabiliserOptions } from "./tasks/gan/stabilisers.ts";
export { emaDecay } from "./tasks/gan/ema.ts";
export { type HealthFinding, type HealthIssue, TrainingHealth } from "./tasks/gan/health.ts";
export { type TrainEvalResult, TrainEvaluator } from "./tasks/gan/train_eval.ts";

// `deno run -A jsr:@gan/dcgan <command>` runs this module: hand over to the CLI (loaded only then).
if (import.meta.main) {
  const { main } = await import("./tasks/cli/main.ts");
  Deno.exit(await main(Deno.args));
}
