/**
 * Picks the training data from the train flags: the emoji set by default, `fashion-mnist`, or an
 * image folder.
 *
 * @module
 */

import type { TrainConfig } from "../gan/config.ts";
import { loadEmojiDataset } from "./emoji.ts";
import { loadFashionMnist } from "./fashion_mnist.ts";
import { loadImageFolder } from "./image_folder.ts";
import type { ImageDataset } from "./types.ts";

/**
 * Loads (or reads from the decode cache) the data set named by `--data`, at `--image-size`.
 *
 * @param config `data`, `category` and `imageSize` from the train flags
 * @param log where to report what was loaded (its name, count, shape and seconds); default nowhere
 * @returns the decoded images
 * @throws {Error} naming the folder when it holds no images, or the package to install
 * @example
 * ```ts ignore
 * import { loadDataset } from "@gan/dcgan";
 * const data = await loadDataset({ imageSize: 64 }, console.log);
 * ```
 */
export async function loadDataset(
  config: Pick<TrainConfig, "data" | "category" | "imageSize">,
  log: (line: string) => void = () => {},
): Promise<ImageDataset> {
  const started = performance.now();
  let dataset: ImageDataset;
  let name: string;
  if (config.data === undefined) {
    name = config.category ? `emoji "${config.category}"` : "emoji (emoji-datasource-twitter@16.0.0)";
    dataset = await loadEmojiDataset({ size: config.imageSize, category: config.category });
  } else if (config.data === "fashion-mnist") {
    if (config.imageSize === 128) throw new RangeError("--data fashion-mnist works at --image-size 32 or 64");
    name = "Fashion-MNIST";
    dataset = await loadFashionMnist({ size: config.imageSize as 32 | 64 });
  } else {
    if (config.category) {
      throw new RangeError("--category picks emoji of the default set: drop it with --data");
    }
    name = config.data;
    dataset = await loadImageFolder(config.data, { size: config.imageSize });
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(
    `Data: ${name}, ${dataset.count} images of ${dataset.channels}x${dataset.size}x${dataset.size} (${seconds}s)`,
  );
  return dataset;
}
