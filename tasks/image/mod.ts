/**
 * `@gan/dcgan/image`: images out: torchvision's `make_grid` and `save_image` (same pixels), grids shown
 * inline in a Deno Jupyter notebook, and the PNG writer (RGB, or gray when every pixel is gray). The
 * tensor helpers are also exported by `@gan/dcgan`.
 *
 * ```ts
 * import { encodePng, makeGridArray, toPixels } from "@gan/dcgan/image";
 * const batch = { data: new Float32Array(4 * 3 * 8 * 8).fill(0.5), shape: [4, 3, 8, 8] as [number, number, number, number] };
 * const png = encodePng(toPixels(makeGridArray(batch, { nrow: 2 })));
 * console.log(png.length > 0); // true
 * ```
 *
 * @module
 */

export { makeGrid, saveImage } from "./tensor_image.ts";
export { displayGrid, gridImage, type PngBundle, PngImage } from "./jupyter.ts";
export { type GridOptions, type ImageArray, makeGridArray, saveImageArray, toPixels } from "./grid.ts";
export { encodePng, writePng } from "./png.ts";
export type { HostImage, ImageBatch } from "../data/types.ts";
