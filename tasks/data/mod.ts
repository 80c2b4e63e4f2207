/**
 * `@gan/dcgan/data`: the training data, decoded once into uint8 {@linkcode ImageDataset}s (and cached)
 * and batched as PyTorch's `DataLoader` with torchvision's `ToTensor()` + `Normalize(0.5, 0.5)` would:
 * the emoji set, Fashion-MNIST (Debian's `dataset-fashion-mnist`), any folder of PNG/JPEG/GIF images, and
 * the loader that picks one as `deno task train --data` does.
 *
 * ```ts
 * import { BatchLoader, loadImageFolder } from "@gan/dcgan/data";
 * import { Image } from "imagescript";
 * const dir = await Deno.makeTempDir();
 * for (let i = 0; i < 3; i++) await Deno.writeFile(`${dir}/${i}.png`, await new Image(40, 30).fill(0xff0000ff).encode());
 * const data = await loadImageFolder(dir, { size: 16, cache: false });
 * const loader = new BatchLoader(data, { batchSize: 2, seed: 0 });
 * for (const { images } of loader.epoch(0)) console.log(images.shape); // [ 2, 3, 16, 16 ], then [ 1, 3, 16, 16 ]
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export type { HostImage, ImageBatch, ImageDataset, SkippedFile } from "./types.ts";
export { loadDataset } from "./load_dataset.ts";
export { emojiCategories, type EmojiOptions, loadEmojiDataset } from "./emoji.ts";
export { FASHION_MNIST_CLASSES, type FashionMnistOptions, loadFashionMnist } from "./fashion_mnist.ts";
export { type ImageFolderOptions, listImageFiles, loadImageFolder } from "./image_folder.ts";
export type { CacheOptions } from "./dataset_cache.ts";
export { BatchLoader, type BatchLoaderOptions, type LoaderBatch } from "./loader.ts";
export { type DeviceBatch, DeviceBatches, type DeviceBatchesOptions } from "./device_batches.ts";
export { decodeImage, type DecodeOptions } from "./decode_image.ts";
export { resizeCenterCrop } from "./resize.ts";
