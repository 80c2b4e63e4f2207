/**
 * The Inception Score (Salimans et al. 2016) as the seeds compute it: `exp(E_x KL(p(y|x) || p(y)))` over
 * 10 consecutive splits of the samples, reported as the mean and (population) standard deviation of the
 * splits' scores. `p(y|x)` is the softmax of a classifier's logits: Inception's 1008 or 1000 classes, or
 * the shipped Fashion-MNIST classifier's 10. Computed in float64.
 *
 * @module
 */

import { zeros } from "../../ops/creation.ts";
import { where } from "../../ops/combine.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** Options of {@linkcode inceptionScore}. */
export interface InceptionScoreOptions {
  /** How many consecutive splits; default 10. Each holds `floor(n / splits)` samples; the rest are left out. */
  splits?: number;
}

/** The Inception Score and its spread over the splits. */
export interface InceptionScore {
  /** Mean of the splits' scores: the IS. Between 1 and the number of classes. */
  mean: number;
  /** Population standard deviation of the splits' scores (as `np.std`). */
  std: number;
  /** Each split's score. */
  values: number[];
}

/**
 * The Inception Score of a set of samples from their class logits: for each of `splits` consecutive
 * chunks of `floor(n / splits)` rows, `exp(mean_i KL(softmax(x_i) || mean_j softmax(x_j)))`, as
 * `scipy.stats.entropy(pyx, py)` sums it (terms with `p(y|x) = 0` count 0).
 *
 * @param logits (n, classes) unnormalized log-probabilities (e.g. `InceptionV3.logits`)
 * @param options splits (10)
 * @returns the mean and standard deviation over the splits
 * @throws {TypeError} when logits is not 2-D
 * @throws {RangeError} when splits is not a positive integer or there are fewer samples than splits
 * @example
 * ```ts
 * import { inceptionScore } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using logits = randn([100, 10]).mul(5);
 * console.log(inceptionScore(logits).mean); // well above 1: confident and varied
 * ```
 */
export function inceptionScore(logits: Tensor, options: InceptionScoreOptions = {}): InceptionScore {
  const shape = logits.shape;
  if (shape.length !== 2) {
    throw new TypeError(`Inception Score needs logits of shape [n, classes], got [${shape.join(", ")}]`);
  }
  const splits = options.splits ?? 10;
  const n = shape[0]!;
  if (!Number.isInteger(splits) || splits < 1) {
    throw new RangeError(`Inception Score splits must be a positive integer, got ${splits}`);
  }
  if (n < splits) {
    throw new RangeError(
      `Inception Score needs at least one sample per split: ${n} samples, ${splits} splits`,
    );
  }
  const size = Math.floor(n / splits);
  const values = tidy(() => {
    const x = logits.to("float64");
    // log p(y|x) = x - logsumexp(x), with the max taken out for range
    const shifted = x.sub(x.amax(1, { keepdim: true }));
    const logP = shifted.sub(shifted.exp().sum(1, { keepdim: true }).log());
    const p = logP.exp();
    return Array.from({ length: splits }, (_, k) =>
      tidy(() => {
        const part = p.slice(0, k * size, (k + 1) * size);
        const logPart = logP.slice(0, k * size, (k + 1) * size);
        const logMarginal = part.mean(0, { keepdim: true }).log();
        // p log(p / py); where p underflows to 0, p * log p is 0 * -inf: count it as 0 as scipy does
        const terms = part.mul(logPart.sub(logMarginal));
        const kl = where(part.gt(0), terms, zeros([], { dtype: "float64" })).sum(1);
        return Math.exp(kl.mean().item());
      }));
  });
  const mean = values.reduce((s, v) => s + v, 0) / splits;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / splits);
  return { mean, std, values };
}
