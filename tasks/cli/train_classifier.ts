/**
 * `deno task train-classifier`: trains the Fashion-MNIST classifier that `deno task eval --data
 * fashion-mnist` scores with, prints its test accuracy and saves it as float16 safetensors. The shipped
 * models/pretrained/fashion_mnist_classifier.safetensors was made by
 * `DCGAN_NUM_THREADS=2 deno task train-classifier --out models/pretrained/fashion_mnist_classifier.safetensors`.
 *
 * @module
 */

import { trainClassifier } from "../metrics/train_classifier.ts";
import { ConfigError, formatHelp, numberWhere, parseFlags, PATH, POSITIVE_INTEGER } from "./flags.ts";
import { NON_NEGATIVE_INTEGER } from "./flags.ts";

const FLAGS = {
  out: {
    flag: "out",
    short: "o",
    kind: PATH,
    default: "fashion_mnist_classifier.safetensors",
    help: "weights file",
  },
  epochs: { flag: "epochs", kind: POSITIVE_INTEGER, default: 3, help: "passes over the 60,000 images" },
  batchSize: { flag: "batch-size", kind: POSITIVE_INTEGER, default: 128, help: "images per step" },
  lr: {
    flag: "lr",
    kind: numberWhere((n) => n > 0, "a number > 0"),
    default: 2e-3,
    help: "Adam's first rate",
  },
  seed: { flag: "seed", kind: NON_NEGATIVE_INTEGER, default: 0, help: "seed of the init, shuffles, dropout" },
  limit: { flag: "limit", kind: POSITIVE_INTEGER, help: "use only the first N images of each set" },
} as const;

/**
 * The command line: parses flags, trains, prints the test accuracy.
 *
 * @param args command-line arguments
 * @returns the process exit code: 0, 2 for a bad flag, 1 for any other failure
 * @example
 * ```ts ignore
 * import { main } from "./train_classifier.ts";
 * Deno.exit(await main(["--epochs", "1", "--out", "c.safetensors"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const config = parseFlags(FLAGS, args);
    if (!config) {
      console.log(formatHelp(FLAGS, {
        usage: "deno task train-classifier [flags]",
        description: "Trains the Fashion-MNIST classifier (32x32) that eval uses without --inception.",
      }));
      return 0;
    }
    const result = await trainClassifier(config, (line) => console.log(line));
    result.net.dispose();
    console.log(
      `Test accuracy ${(100 * result.testAccuracy).toFixed(2)}% on ${result.testCount} images ` +
        `(${result.seconds.toFixed(0)}s) -> ${config.out}`,
    );
    return 0;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
