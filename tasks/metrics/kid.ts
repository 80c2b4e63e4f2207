/**
 * The Kernel Inception Distance (Bińkowski et al. 2018): the unbiased squared MMD between two sets of
 * features under the cubic polynomial kernel `k(x, y) = (x·y / d + 1)^3`, averaged over random subsets,
 * with torch-fidelity's defaults (100 subsets of 1000 samples, drawn without replacement) and its
 * estimator. Computed in float64.
 *
 * @module
 */

import { tensor } from "../../ops/creation.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { createRng, type Rng } from "../data/prng.ts";
import { diagonal, trace } from "./fid.ts";

/** The polynomial kernel `(gamma * x·y + coef0) ^ degree`. */
export interface PolynomialKernel {
  /** Degree; default 3. */
  degree?: number;
  /** Scale of the dot product; default 1 / d. */
  gamma?: number;
  /** Constant term; default 1. */
  coef0?: number;
}

/** Options of {@linkcode kernelInceptionDistance}. */
export interface KidOptions extends PolynomialKernel {
  /** How many random subsets to average over; default 100. */
  subsets?: number;
  /** Samples per subset; default 1000, at most the smaller set's size. */
  subsetSize?: number;
  /** Seed of the subset draws; default 0. */
  seed?: number;
}

/** KID's mean and spread over the subsets. */
export interface KidResult {
  /** Mean of the subsets' MMD² values: the KID. */
  mean: number;
  /** Population standard deviation of the subsets' values (as `np.std`). */
  std: number;
  /** Subsets averaged over. */
  subsets: number;
  /** Samples per subset. */
  subsetSize: number;
  /** Each subset's MMD². */
  values: number[];
}

function kernel(x: Tensor, y: Tensor, options: Required<PolynomialKernel>): Tensor {
  return x.matmul(y.transpose(0, 1)).mul(options.gamma).add(options.coef0).pow(options.degree);
}

function kernelOptions(d: number, options: PolynomialKernel): Required<PolynomialKernel> {
  const { degree = 3, gamma = 1 / d, coef0 = 1 } = options;
  if (!(degree > 0) || !(gamma > 0) || !Number.isFinite(coef0)) {
    throw new RangeError(
      `KID kernel needs degree > 0, gamma > 0 and a finite coef0, got ${degree}, ${gamma}, ${coef0}`,
    );
  }
  return { degree, gamma, coef0 };
}

/** Unbiased MMD² from the three kernel matrices (torch-fidelity's `mmd2`, for any two set sizes). */
function mmdFromKernels(kxx: Tensor, kyy: Tensor, kxy: Tensor): number {
  const m = kxx.shape[0]!;
  const n = kyy.shape[0]!;
  const xx = (kxx.sum().item() - trace(kxx)) / (m * (m - 1));
  const yy = (kyy.sum().item() - trace(kyy)) / (n * (n - 1));
  return xx + yy - (2 * kxy.sum().item()) / (m * n);
}

function checkFeatures(x: Tensor, y: Tensor): void {
  const [a, b] = [x.shape, y.shape];
  if (a.length !== 2 || b.length !== 2 || a[1] !== b[1]) {
    throw new TypeError(
      `KID needs features of shapes [m, d] and [n, d], got [${a.join(", ")}] and [${b.join(", ")}]`,
    );
  }
  if (a[0]! < 2 || b[0]! < 2) {
    throw new RangeError(`KID needs at least 2 samples per set, got ${a[0]} and ${b[0]}`);
  }
}

/**
 * The unbiased squared MMD between two feature sets under the polynomial kernel, as torch-fidelity's
 * `polynomial_mmd` (with equal set sizes its estimator is exactly torch-fidelity's).
 *
 * @param x (m, d) features
 * @param y (n, d) features
 * @param options degree (3), gamma (1 / d), coef0 (1)
 * @returns MMD²
 * @throws {TypeError} when the shapes do not fit
 * @example
 * ```ts
 * import { polynomialMmd } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * console.log(polynomialMmd(randn([100, 8]), randn([100, 8]))); // near 0
 * ```
 */
export function polynomialMmd(x: Tensor, y: Tensor, options: PolynomialKernel = {}): number {
  checkFeatures(x, y);
  const k = kernelOptions(x.shape[1]!, options);
  return tidy(() => {
    const a = x.to("float64");
    const b = y.to("float64");
    return mmdFromKernels(kernel(a, a, k), kernel(b, b, k), kernel(a, b, k));
  });
}

/** `size` distinct indices in [0, n), by a partial Fisher–Yates shuffle. */
function draw(n: number, size: number, rng: Rng): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(n - i);
    const pick = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = pick;
  }
  return pool.slice(0, size);
}

/** Each subset's draws from both sets, in the order kernelInceptionDistance makes them. */
function drawSubsets(m: number, n: number, subsets: number, size: number, seed: number) {
  const rng = createRng(seed);
  return Array.from({ length: subsets }, () => ({ x: draw(m, size, rng), y: draw(n, size, rng) }));
}

/** (subsets, count) float64 rows of 0/1: row s marks the indices subset s drew. */
function masks(count: number, draws: Int32Array[]): Tensor {
  const data = new Float64Array(draws.length * count);
  draws.forEach((indices, s) => indices.forEach((i) => (data[s * count + i] = 1)));
  return tensor(data, { shape: [draws.length, count] });
}

/**
 * Every subset's MMD² at once from the full kernel matrices: a subset's kernel sum is the quadratic form
 * of its 0/1 mask (`mask K mask`), and its trace the mask times K's diagonal.
 */
function subsetMmds(
  kxx: Tensor,
  kyy: Tensor,
  kxy: Tensor,
  draws: { x: Int32Array; y: Int32Array }[],
): number[] {
  const size = draws[0]!.x.length;
  const mx = masks(kxx.shape[0]!, draws.map((d) => d.x));
  const my = masks(kyy.shape[0]!, draws.map((d) => d.y));
  const xx = mx.matmul(kxx).mul(mx).sum(1).sub(mx.matmul(diagonal(kxx)));
  const yy = my.matmul(kyy).mul(my).sum(1).sub(my.matmul(diagonal(kyy)));
  const xy = mx.matmul(kxy).mul(my).sum(1);
  const value = xx.add(yy).div(size * (size - 1)).sub(xy.mul(2 / (size * size)));
  return Array.from(value.toArray() as Float64Array);
}

/** Kernel matrices up to this many entries in all (200 MB of float64) are computed once. */
const PRECOMPUTE_LIMIT = 25_000_000;

/**
 * The Kernel Inception Distance: {@linkcode polynomialMmd} over `subsets` random subsets of
 * `subsetSize` samples from each set, drawn without replacement (torch-fidelity's procedure; its numpy
 * generator is not reproduced, so single subsets differ while the mean agrees within the spread).
 *
 * @param x (m, d) features, e.g. of real images
 * @param y (n, d) features, e.g. of generated images
 * @param options subsets (100), subsetSize (1000, capped at min(m, n)), seed (0), and the kernel's
 * @returns the mean and standard deviation over the subsets
 * @throws {RangeError} for a subset count or size below 1 (size below 2)
 * @example
 * ```ts
 * import { kernelInceptionDistance } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * const kid = kernelInceptionDistance(randn([60, 8]), randn([60, 8]).add(0.5), { subsets: 10, subsetSize: 50 });
 * console.log(kid.mean, kid.std);
 * ```
 */
export function kernelInceptionDistance(x: Tensor, y: Tensor, options: KidOptions = {}): KidResult {
  checkFeatures(x, y);
  const [m, n] = [x.shape[0]!, y.shape[0]!];
  const subsets = options.subsets ?? 100;
  const subsetSize = Math.min(options.subsetSize ?? 1000, m, n);
  if (!Number.isInteger(subsets) || subsets < 1) {
    throw new RangeError(`KID subsets must be a positive integer, got ${subsets}`);
  }
  if (!Number.isInteger(subsetSize) || subsetSize < 2) {
    throw new RangeError(`KID subset size must be an integer >= 2, got ${subsetSize}`);
  }
  const k = kernelOptions(x.shape[1]!, options);
  const draws = drawSubsets(m, n, subsets, subsetSize, options.seed ?? 0);
  const values = tidy(() => {
    const a = x.to("float64");
    const b = y.to("float64");
    if (m * m + n * n + m * n <= PRECOMPUTE_LIMIT) {
      return subsetMmds(kernel(a, a, k), kernel(b, b, k), kernel(a, b, k), draws);
    }
    return draws.map(({ x: i, y: j }) =>
      tidy(() => {
        const xs = a.indexSelect(0, tensor(BigInt64Array.from(i, BigInt)));
        const ys = b.indexSelect(0, tensor(BigInt64Array.from(j, BigInt)));
        return mmdFromKernels(kernel(xs, xs, k), kernel(ys, ys, k), kernel(xs, ys, k));
      })
    );
  });
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { mean, std, subsets, subsetSize, values };
}

/**
 * The subset draws of {@linkcode kernelInceptionDistance} for a seed, for tests and reproductions.
 *
 * @param m size of the first set
 * @param n size of the second set
 * @param options subsets, subsetSize (capped at min(m, n)), seed as in kernelInceptionDistance
 * @returns per subset, the indices drawn from each set
 * @example
 * ```ts
 * import { kidSubsets } from "./kid.ts";
 * console.log(kidSubsets(10, 10, { subsets: 2, subsetSize: 3 }).length); // 2
 * ```
 */
export function kidSubsets(
  m: number,
  n: number,
  options: Pick<KidOptions, "subsets" | "subsetSize" | "seed"> = {},
): { x: number[]; y: number[] }[] {
  const size = Math.min(options.subsetSize ?? 1000, m, n);
  return drawSubsets(m, n, options.subsets ?? 100, size, options.seed ?? 0)
    .map(({ x, y }) => ({ x: Array.from(x), y: Array.from(y) }));
}
