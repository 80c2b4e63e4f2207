/**
 * DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"): random
 * colour, translation and cutout applied to every image D sees, real and fake, in D's and G's updates.
 * Every op is differentiable, so G's gradient flows back through the augmentation.
 *
 * The semantics are those of the authors' `DiffAugment_pytorch.py`, draw for draw: with the same
 * libtorch and `torch.manual_seed(s)` on both sides, the same images come out.
 *
 * - `color`: brightness `x + (u - 0.5)`, saturation `(x - mean_c) * 2u + mean_c` (mean over channels),
 *   contrast `(x - mean) * (u + 0.5) + mean` (mean over the image), a new u ~ U[0, 1) per image for each:
 *   three `rand(N,1,1,1)`;
 * - `translation`: a shift of up to s = 1/8 of the side along each axis, zeros coming in: two
 *   `randint(-s, s + 1, [N,1,1])`, rows then columns;
 * - `cutout`: a square of c = 1/2 the side set to 0, its centre anywhere in the image (the square is
 *   clipped at the border): two `randint(0, H + 1 - c % 2, [N,1,1])`, rows then columns.
 *
 * @module
 */

import { arange, rand, randint, zeros } from "../../ops/creation.ts";
import { cat } from "../../ops/combine.ts";
import type { Device } from "../../ops/device.ts";
import { type FusedAugmentation, fusedDiffAugment } from "../../ops/diff_augment.ts";
import { fastPathsEnabled } from "../../ops/runtime.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** The augmentations `--augment` picks from, in the order the reference applies them. */
export const AUGMENTATIONS = ["color", "translation", "cutout"] as const;

/** One of {@linkcode AUGMENTATIONS}. */
export type Augmentation = typeof AUGMENTATIONS[number];

/** Sizes of the geometric augmentations, as fractions of the image side (the reference's defaults). */
export interface DiffAugmentOptions {
  /** Largest shift of `translation`; default 1/8 (4 pixels at 32, 8 at 64). */
  translation?: number;
  /** Side of the `cutout` square; default 1/2. */
  cutout?: number;
}

/**
 * Parses a policy as `--augment` writes it: names joined by commas, e.g. `"color,translation,cutout"`.
 *
 * @param text the comma-separated names; `""` for none
 * @returns the names, in the order given
 * @throws {RangeError} naming an unknown augmentation and the known ones
 * @example
 * ```ts
 * import { parseAugmentPolicy } from "@gan/dcgan/gan";
 * console.log(parseAugmentPolicy("color,cutout")); // ["color", "cutout"]
 * ```
 */
export function parseAugmentPolicy(text: string): Augmentation[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const name of names) {
    if (!(AUGMENTATIONS as readonly string[]).includes(name)) {
      throw new RangeError(
        `Unknown augmentation "${name}": use ${AUGMENTATIONS.join(", ")}, comma-separated`,
      );
    }
  }
  return names as Augmentation[];
}

/** The reference's `int(size * ratio + 0.5)`. */
function part(size: number, ratio: number): number {
  return Math.floor(size * ratio + 0.5);
}

/** A (N,1,1,1) batch of U[0, 1) factors in the images' dtype and device, as the reference draws them. */
function factors(x: Tensor): Tensor {
  return rand([x.shape[0]!, 1, 1, 1], { dtype: x.dtype, device: x.device });
}

function color(x: Tensor): Tensor {
  // brightness: x + (u - 0.5)
  using u1 = factors(x);
  using shift = u1.sub(0.5);
  using bright = x.add(shift);
  // saturation: (x - mean over channels) * 2u + mean
  using meanC = bright.mean(1, { keepdim: true });
  using centredC = bright.sub(meanC);
  using u2 = factors(x);
  using gain = u2.mul(2);
  using scaledC = centredC.mul(gain);
  using saturated = scaledC.add(meanC);
  // contrast: (x - mean over the image) * (u + 0.5) + mean
  using mean = saturated.mean([1, 2, 3], { keepdim: true });
  using centred = saturated.sub(mean);
  using u3 = factors(x);
  using contrast = u3.add(0.5);
  using scaled = centred.mul(contrast);
  return scaled.add(mean);
}

/** int64 draws in [low, high) as (N,1,1) float32 (exact for any image index), on the images' device. */
function offsets(x: Tensor, low: number, high: number): Tensor {
  using draws = randint(low, high, [x.shape[0]!, 1, 1], { device: x.device });
  return draws.to("float32");
}

/** 0, 1, ..., n - 1 in float32, shaped to broadcast along one axis. */
function line(n: number, shape: number[], device: Device): Tensor {
  using values = arange(n, undefined, { device });
  return values.view(shape);
}

/**
 * out[b, :, i, j] = pad(x)[b, :, clamp(i + tx + 1, 0, H + 1), clamp(j + ty + 1, 0, W + 1)], with a zero
 * border of 1: the reference's advanced index, as one `index_select` over the padded pixels.
 */
function translation(x: Tensor, ratio: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const sx = part(h, ratio), sy = part(w, ratio);
  using tx = offsets(x, -sx, sx + 1);
  using ty = offsets(x, -sy, sy + 1);
  const device = x.device;
  using rowZeros = zeros([n, c, 1, w], { dtype: x.dtype, device });
  using tall = cat([rowZeros, x, rowZeros], 2);
  using colZeros = zeros([n, c, h + 2, 1], { dtype: x.dtype, device });
  using padded = cat([colZeros, tall, colZeros], 3);
  // flat index of pixel (b, row, col) in padded (N, H+2, W+2)
  using i = line(h, [1, h, 1], device);
  using j = line(w, [1, 1, w], device);
  using b = line(n, [n, 1, 1], device);
  using rowsShifted = i.add(tx);
  using rowsPlus = rowsShifted.add(1);
  using rows = rowsPlus.clamp(0, h + 1);
  using colsShifted = j.add(ty);
  using colsPlus = colsShifted.add(1);
  using cols = colsPlus.clamp(0, w + 1);
  using base = b.mul((h + 2) * (w + 2));
  using rowOffsets = rows.mul(w + 2);
  using rowStarts = base.add(rowOffsets);
  using flat = rowStarts.add(cols);
  using index = flat.flatten().to("int64");
  using pixels = padded.permute([0, 2, 3, 1]);
  using table = pixels.reshape([n * (h + 2) * (w + 2), c]);
  using picked = table.indexSelect(0, index);
  using nhwc = picked.view([n, h, w, c]);
  return nhwc.permute([0, 3, 1, 2]);
}

/** 1 where a line (row or column) is in an image's cutout square, per image: (N,side,1) or (N,1,side). */
function inSquare(x: Tensor, offset: Tensor, size: number, side: number, shape: number[]): Tensor {
  // the reference zeroes clamp(offset - size//2 + k, 0, side - 1) for k < size: a run that always
  // meets the image, so the zeroed lines are those in [offset - size//2, offset - size//2 + size - 1]
  using lines = line(side, shape, x.device);
  using first = offset.sub(Math.floor(size / 2));
  using last = first.add(size - 1);
  using fromFirst = lines.ge(first);
  using toLast = lines.le(last);
  using a = fromFirst.to("float32");
  using b = toLast.to("float32");
  return a.mul(b);
}

function cutout(x: Tensor, ratio: number): Tensor {
  const [, , h, w] = x.shape as [number, number, number, number];
  const ch = part(h, ratio), cw = part(w, ratio);
  using offsetX = offsets(x, 0, h + (1 - ch % 2));
  using offsetY = offsets(x, 0, w + (1 - cw % 2));
  using rows = inSquare(x, offsetX, ch, h, [1, h, 1]);
  using cols = inSquare(x, offsetY, cw, w, [1, 1, w]);
  using square = rows.mul(cols);
  using keepMask = square.rsub(1);
  using mask = keepMask.unsqueeze(1);
  using typed = mask.to(x.dtype);
  return x.mul(typed);
}

/**
 * What the fused CPU kernel (ffi/diff_augment.cpp) is asked for when it computes this augmentation: CPU
 * images in a float dtype, the shim's fast paths on (`setFastPaths`), each augmentation at most once and in
 * the reference's order (colour, translation, cutout); undefined for anything else, which composes ATen
 * ops below.
 *
 * @param images (N, C, H, W)
 * @param policy the augmentations, in order
 * @param options the sizes of translation (default 1/8) and cutout (default 1/2)
 * @returns the kernel's arguments, or undefined where it does not apply
 */
export function fusedAugmentation(
  images: Tensor,
  policy: readonly Augmentation[],
  options: DiffAugmentOptions = {},
): FusedAugmentation | undefined {
  if (images.device !== "cpu" || !["float32", "float64", "bfloat16"].includes(images.dtype)) return undefined;
  const order = policy.map((name) => AUGMENTATIONS.indexOf(name));
  if (!order.every((k, i) => i === 0 || k > order[i - 1]!) || !fastPathsEnabled()) return undefined;
  const [, , h, w] = images.shape as [number, number, number, number];
  const sides = (ratio: number): [number, number] => [part(h, ratio), part(w, ratio)];
  return {
    colour: policy.includes("color"),
    shift: policy.includes("translation") ? sides(options.translation ?? 1 / 8) : undefined,
    cut: policy.includes("cutout") ? sides(options.cutout ?? 1 / 2) : undefined,
  };
}

/**
 * Augments a batch of images with DiffAugment's policy, differentiably: gradients reach `images`.
 *
 * @param images (N, C, H, W), in [-1, 1] as D sees them
 * @param policy the augmentations, applied in the order given (`color`, `translation`, `cutout` as
 *   `--augment color,translation,cutout`); an empty policy draws nothing and returns a new handle to
 *   `images`
 * @param options the sizes of translation (default 1/8) and cutout (default 1/2)
 * @returns a new contiguous (N, C, H, W) tensor; the caller disposes it
 * @throws {TypeError} when images are not 4-d
 * @throws {RangeError} when a size is not in [0, 1]
 * @example
 * ```ts
 * import { diffAugment } from "@gan/dcgan/gan";
 * import { manualSeed, randn } from "@gan/dcgan";
 * manualSeed(0); // torch.manual_seed(0) then DiffAugment(x, "color,translation,cutout") draws the same
 * using x = randn([4, 3, 32, 32]).tanh();
 * using y = diffAugment(x, ["color", "translation", "cutout"]);
 * ```
 */
export function diffAugment(
  images: Tensor,
  policy: readonly Augmentation[],
  options: DiffAugmentOptions = {},
): Tensor {
  if (images.shape.length !== 4) {
    throw new TypeError(`diffAugment takes (N, C, H, W) images, got shape [${images.shape}]`);
  }
  const shift = options.translation ?? 1 / 8;
  const square = options.cutout ?? 1 / 2;
  for (const [name, value] of [["translation", shift], ["cutout", square]] as const) {
    if (!(value >= 0 && value <= 1)) {
      throw new RangeError(`DiffAugment ${name} must be in [0, 1], got ${value}`);
    }
  }
  if (policy.length === 0) return images.ref();
  const fused = fusedAugmentation(images, policy, options);
  if (fused) return fusedDiffAugment(images, fused);
  // in NCHW: the per-image means and the gather are several times slower on channels_last images
  let x = images.contiguous();
  for (const name of policy) {
    const next = name === "color"
      ? color(x)
      : name === "translation"
      ? translation(x, shift)
      : cutout(x, square);
    x.dispose();
    x = next;
  }
  using result = x;
  return result.contiguous();
}
