/**
 * Latent-space math for sampling: spherical interpolation between two latent vectors, and latent-vector
 * arithmetic as in the DCGAN paper (average the z of a few samples per concept, then add and subtract
 * the averages: "smiling woman" - "neutral woman" + "neutral man").
 *
 * @module
 */

/** One term of an expression: the samples to average and whether to add or subtract them. */
export interface LatentTerm {
  /** +1 to add, -1 to subtract. */
  sign: 1 | -1;
  /** Indices of saved latent vectors to average. */
  indices: number[];
}

/**
 * Parses `"1,4,7 - 2,5 + 3"`: terms of comma-separated sample indices joined by `+` and `-`.
 *
 * @param expression the expression
 * @param count how many latent vectors there are (indices must be below it)
 * @returns the terms in order
 * @throws {RangeError} naming the bad part and the valid index range
 * @example
 * ```ts
 * import { parseLatentExpression } from "@gan/dcgan";
 * parseLatentExpression("1,4 - 2 + 3", 8); // [{sign: 1, indices: [1, 4]}, {sign: -1, ...}, ...]
 * ```
 */
export function parseLatentExpression(expression: string, count: number): LatentTerm[] {
  const compact = expression.replace(/\s+/g, "");
  if (!/^[+-]?\d+(,\d+)*([+-]\d+(,\d+)*)*$/.test(compact)) {
    throw new RangeError(
      `--expr "${expression}" must be terms like "1,4 - 2 + 3" (sample indices joined by + and -)`,
    );
  }
  return [...compact.matchAll(/([+-]?)([\d,]+)/g)].map(([, op, group]) => {
    const indices = group!.split(",").map(Number);
    const bad = indices.find((i) => i >= count);
    if (bad !== undefined) {
      throw new RangeError(
        `--expr "${expression}": sample ${bad} does not exist; indices go from 0 to ${count - 1}`,
      );
    }
    return { sign: op === "-" ? -1 : 1, indices };
  });
}

/**
 * The mean latent vector of each term, and their signed sum.
 *
 * @param z saved latent vectors, `count * nz` values
 * @param nz the latent size
 * @param terms from {@linkcode parseLatentExpression}
 * @returns `terms.length + 1` vectors of `nz` values: each term's mean, then the result
 * @example
 * ```ts
 * import { combineLatents } from "@gan/dcgan";
 * const z = Float32Array.of(1, 0, 0, 1, 1, 1); // three 2-d vectors
 * combineLatents(z, 2, [{ sign: 1, indices: [0] }, { sign: -1, indices: [1] }]); // ..., result [1, -1]
 * ```
 */
export function combineLatents(z: Float32Array, nz: number, terms: readonly LatentTerm[]): Float32Array {
  const out = new Float32Array((terms.length + 1) * nz);
  const result = out.subarray(terms.length * nz);
  terms.forEach((term, t) => {
    const mean = out.subarray(t * nz, (t + 1) * nz);
    for (const index of term.indices) {
      for (let k = 0; k < nz; k++) mean[k]! += z[index * nz + k]! / term.indices.length;
    }
    for (let k = 0; k < nz; k++) result[k]! += term.sign * mean[k]!;
  });
  return out;
}

/**
 * Spherical interpolation between two latent vectors, as used for GAN latent walks.
 *
 * @param a the start vector
 * @param b the end vector
 * @param t where to stop, from 0 (a) to 1 (b)
 * @returns the interpolated vector
 * @example
 * ```ts
 * import { slerp } from "@gan/dcgan";
 * slerp(Float32Array.of(1, 0), Float32Array.of(0, 1), 0.5); // [0.707, 0.707]
 * ```
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb))));
  const so = Math.sin(omega);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    out[i] = so < 1e-6
      ? (1 - t) * a[i]! + t * b[i]!
      : (Math.sin((1 - t) * omega) / so) * a[i]! + (Math.sin(t * omega) / so) * b[i]!;
  }
  return out;
}
