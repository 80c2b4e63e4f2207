/**
 * `@gan/dcgan/gan`: the GAN's parts for a training loop of your own: the DCGAN networks and their layer
 * builders (conv, MLP, MNIST, conditional), the trainer and `train()`, the losses (BCE, hinge, Wasserstein
 * with gradient penalty), the stabilisers (DiffAugment, label and instance noise, R1, feature matching,
 * replay, EMA), the recipes, the training-health checks and eval-while-training. `@gan/dcgan` exports
 * the common part of it.
 *
 * ```ts
 * import { discriminatorRealLoss, generatorLoss } from "@gan/dcgan/gan";
 * import { tensor } from "@gan/dcgan";
 * using logits = tensor([0.5, -1, 2]);
 * using lossD = discriminatorRealLoss("hinge", logits);
 * using lossG = generatorLoss("hinge", logits);
 * console.log(lossD.item().toFixed(4), lossG.item().toFixed(4)); // 0.8333 -0.5000
 * ```
 *
 * @module
 */

export { weightsInit } from "../../models/dcgan/weights_init.ts";
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
} from "../../models/dcgan/networks.ts";
export { createDiscriminator, createGenerator, type NetworkConfig } from "../../models/dcgan/factory.ts";
export {
  ConditionalDiscriminator,
  type ConditionalDiscriminatorConfig,
  ConditionalGenerator,
  type ConditionalGeneratorConfig,
} from "../../models/dcgan/conditional.ts";
export {
  type DiscriminatorLayerOptions,
  discriminatorLayers,
  type DiscriminatorNorm,
  type GeneratorLayerOptions,
  generatorLayers,
} from "../../models/dcgan/layers.ts";
export { mlpDiscriminatorLayers, mlpGeneratorLayers } from "../../models/dcgan/mlp.ts";
export { mnistDiscriminatorLayers, mnistGeneratorLayers } from "../../models/dcgan/mnist.ts";
export {
  type DcganExtras,
  type DcganSettings,
  type DcganSpec,
  DcganTrainer,
  DivergenceError,
  type GeneratorStats,
  type StepStats,
} from "./trainer.ts";
export { train, type TrainHooks, type TrainResult, type TrainStart } from "./train.ts";
export type { VisualsWork } from "./output_jobs.ts";
export {
  completeConfig,
  ConfigError,
  parseTrainArgs,
  resolveTrainConfig,
  type TrainConfig,
} from "./config.ts";
export { type GeneratorShape, generatorShape, loadGenerator } from "./generator_file.ts";
export { combineLatents, type LatentTerm, parseLatentExpression, slerp } from "./latent.ts";
export type { RunPosition } from "./run_checkpoint.ts";
export {
  discriminatorFakeLoss,
  discriminatorRealLoss,
  GAN_LOSSES,
  type GanLoss,
  generatorLoss,
  gradientPenalty,
  usesSigmoid,
} from "./losses.ts";
export { ReplayBuffer, type ReplaySample } from "./replay.ts";
export { emaCopy, emaDecay, emaUpdate } from "./ema.ts";
export { CudaGraphStep, type CudaGraphStepOptions } from "./cuda_graph_step.ts";
export {
  DEFAULT_RECIPE,
  defaultRecipe,
  type Recipe,
  RECIPE_NAMES,
  type RecipeName,
  RECIPES,
} from "./recipes.ts";
export {
  type Augmentation,
  AUGMENTATIONS,
  diffAugment,
  type DiffAugmentOptions,
  parseAugmentPolicy,
} from "./augment.ts";
export {
  addInstanceNoise,
  discriminatorTargets,
  type InstanceNoiseOptions,
  instanceNoiseSigma,
  type LabelNoiseOptions,
} from "./label_noise.ts";
export { type FeatureDiscriminator, featureMatchingLoss, r1Penalty } from "./regularizers.ts";
export type { StabiliserOptions } from "./stabilisers.ts";
export type { StepSync } from "./trainer_settings.ts";
export { type HealthFinding, type HealthIssue, TrainingHealth } from "./health.ts";
export { type TrainEvalResult, TrainEvaluator } from "./train_eval.ts";
