/**
 * `@gan/dcgan/metrics`: how good a generator is, measured as the reference implementations measure it:
 * FID and KID (pytorch-fid's and torch-fidelity's Inception, or the shipped Fashion-MNIST classifier's
 * features), Inception Score, precision/recall/density/coverage, nearest training images and the
 * memorization report, plus the networks that give the features. `evaluate()` (also in `@gan/dcgan`)
 * runs them all for `deno task eval`.
 *
 * ```ts
 * import { featureStats, frechetDistance } from "@gan/dcgan/metrics";
 * import { manualSeed, randn } from "@gan/dcgan";
 * manualSeed(0);
 * using a = randn([200, 8]);
 * using b = randn([200, 8]);
 * using statsA = featureStats(a);
 * using statsB = featureStats(b);
 * console.log(frechetDistance(statsA, statsB).value < 1); // true: two draws of one distribution
 * ```
 *
 * @module
 */

export { type EvalReport, evaluate } from "./evaluate.ts";
export { type EvalConfig, parseEvalArgs } from "../cli/eval_config.ts";
export { FeatureStats, featureStats, type FrechetDistance, frechetDistance } from "./fid.ts";
export {
  kernelInceptionDistance,
  type KidOptions,
  type KidResult,
  type PolynomialKernel,
  polynomialMmd,
} from "./kid.ts";
export { type MemorizationReport, memorizationReport, type NearestEntry } from "./memorization.ts";
export { type NearestImages, nearestImages } from "./nearest.ts";
export { type InceptionScore, inceptionScore, type InceptionScoreOptions } from "./inception_score.ts";
export {
  manifoldCoverage,
  manifoldRadii,
  type PrecisionRecall,
  precisionRecall,
  type PrecisionRecallOptions,
} from "./precision_recall.ts";
export { accuracy, datasetAccuracy } from "./accuracy.ts";
export { type FeatureNetwork, type FeatureOptions, imageFeatures } from "./features.ts";
export { PIXEL_FEATURE_SIDE, PixelFeatures } from "./pixel_features.ts";
export {
  openScoringNetwork,
  type ScoredSet,
  scoreImages,
  type ScoringNetwork,
  type ScoringNetworkInfo,
  type ScoringNetworkOptions,
} from "./feature_network.ts";
export { type SampleScores, type ScoreOptions, scoreSamples } from "./scores.ts";
export {
  type ClassifierTrainConfig,
  type ClassifierTrainResult,
  crossEntropy,
  trainClassifier,
} from "./train_classifier.ts";
export {
  InceptionV3,
  type InceptionV3Options,
  type InceptionVariant,
  loadInception,
  type LoadInceptionOptions,
} from "../../models/inception/inception.ts";
export { BasicConv2d, type PoolKind } from "../../models/inception/basic_conv.ts";
export { InceptionA, InceptionB, InceptionC, InceptionD, InceptionE } from "../../models/inception/blocks.ts";
export { InceptionAux } from "../../models/inception/aux_logits.ts";
export {
  FashionMnistClassifier,
  loadClassifier,
  type LoadClassifierOptions,
  PRETRAINED_CLASSIFIER,
} from "../../models/classifier/fashion_mnist.ts";
