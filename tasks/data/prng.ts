/**
 * A small seeded pseudo-random generator (xoshiro128**, seeded through SplitMix32) and a Fisher–Yates
 * shuffle on it, so that data order depends only on a seed.
 *
 * @module
 */

/** A seeded generator of uniform 32-bit integers. */
export interface Rng {
  /** The next uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** The next uniform float in [0, 1), 32 bits of it random. */
  next(): number;
  /** A uniform integer in [0, n), for 1 <= n <= 2^32. */
  int(n: number): number;
}

/**
 * Creates a seeded generator; the same seed always gives the same sequence.
 *
 * @param seed any number; its integer part modulo 2^32 is used
 * @returns the generator
 * @example
 * ```ts
 * import { createRng } from "./prng.ts";
 * const rng = createRng(42);
 * console.log(rng.int(10) === createRng(42).int(10)); // true
 * ```
 */
export function createRng(seed: number): Rng {
  let x = Math.trunc(seed) >>> 0;
  const splitmix = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix();
  let s1 = splitmix();
  let s2 = splitmix();
  let s3 = splitmix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const rotl = (v: number, k: number) => (v << k) | (v >>> (32 - k));
  const nextUint32 = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const next = () => nextUint32() / 4294967296;
  return { nextUint32, next, int: (n: number) => Math.floor(next() * n) };
}

/**
 * A random permutation of `0..n-1` by Fisher–Yates, from a seed.
 *
 * @param n how many indices
 * @param seed the seed; the same seed gives the same permutation
 * @returns the permutation
 * @example
 * ```ts
 * import { permutation } from "./prng.ts";
 * console.log(permutation(5, 1).slice().sort()); // Int32Array(5) [ 0, 1, 2, 3, 4 ]
 * ```
 */
export function permutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Permutation length must be a non-negative integer, got ${n}`);
  }
  const rng = createRng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
