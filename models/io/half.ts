/**
 * Conversions between float32 and the 16-bit float formats stored in checkpoints: IEEE 754 binary16
 * (`F16`) and bfloat16 (`BF16`). Values travel as raw bit patterns in `Uint16Array`s, ready to be
 * written as little-endian bytes.
 *
 * Rounding is round-to-nearest-even everywhere, matching numpy's `astype(np.float16)` and PyTorch's
 * `.to(torch.bfloat16)` bit for bit.
 *
 * @module
 */

/** Reinterprets the bits of a `Float32Array` without copying. */
function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * Converts float32 values to float16 bit patterns, rounding to nearest even.
 *
 * Values too large for float16 become ±infinity, values too small become subnormals or ±0, and NaNs
 * stay NaN (keeping the top payload bits, as numpy does).
 *
 * @param values The float32 values to convert.
 * @returns The float16 bit patterns, one per input value.
 * @example
 * ```ts
 * import { float32ToFloat16 } from "./half.ts";
 *
 * const bits = float32ToFloat16(new Float32Array([1, -2, 65504, Infinity]));
 * console.log([...bits].map((b) => b.toString(16))); // [ "3c00", "c000", "7bff", "7c00" ]
 * ```
 */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const src = bitsOf(values);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfBitsOf(src[i]!);
  return out;
}

/** Rounds one float32 bit pattern to a float16 bit pattern (port of numpy's `npy_floatbits_to_halfbits`). */
function halfBitsOf(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = f & 0x7f800000;
  const frac = f & 0x007fffff;

  // Infinity, NaN, or a finite value that overflows float16.
  if (exp >= 0x47800000) {
    if (exp === 0x7f800000 && frac !== 0) {
      const nan = 0x7c00 | (frac >>> 13);
      return sign | (nan === 0x7c00 ? 0x7c01 : nan);
    }
    return sign | 0x7c00;
  }

  // Subnormal float16 or underflow to zero.
  if (exp <= 0x38000000) {
    if (exp < 0x33000000) return sign;
    const e = exp >>> 23;
    // Shift the full significand (implicit bit included) so that 13 bits remain below the half ulp.
    let sig = (0x00800000 | frac) >>> (113 - e);
    // Round half to even: add half an ulp unless this is an exact tie with an even result. The shift
    // above may have dropped up to 11 low bits, so they count as "not a tie" too.
    if ((sig & 0x3fff) !== 0x1000 || (f & 0x7ff) !== 0) sig += 0x1000;
    // A carry into bit 10 turns the subnormal into the smallest normal, which is correct.
    return sign | (sig >>> 13);
  }

  // Normal range: rebias the exponent and round the fraction. A carry out of the fraction bumps the
  // exponent, and a carry out of the largest exponent gives infinity; both are correct.
  let sig = frac;
  if ((sig & 0x3fff) !== 0x1000) sig += 0x1000;
  return sign | (((exp - 0x38000000) >>> 13) + (sig >>> 13));
}

/**
 * Converts float16 bit patterns to float32 values. The conversion is exact: every float16 value,
 * subnormals, infinities and NaN payloads included, has a float32 twin.
 *
 * @param bits The float16 bit patterns.
 * @returns The float32 values, one per input pattern.
 * @example
 * ```ts
 * import { float16ToFloat32 } from "./half.ts";
 *
 * const values = float16ToFloat32(new Uint16Array([0x3c00, 0x0001, 0xfc00]));
 * console.log(values); // Float32Array(3) [ 1, 5.960464477539063e-8, -Infinity ]
 * ```
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const dst = bitsOf(out);
  for (let i = 0; i < bits.length; i++) dst[i] = floatBitsOf(bits[i]!);
  return out;
}

/** Widens one float16 bit pattern to a float32 bit pattern. */
function floatBitsOf(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let frac = h & 0x03ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (frac << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0;
  if (frac === 0) return sign >>> 0;
  // Subnormal: normalize so that the leading 1 becomes the implicit bit.
  let e = 113;
  while ((frac & 0x0400) === 0) {
    frac <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((frac & 0x03ff) << 13)) >>> 0;
}

/**
 * Converts float32 values to bfloat16 bit patterns, rounding to nearest even like PyTorch. Every NaN
 * becomes the canonical quiet NaN `0x7fc0`.
 *
 * @param values The float32 values to convert.
 * @returns The bfloat16 bit patterns, one per input value.
 * @example
 * ```ts
 * import { float32ToBfloat16 } from "./half.ts";
 *
 * const bits = float32ToBfloat16(new Float32Array([1, 3.14159]));
 * console.log([...bits].map((b) => b.toString(16))); // [ "3f80", "4049" ]
 * ```
 */
export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const src = bitsOf(values);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const f = src[i]!;
    const nan = (f & 0x7f800000) === 0x7f800000 && (f & 0x007fffff) !== 0;
    // Adding 0x7fff plus the lowest kept bit rounds half to even; the sum may carry into the exponent.
    out[i] = nan ? 0x7fc0 : (f + 0x7fff + ((f >>> 16) & 1)) >>> 16;
  }
  return out;
}

/**
 * Converts bfloat16 bit patterns to float32 values. The conversion is exact.
 *
 * @param bits The bfloat16 bit patterns.
 * @returns The float32 values, one per input pattern.
 * @example
 * ```ts
 * import { bfloat16ToFloat32 } from "./half.ts";
 *
 * console.log(bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc040]))); // Float32Array(2) [ 1, -3 ]
 * ```
 */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const dst = bitsOf(out);
  for (let i = 0; i < bits.length; i++) dst[i] = bits[i]! << 16;
  return out;
}
