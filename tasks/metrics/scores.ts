/**
 * Every sample-quality number of a generated set against a real one, from their scored sets: FID, KID,
 * Inception Score (of both sets), improved precision and recall, and a conditional generator's accuracy.
 *
 * @module
 */

import { accuracy } from "./accuracy.ts";
import type { ScoredSet } from "./feature_network.ts";
import { featureStats, type FrechetDistance, frechetDistance } from "./fid.ts";
import { type InceptionScore, inceptionScore } from "./inception_score.ts";
import { kernelInceptionDistance, type KidResult } from "./kid.ts";
import { type PrecisionRecall, precisionRecall } from "./precision_recall.ts";

/** Options of {@linkcode scoreSamples}. */
export interface ScoreOptions {
  /** KID subsets; default 100. */
  kidSubsets?: number;
  /** KID samples per subset; default 1000 (capped at the set sizes). */
  kidSubsetSize?: number;
  /** Seed of the KID subsets; default 0. */
  seed?: number;
  /** Inception Score splits; default 10 (fewer when there are fewer samples). */
  splits?: number;
  /** Precision and recall's neighbourhood size; default 3. */
  k?: number;
}

/** The numbers {@linkcode scoreSamples} computes. */
export interface SampleScores {
  /** Fréchet distance of the feature statistics. */
  fid: FrechetDistance;
  /** Kernel distance over random subsets. */
  kid: KidResult;
  /** Inception Score of the generated set, where the network has logits. */
  inceptionScore?: InceptionScore;
  /** Inception Score of the real set (what a perfect generator would reach), where the network has logits. */
  realInceptionScore?: InceptionScore;
  /** Improved precision and recall, when both sets have more than k samples. */
  precisionRecall?: PrecisionRecall;
  /** How often the network's class is the one asked for, when the generated set has labels and logits. */
  accuracy?: number;
}

/**
 * Scores generated samples against real ones in one feature space.
 *
 * @param real the real images' scored set
 * @param fake the generated images' scored set (with `labels` from a conditional generator)
 * @param options kidSubsets, kidSubsetSize, seed, splits, k
 * @returns FID, KID and, where they apply, IS, precision/recall and accuracy
 * @throws {TypeError} when the feature sizes differ
 * @example
 * ```ts
 * import { scoreSamples } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using a = randn([40, 8]);
 * using b = randn([40, 8]);
 * const real = { features: a, [Symbol.dispose]() {} };
 * const fake = { features: b, [Symbol.dispose]() {} };
 * console.log(scoreSamples(real, fake, { kidSubsets: 5 }).fid.value);
 * ```
 */
export function scoreSamples(real: ScoredSet, fake: ScoredSet, options: ScoreOptions = {}): SampleScores {
  using realStats = featureStats(real.features);
  using fakeStats = featureStats(fake.features);
  const fid = frechetDistance(realStats, fakeStats);
  const kid = kernelInceptionDistance(real.features, fake.features, {
    subsets: options.kidSubsets,
    subsetSize: options.kidSubsetSize,
    seed: options.seed,
  });
  const is = (logits: typeof real.logits) =>
    logits ? inceptionScore(logits, { splits: Math.min(options.splits ?? 10, logits.shape[0]!) }) : undefined;
  const k = options.k ?? 3;
  const enough = real.features.shape[0]! > k && fake.features.shape[0]! > k;
  return {
    fid,
    kid,
    inceptionScore: is(fake.logits),
    realInceptionScore: is(real.logits),
    precisionRecall: enough ? precisionRecall(real.features, fake.features, { k }) : undefined,
    accuracy: fake.labels && fake.logits ? accuracy(fake.logits, fake.labels) : undefined,
  };
}
