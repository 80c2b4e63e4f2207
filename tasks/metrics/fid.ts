/**
 * The Fréchet Inception Distance between two sets of features (Heusel et al. 2017), as pytorch-fid
 * computes it, in float64: `|mu1 - mu2|^2 + Tr(S1 + S2 - 2 sqrtm(S1 S2))`.
 *
 * `Tr(sqrtm(S1 S2))` is the sum of the square roots of the eigenvalues of the symmetric matrix
 * `sqrt(S1) S2 sqrt(S1)`, which has the same eigenvalues as `S1 S2`. Two symmetric eigendecompositions
 * replace scipy's general `sqrtm`: no complex parts to drop, and no failure when a covariance is singular
 * (fewer samples than features), where tiny negative eigenvalues from rounding are clamped to 0.
 *
 * @module
 */

import { linalgEigh } from "../../ops/linalg.ts";
import { keep, tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** The mean and covariance of a set of feature vectors, in float64. Owns its tensors. */
export class FeatureStats {
  /** Mean feature vector, (d). */
  readonly mu: Tensor;
  /** Unbiased covariance (divided by count - 1, as `np.cov`), (d, d). */
  readonly sigma: Tensor;
  /** How many feature vectors the statistics were computed from. */
  readonly count: number;

  /**
   * Takes ownership of the tensors; most code calls {@linkcode featureStats}.
   *
   * @param mu the mean, (d)
   * @param sigma the covariance, (d, d)
   * @param count the number of samples
   */
  constructor(mu: Tensor, sigma: Tensor, count: number) {
    this.mu = mu;
    this.sigma = sigma;
    this.count = count;
  }

  /** Frees the tensors. A second call does nothing. */
  dispose(): void {
    this.mu.dispose();
    this.sigma.dispose();
  }

  /** Frees the tensors at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * The mean and covariance of feature vectors, as pytorch-fid's `np.mean(act, axis=0)` and
 * `np.cov(act, rowvar=False)`, computed in float64.
 *
 * @param features (n, d), one row per sample; n >= 2
 * @returns the statistics; dispose them when done
 * @throws {TypeError} when features is not 2-D
 * @throws {RangeError} when there are fewer than 2 rows
 * @example
 * ```ts
 * import { featureStats } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using stats = featureStats(randn([10, 4]));
 * console.log(stats.sigma.shape); // [4, 4]
 * ```
 */
export function featureStats(features: Tensor): FeatureStats {
  const shape = features.shape;
  if (shape.length !== 2) {
    throw new TypeError(`Feature statistics need features of shape [n, d], got [${shape.join(", ")}]`);
  }
  const n = shape[0]!;
  if (n < 2) throw new RangeError(`Feature statistics need at least 2 samples for a covariance, got ${n}`);
  return tidy(() => {
    const x = features.to("float64");
    const mu = x.mean(0);
    const centered = x.sub(mu);
    const sigma = centered.transpose(0, 1).matmul(centered).div(n - 1);
    return new FeatureStats(keep(mu), keep(sigma), n);
  });
}

/**
 * The trace of a square matrix.
 *
 * @param matrix (d, d)
 * @returns the sum of its diagonal
 * @example
 * ```ts
 * import { trace } from "./fid.ts";
 * import { tensor } from "@gan/dcgan";
 * using m = tensor([[1, 2], [3, 4]]);
 * console.log(trace(m)); // 5
 * ```
 */
export function trace(matrix: Tensor): number {
  return tidy(() => diagonal(matrix).sum().item());
}

/**
 * The diagonal of a square matrix, as a strided slice of its flattened values (every (d + 1)-th).
 *
 * @param matrix (d, d)
 * @returns (d)
 */
export function diagonal(matrix: Tensor): Tensor {
  const d = matrix.shape[0]!;
  return matrix.reshape([-1]).slice(0, 0, d * d, d + 1);
}

/** The Fréchet distance and its two terms. */
export interface FrechetDistance {
  /** The distance: `meanTerm + traceTerm`. */
  value: number;
  /** `|mu1 - mu2|^2`. */
  meanTerm: number;
  /** `Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 S2))`. */
  traceTerm: number;
}

/**
 * The Fréchet distance between two Gaussians fitted to features: FID when the features are Inception's.
 *
 * @param a statistics of one set (e.g. real images)
 * @param b statistics of the other (e.g. generated images)
 * @returns the distance and its mean and covariance terms
 * @throws {TypeError} when the feature sizes differ
 * @example
 * ```ts
 * import { featureStats, frechetDistance } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using a = featureStats(randn([50, 8]));
 * using b = featureStats(randn([50, 8]).add(1));
 * console.log(frechetDistance(a, b).value); // about 8
 * ```
 */
export function frechetDistance(a: FeatureStats, b: FeatureStats): FrechetDistance {
  const [da, db] = [a.mu.shape[0], b.mu.shape[0]];
  if (da !== db) {
    throw new TypeError(
      `Cannot compare feature statistics of ${da} and ${db} dims: use the same feature extractor`,
    );
  }
  return tidy(() => {
    const s1 = a.sigma.to("float64");
    const s2 = b.sigma.to("float64");
    const { eigenvalues, eigenvectors } = linalgEigh(s1);
    const sqrt1 = eigenvectors.mul(eigenvalues.clamp(0).sqrt()).matmul(eigenvectors.transpose(0, 1));
    const product = sqrt1.matmul(s2).matmul(sqrt1);
    const symmetric = product.add(product.transpose(0, 1)).mul(0.5);
    const traceSqrt = linalgEigh(symmetric).eigenvalues.clamp(0).sqrt().sum().item();
    const meanTerm = a.mu.to("float64").sub(b.mu.to("float64")).square().sum().item();
    const traceTerm = trace(s1) + trace(s2) - 2 * traceSqrt;
    return { value: meanTerm + traceTerm, meanTerm, traceTerm };
  });
}
