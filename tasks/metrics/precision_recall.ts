/**
 * Improved precision and recall (Kynkäänniemi et al. 2019), as their reference code computes them: each
 * set of features spans a "manifold", the union of balls around its samples whose radius is the distance
 * to the sample's k-th nearest neighbour in the same set (k = 3). Precision is the fraction of generated
 * samples inside the real manifold (are the fakes realistic?); recall is the fraction of real samples
 * inside the generated manifold (is the real variety covered?). Squared Euclidean distances in float64,
 * from one matrix product per block of rows.
 *
 * @module
 */

import { tensor } from "../../ops/creation.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** Options of {@linkcode precisionRecall}. */
export interface PrecisionRecallOptions {
  /** The neighbour whose distance is a sample's radius; default 3 (the paper's). */
  k?: number;
}

/** Improved precision and recall. */
export interface PrecisionRecall {
  /** Fraction of generated samples inside the real manifold, in [0, 1]. */
  precision: number;
  /** Fraction of real samples inside the generated manifold, in [0, 1]. */
  recall: number;
  /** The neighbourhood size used. */
  k: number;
}

/** Distance-matrix entries per block of rows (32 MB of float64). */
const BLOCK_ENTRIES = 4_000_000;

function checkFeatures(name: string, x: Tensor): void {
  if (x.shape.length !== 2) {
    throw new TypeError(
      `Precision and recall need ${name} features of shape [n, d], got [${x.shape.join(", ")}]`,
    );
  }
}

/**
 * Calls `fn` with each block of rows of `a` as `|b_j|^2 + offset_j - 2 a_i.b_j` (rows, m) and the rows'
 * `|a_i|^2`: the squared distances less a per-row constant, which neither a row's order nor its minimum
 * needs, so only one full-size elementwise op follows the matmul.
 */
function forEachDistanceBlock(
  a: Tensor,
  b: Tensor,
  offset: Tensor | undefined,
  fn: (start: number, partial: Tensor, rowNorms: Tensor) => void,
): void {
  const [n, m] = [a.shape[0]!, b.shape[0]!];
  const rows = Math.max(1, Math.floor(BLOCK_ENTRIES / m));
  tidy(() => {
    const x = a.to("float64");
    const yT = b.to("float64").transpose(0, 1);
    let column = yT.square().sum(0, { keepdim: true });
    if (offset) column = column.add(offset);
    for (let start = 0; start < n; start += rows) {
      tidy(() => {
        const block = x.slice(0, start, Math.min(n, start + rows));
        fn(start, block.mul(-2).matmul(yT).add(column), block.square().sum(1));
      });
    }
  });
}

/**
 * Each sample's squared distance to its k-th nearest neighbour in the same set (the sample itself, at
 * distance 0, is the 0-th): the squared radii of the set's manifold, as the reference code's
 * `np.partition(D, range(k + 1))[:, k]`.
 *
 * @param features (n, d); n > k
 * @param options k (3)
 * @returns n squared radii
 * @throws {TypeError} when features is not 2-D
 * @throws {RangeError} when k is not a positive integer below n
 * @example
 * ```ts
 * import { manifoldRadii } from "@gan/dcgan/metrics";
 * import { tensor } from "@gan/dcgan";
 * using points = tensor([[0], [1], [3], [6], [10]]);
 * console.log(manifoldRadii(points, { k: 1 })); // 1, 1, 4, 9, 16
 * ```
 */
export function manifoldRadii(features: Tensor, options: PrecisionRecallOptions = {}): Float64Array {
  checkFeatures("the", features);
  const k = options.k ?? 3;
  const n = features.shape[0]!;
  if (!Number.isInteger(k) || k < 1 || k >= n) {
    throw new RangeError(
      `The neighbourhood size k must be an integer in [1, ${n - 1}] for ${n} samples, got ${k}`,
    );
  }
  const radii = new Float64Array(n);
  const smallest = new Float64Array(k + 1);
  forEachDistanceBlock(features, features, undefined, (start, partial, rowNorms) => {
    const values = partial.toArray() as Float64Array;
    const norms = rowNorms.toArray() as Float64Array;
    for (let r = 0; r < norms.length; r++) {
      // keep the k + 1 smallest of the row, sorted, by insertion
      smallest.fill(Infinity);
      for (let j = r * n; j < (r + 1) * n; j++) {
        const v = values[j]!;
        if (v >= smallest[k]!) continue;
        let i = k;
        while (i > 0 && smallest[i - 1]! > v) {
          smallest[i] = smallest[i - 1]!;
          i--;
        }
        smallest[i] = v;
      }
      radii[start + r] = Math.max(0, smallest[k]! + norms[r]!); // as the reference, distances clamp at 0
    }
  });
  return radii;
}

/**
 * The fraction of `query` samples that lie in the manifold of `reference`: within the radius of at least
 * one reference sample (`distance <= radius`, as the reference code compares).
 *
 * @param query (n, d)
 * @param reference (m, d)
 * @param radii the reference samples' squared radii, from {@linkcode manifoldRadii}
 * @returns a fraction in [0, 1]
 * @throws {TypeError} when the shapes do not fit
 * @example
 * ```ts
 * import { manifoldCoverage, manifoldRadii } from "@gan/dcgan/metrics";
 * import { tensor } from "@gan/dcgan";
 * using reference = tensor([[0], [1], [2]]);
 * using query = tensor([[0.5], [5]]);
 * console.log(manifoldCoverage(query, reference, manifoldRadii(reference, { k: 1 }))); // 0.5
 * ```
 */
export function manifoldCoverage(query: Tensor, reference: Tensor, radii: Float64Array): number {
  checkFeatures("query", query);
  checkFeatures("reference", reference);
  if (query.shape[1] !== reference.shape[1] || radii.length !== reference.shape[0]) {
    throw new TypeError(
      `Cannot compare features [${query.shape.join(", ")}] with [${reference.shape.join(", ")}] and ` +
        `${radii.length} radii: use one feature extractor, and one radius per reference sample`,
    );
  }
  let inside = 0;
  // distance^2 <= radius^2 for some reference sample: min_j (|y_j|^2 - r_j - 2 x.y_j) <= -|x|^2
  using minusRadii = tensor(radii.map((r) => -r), { shape: [1, radii.length] });
  forEachDistanceBlock(query, reference, minusRadii, (_, partial, rowNorms) => {
    inside += partial.amin(1).add(rowNorms).le(0).to("float64").sum().item();
  });
  return inside / query.shape[0]!;
}

/**
 * Improved precision and recall of generated features against real ones, with k-nearest-neighbour
 * manifolds (k = 3 by default, as the paper).
 *
 * @param real (n, d) features of real images
 * @param fake (m, d) features of generated images, from the same network
 * @param options k (3)
 * @returns precision and recall, each in [0, 1]
 * @throws {TypeError} when the shapes do not fit
 * @throws {RangeError} when a set has k samples or fewer
 * @example
 * ```ts
 * import { precisionRecall } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * const { precision, recall } = precisionRecall(randn([200, 8]), randn([200, 8]));
 * console.log(precision, recall); // both high: the same distribution
 * ```
 */
export function precisionRecall(
  real: Tensor,
  fake: Tensor,
  options: PrecisionRecallOptions = {},
): PrecisionRecall {
  const k = options.k ?? 3;
  const realRadii = manifoldRadii(real, { k });
  const fakeRadii = manifoldRadii(fake, { k });
  return {
    precision: manifoldCoverage(fake, real, realRadii),
    recall: manifoldCoverage(real, fake, fakeRadii),
    k,
  };
}
