/**
 * Fashion-MNIST from Debian's `dataset-fashion-mnist` package (IDX files, gzipped or not), as 1-channel
 * images with labels, optionally upscaled to 32 or 64 like torchvision's `Resize(size)` on the PIL image.
 *
 * @module
 */

import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { copyToPlanar } from "./planar.ts";
import { resizeBilinear } from "./resize.ts";
import type { ImageDataset } from "./types.ts";

/** Where Debian's `dataset-fashion-mnist` puts the IDX files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** The ten Fashion-MNIST classes, indexed by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** Options for {@linkcode loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Side of the output images: 28 (as stored), 32 or 64; default 28. */
  size?: 28 | 32 | 64;
  /** The 60,000 training images (default) or the 10,000 test images. */
  train?: boolean;
  /** Folder with the IDX files; default `$DCGAN_FASHION_MNIST` or {@linkcode FASHION_MNIST_DIR}. */
  dir?: string;
}

function defaultDir(): string {
  try {
    return Deno.env.get("DCGAN_FASHION_MNIST") || FASHION_MNIST_DIR;
  } catch {
    return FASHION_MNIST_DIR;
  }
}

async function readIdx(dir: string, stem: string): Promise<Uint8Array> {
  for (const name of [`${stem}.gz`, stem]) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(join(dir, name));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw new Error(`Cannot read Fashion-MNIST file "${join(dir, name)}": ${(error as Error).message}`, {
        cause: error,
      });
    }
    return name.endsWith(".gz") ? new Uint8Array(gunzipSync(bytes)) : bytes;
  }
  throw new Error(
    `Cannot find Fashion-MNIST file ${stem}(.gz) in "${dir}": install it with ` +
      "`apt-get install -y dataset-fashion-mnist`",
  );
}

/**
 * Parses an IDX file of unsigned bytes (MNIST's format): big-endian magic `0x0000 08 nd`, `nd` sizes,
 * then the data.
 *
 * @param bytes the (decompressed) file
 * @param options `name` for messages
 * @returns the sizes and a view of the data
 * @throws {TypeError} When the file is not an IDX file of unsigned bytes or is truncated
 * @example
 * ```ts
 * import { parseIdx } from "./fashion_mnist.ts";
 * const idx = parseIdx(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]));
 * console.log(idx.shape, idx.data); // [ 2 ] Uint8Array(2) [ 7, 9 ]
 * ```
 */
export function parseIdx(
  bytes: Uint8Array,
  options: { name?: string } = {},
): { shape: number[]; data: Uint8Array } {
  const name = options.name ?? "IDX file";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint16(0) !== 0 || bytes[2] !== 0x08) {
    throw new TypeError(`${name} is not an IDX file of unsigned bytes: bad magic number`);
  }
  const nd = bytes[3]!;
  const start = 4 + 4 * nd;
  if (bytes.length < start) throw new TypeError(`${name} is truncated: its header is incomplete`);
  const shape = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length < start + count) {
    throw new TypeError(`${name} is truncated: ${bytes.length - start} data bytes, expected ${count}`);
  }
  return { shape, data: bytes.subarray(start, start + count) };
}

/**
 * Loads Fashion-MNIST as a 1-channel data set with labels 0..9 (see {@linkcode FASHION_MNIST_CLASSES}).
 * Sizes 32 and 64 are upscaled with PIL's bilinear resampling, as torchvision's `Resize(size)` does.
 *
 * @param options `size` (28, 32 or 64; default 28), `train` (default `true`), `dir`
 * @returns 60,000 (train) or 10,000 (test) images
 * @throws {Error} When the IDX files are missing (the message says which package to install)
 * @throws {RangeError} When `size` is not 28, 32 or 64
 * @example
 * ```ts
 * import { loadFashionMnist } from "@gan/dcgan";
 * const test = await loadFashionMnist({ size: 32, train: false });
 * console.log(test.count, test.channels, test.size, test.labels?.[0]); // 10000 1 32 9
 * ```
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<ImageDataset> {
  const size = options.size ?? 28;
  if (size !== 28 && size !== 32 && size !== 64) {
    throw new RangeError(`Fashion-MNIST size must be 28, 32 or 64, got ${size}`);
  }
  const dir = options.dir ?? defaultDir();
  const prefix = options.train === false ? "t10k" : "train";
  const images = parseIdx(await readIdx(dir, `${prefix}-images-idx3-ubyte`), { name: `${prefix} images` });
  const labels = parseIdx(await readIdx(dir, `${prefix}-labels-idx1-ubyte`), { name: `${prefix} labels` });
  const [count = 0, h = 0, w = 0] = images.shape;
  if (images.shape.length !== 3 || h !== 28 || w !== 28) {
    throw new TypeError(`Fashion-MNIST images have shape [${images.shape}], expected [n, 28, 28]`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw new TypeError(`Fashion-MNIST labels have shape [${labels.shape}], expected [${count}]`);
  }
  let data: Uint8Array;
  if (size === 28) {
    data = images.data.slice();
  } else {
    data = new Uint8Array(count * size * size);
    for (let i = 0; i < count; i++) {
      const src = { data: images.data.subarray(i * 784, (i + 1) * 784), width: 28, height: 28, channels: 1 };
      copyToPlanar(resizeBilinear(src, { width: size, height: size }), data, { offset: i * size * size });
    }
  }
  return {
    images: data,
    count,
    channels: 1,
    size,
    labels: Int32Array.from(labels.data),
    names: [...FASHION_MNIST_CLASSES],
    skipped: [],
  };
}
