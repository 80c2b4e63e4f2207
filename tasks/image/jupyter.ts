/**
 * Image grids in Deno's Jupyter kernel (`deno jupyter`): a {@linkcode PngImage} is shown inline when it
 * ends a cell, since the kernel formats any object with a `Symbol.for("Jupyter.display")` method by
 * calling it for a MIME bundle; {@linkcode displayGrid} shows one mid-cell, as IPython's `display()`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Tensor } from "../../ops/tensor.ts";
import { type GridOptions, makeGridArray, toPixels } from "./grid.ts";
import { encodePng } from "./png.ts";
import { hostBatch } from "./tensor_image.ts";

/** The key Deno's Jupyter kernel looks up on a value to get its MIME bundle (`Deno.jupyter.$display`). */
const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** A Jupyter MIME bundle holding one PNG: the file's bytes in base64, as the Jupyter protocol wants. */
export interface PngBundle {
  /** The PNG file, base64-encoded. */
  "image/png": string;
}

/**
 * An encoded PNG that shows itself in a Deno Jupyter notebook: end a cell with it (or pass it to
 * `Deno.jupyter.display`) and the kernel draws the picture. Outside a notebook, write `png` to a file.
 *
 * @example
 * ```ts
 * import { gridImage, randn } from "@gan/dcgan";
 * using fake = randn([16, 3, 8, 8]);
 * const grid = gridImage(fake, { nrow: 4, normalize: true });
 * console.log(grid.width, grid.height, grid.png.length > 0); // 42 42 true
 * ```
 */
export class PngImage {
  /** The PNG file's bytes. */
  readonly png: Uint8Array;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;

  /**
   * Wraps PNG bytes; the size is read from the file's header.
   *
   * @param png a PNG file's bytes
   * @throws {TypeError} When the bytes do not start with a PNG signature and IHDR chunk
   */
  constructor(png: Uint8Array) {
    const isPng = png.length >= 24 && png[0] === 0x89 && png[1] === 0x50 && png[2] === 0x4e &&
      png[3] === 0x47 && String.fromCharCode(...png.subarray(12, 16)) === "IHDR";
    if (!isPng) throw new TypeError("Cannot show these bytes as an image: they are not a PNG file");
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    this.png = png;
    this.width = view.getUint32(16);
    this.height = view.getUint32(20);
  }

  /**
   * The MIME bundle Deno's Jupyter kernel displays, `{ "image/png": base64 }`.
   *
   * @returns the bundle
   */
  [JUPYTER_DISPLAY](): PngBundle {
    return {
      "image/png": Buffer.from(this.png.buffer, this.png.byteOffset, this.png.byteLength).toString("base64"),
    };
  }
}

/**
 * Tiles images into a grid as {@linkcode makeGrid} and torchvision's `save_image` do (same pixels) and
 * encodes it as PNG, ready to show in a notebook or write to a file.
 *
 * @param images (N, C, H, W) or (C, H, W), any device and float dtype; values in [0, 1] unless
 *   `normalize` is set (generator output in [-1, 1] wants `{ normalize: true, valueRange: [-1, 1] }`)
 * @param options make_grid's options: nrow (8), padding (2), normalize, valueRange, scaleEach, padValue
 * @returns the grid as a PNG that a Deno Jupyter cell displays when it is the cell's last value
 * @example
 * ```ts
 * import { gridImage, rand } from "@gan/dcgan";
 * using images = rand([4, 1, 28, 28]);
 * gridImage(images, { nrow: 2 }); // the last value of a notebook cell: the grid appears below it
 * ```
 */
export function gridImage(images: Tensor, options: GridOptions = {}): PngImage {
  return new PngImage(encodePng(toPixels(makeGridArray(hostBatch(images), options))));
}

/**
 * Shows a grid of images in a Deno Jupyter notebook now, as IPython's `display()`, for example once an
 * epoch inside a training cell.
 *
 * @param images (N, C, H, W) or (C, H, W), as {@linkcode gridImage}
 * @param options make_grid's options, as {@linkcode gridImage}
 * @returns a promise that resolves once the kernel has sent the picture
 * @throws {Error} When not run by Deno's Jupyter kernel (`deno jupyter`)
 * @example
 * ```ts ignore
 * import { displayGrid, randn } from "@gan/dcgan";
 * using fake = randn([64, 3, 64, 64]);
 * await displayGrid(fake, { normalize: true, valueRange: [-1, 1] });
 * ```
 */
export async function displayGrid(images: Tensor, options: GridOptions = {}): Promise<void> {
  let jupyter: typeof Deno.jupyter;
  try {
    jupyter = Deno.jupyter;
  } catch (cause) {
    throw new Error(
      "Cannot display a grid outside Deno's Jupyter kernel: run the notebook with `deno jupyter`, or write " +
        "the grid to a file with saveImage()",
      { cause },
    );
  }
  await jupyter.display(gridImage(images, options));
}
