/**
 * Host-side image types shared by the data loaders, the batch loader and the visual helpers. They hold
 * plain typed arrays, so they work before (and without) any tensor library.
 *
 * @module
 */

/**
 * A batch of images as float32 values in NCHW order, like a PyTorch tensor of shape `[n, c, h, w]`.
 * Values are typically in [-1, 1] (real images after normalization, or generator output).
 */
export interface ImageBatch {
  /** `n * c * h * w` values, row-major NCHW. */
  data: Float32Array;
  /** `[n, c, h, w]`. */
  shape: [number, number, number, number];
}

/** A file that a loader could not use, and why. */
export interface SkippedFile {
  /** The file's path. */
  path: string;
  /** Why it was skipped, e.g. `PNG header claims 20000x20000 pixels, over the 50000000-pixel limit`. */
  reason: string;
  /**
   * True when the file could not be read (permission denied, an I/O error) rather than decoded: that may
   * pass, so the data set is not cached and the next load tries the file again.
   */
  unreadable?: boolean;
}

/** A decoded data set of square uint8 images, ready for {@linkcode ImageBatch}es. */
export interface ImageDataset {
  /** `count * channels * size * size` bytes, NCHW. */
  images: Uint8Array;
  /** How many images. */
  count: number;
  /** 3 (RGB) or 1 (grayscale). */
  channels: number;
  /** Height and width of every image. */
  size: number;
  /** One class index per image, where the data set has classes. */
  labels?: Int32Array;
  /** Class names, indexed by label, where the data set has classes. */
  names?: string[];
  /** Files that were left out, and why. */
  skipped: SkippedFile[];
}

/**
 * One decoded image in interleaved (HWC) uint8 layout, as PIL holds it: pixel `(x, y)` channel `k` is at
 * `data[(y * width + x) * channels + k]`.
 */
export interface HostImage {
  /** `height * width * channels` bytes. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Values per pixel: 1 (L), 3 (RGB) or 4 (RGBA). */
  channels: number;
}
