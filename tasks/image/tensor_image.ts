/**
 * `makeGrid` and `saveImage` on tensors, as torchvision.utils.make_grid and save_image: the same
 * pixels, computed by the host-array versions in grid.ts.
 *
 * @module
 */

import { tensor } from "../../ops/creation.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { ImageBatch } from "../data/types.ts";
import { type GridOptions, makeGridArray, saveImageArray } from "./grid.ts";

/**
 * Copies (N, C, H, W) or (C, H, W) images to the host as float32, for the grid helpers.
 *
 * @param images the images, any device and float dtype
 * @returns an `[n, c, h, w]` host batch
 * @throws {TypeError} When the images have another rank
 */
export function hostBatch(images: Tensor): ImageBatch {
  const shape = images.shape;
  if (shape.length === 3) {
    return { data: images.toFloat32Array(), shape: [1, shape[0]!, shape[1]!, shape[2]!] };
  }
  if (shape.length !== 4) {
    throw new TypeError(`Expected images of shape [N, C, H, W] or [C, H, W], got [${shape.join(", ")}]`);
  }
  return { data: images.toFloat32Array(), shape: shape as ImageBatch["shape"] };
}

/**
 * Tiles a batch of images into one image, as `torchvision.utils.make_grid`.
 *
 * @param images (N, C, H, W) or (C, H, W), any device and float dtype
 * @param options nrow (8), padding (2), normalize, valueRange, scaleEach, padValue
 * @returns the grid as a (3 or C, H', W') float32 CPU tensor
 * @example
 * ```ts
 * import { makeGrid, randn } from "@gan/dcgan";
 * using grid = makeGrid(randn([16, 3, 8, 8]), { nrow: 4, normalize: true });
 * ```
 */
export function makeGrid(images: Tensor, options: GridOptions = {}): Tensor {
  const grid = makeGridArray(hostBatch(images), options);
  return tensor(grid.data, { shape: grid.shape });
}

/**
 * Writes a batch of images as one PNG grid, as `torchvision.utils.save_image` (atomic write).
 *
 * @param images (N, C, H, W) or (C, H, W)
 * @param path the PNG to write
 * @param options make_grid's options
 * @returns a promise that resolves once the file is in place
 * @example
 * ```ts
 * import { rand, saveImage } from "@gan/dcgan";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * using images = rand([4, 3, 8, 8]);
 * await saveImage(images, path, { nrow: 2 });
 * await Deno.remove(path);
 * ```
 */
export async function saveImage(images: Tensor, path: string, options: GridOptions = {}): Promise<void> {
  await saveImageArray(hostBatch(images), path, options);
}
