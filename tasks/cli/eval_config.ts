/**
 * The eval task's flags: parsing, defaults (pytorch-fid's batch size, torch-fidelity's KID subsets) and
 * validation with messages that name the flag and the fix.
 *
 * @module
 */

import { INCEPTION_EXPORT_HELP, type InceptionVariant } from "../../models/inception/inception.ts";
import {
  DEVICE,
  type FlagSpec,
  formatHelp,
  integerAtLeast,
  oneOf,
  parseFlags,
  PATH,
  SWITCH,
  TEXT,
} from "./flags.ts";
import type { Device } from "../../ops/device.ts";

/** Everything that configures an evaluation. */
export interface EvalConfig {
  /** generator.safetensors, a run's checkpoint.safetensors, or a run folder. */
  checkpoint: string;
  /** The Inception-v3 weights (safetensors); undefined: the Fashion-MNIST classifier (`--data fashion-mnist`). */
  inception?: string;
  /** The Fashion-MNIST classifier's weights used without `--inception`; undefined: the shipped ones. */
  classifier?: string;
  /** Score in 16x16 pixels (colour and layout) instead of a network's features: data with no feature network. */
  pixelFeatures: boolean;
  /** Override the Inception variant the weights file implies. */
  inceptionVariant?: InceptionVariant;
  /** Image folder, `fashion-mnist`, or undefined for the default emoji set (as train's --data). */
  data?: string;
  /** Emoji category filter of the default set. */
  category?: string;
  /** Generated images, and at most this many real ones. */
  n: number;
  /** Images per Inception batch. */
  batchSize: number;
  /** Seed of the latent vectors, the real sample and the KID subsets. */
  seed: number;
  /** Folder for eval.json and memorization.png; undefined: `eval/` beside the checkpoint. */
  out?: string;
  /** KID subsets. */
  kidSubsets: number;
  /** KID samples per subset (capped at the set sizes). */
  kidSubsetSize: number;
  /** Find each of the first `memorizationK` samples' nearest training image. */
  memorization: boolean;
  /** How many samples the memorization check looks at. */
  memorizationK: number;
  /** Also score a second real sample against the first: the scores a perfect generator would get. */
  realBaseline: boolean;
  /** Where the networks run. */
  device: Device;
}

const INCEPTION_NEEDED =
  "--inception is required: FID and KID need Inception-v3 weights, and nothing is downloaded " +
  "(only --data fashion-mnist has a shipped feature network; --pixel-features scores any data crudely, " +
  "in 16x16 pixels).\n" + INCEPTION_EXPORT_HELP;

/** Why `--inception` and `--pixel-features` cannot go together. */
export const FEATURES_CONFLICT = "--inception and --pixel-features each pick the features: pass one of them";

/** Every eval setting, once: flag, alias, kind, default and help line. */
const EVAL_FIELDS = {
  checkpoint: {
    flag: "checkpoint",
    short: "c",
    kind: PATH,
    required: "--checkpoint is required: pass a generator.safetensors or a run folder",
    help: "generator.safetensors, a checkpoint.safetensors or a run folder",
  },
  inception: {
    flag: "inception",
    kind: PATH,
    help: "Inception-v3 weights as safetensors (see below)",
    conflict: (inception, values) =>
      inception === undefined && !values.pixelFeatures && values.data !== "fashion-mnist"
        ? INCEPTION_NEEDED
        : undefined,
  },
  pixelFeatures: {
    flag: "pixel-features",
    kind: SWITCH,
    help: "score in 16x16 pixels (colour and layout, no network): a crude score for data without one",
    conflict: (pixels, values) => pixels && values.inception !== undefined ? FEATURES_CONFLICT : undefined,
  },
  classifier: {
    flag: "classifier",
    kind: PATH,
    help: "F-MNIST classifier weights without --inception (default: shipped)",
  },
  inceptionVariant: {
    flag: "inception-variant",
    kind: oneOf(["fid", "torchvision"], "fid or torchvision"),
    help: "fid or torchvision (default: from the file)",
  },
  data: {
    flag: "data",
    short: "d",
    kind: PATH,
    help: "image folder, or fashion-mnist (default: the Twitter emoji set)",
  },
  category: { flag: "category", kind: TEXT, help: "emoji category of the default set, as in train" },
  n: {
    flag: "n",
    short: "n",
    kind: integerAtLeast(2),
    default: 1000,
    help: "generated images, and at most this many real ones",
  },
  batchSize: {
    flag: "batch-size",
    short: "b",
    kind: integerAtLeast(1),
    default: 50,
    help: "images per Inception batch",
  },
  seed: {
    flag: "seed",
    short: "s",
    kind: integerAtLeast(0),
    default: 0,
    help: "seed of the latents, the real sample and KID's subsets",
  },
  out: {
    flag: "out",
    short: "o",
    kind: PATH,
    defaultText: "eval/ beside the checkpoint",
    help: "folder for eval.json",
  },
  kidSubsets: { flag: "kid-subsets", kind: integerAtLeast(1), default: 100, help: "KID subsets" },
  kidSubsetSize: {
    flag: "kid-subset-size",
    kind: integerAtLeast(2),
    default: 1000,
    help: "KID samples per subset (capped at --n)",
  },
  memorization: { flag: "memorization", kind: SWITCH, help: "find the nearest training image of samples" },
  memorizationK: {
    flag: "memorization-k",
    kind: integerAtLeast(1),
    default: 16,
    help: "samples the memorization check looks at",
  },
  realBaseline: {
    flag: "real-baseline",
    kind: SWITCH,
    help: "also score a second real sample against the first: what a perfect generator would get",
  },
  device: { flag: "device", kind: DEVICE, default: "cpu", help: "cpu, cuda or cuda:N" },
} as const satisfies { readonly [K in keyof EvalConfig]-?: FlagSpec<EvalConfig[K], EvalConfig> };

/**
 * The `--help` text: every flag with its default, and how to get the Inception weights.
 *
 * @returns the help text
 * @example
 * ```ts
 * import { evalHelp } from "./eval_config.ts";
 * console.log(evalHelp());
 * ```
 */
export function evalHelp(): string {
  return formatHelp(EVAL_FIELDS, {
    usage:
      "deno task eval --checkpoint PATH (--inception PATH | --data fashion-mnist | --pixel-features) [flags]",
    description:
      "FID, KID, IS, precision and recall of a generator against its training data, and an optional\n" +
      "memorization check. With --data fashion-mnist and no --inception, the shipped Fashion-MNIST\n" +
      'classifier\'s features are used ("FID (F-MNIST features)": never compare it with Inception FIDs);\n' +
      'with --pixel-features, 16x16 pixels ("FID (pixel features)": to rank generators of one data set).',
    footer: INCEPTION_EXPORT_HELP,
  });
}

/**
 * Parses and validates the eval flags.
 *
 * @param args command-line arguments (without the program name)
 * @returns the config, or `undefined` when `--help` was asked for
 * @throws {ConfigError} for a bad, unknown or missing flag, naming it and the fix
 * @example
 * ```ts
 * import { parseEvalArgs } from "@gan/dcgan";
 * const config = parseEvalArgs(["--checkpoint", "runs/emoji-1", "--inception", "pt_inception.safetensors"]);
 * ```
 */
export function parseEvalArgs(args: string[]): EvalConfig | undefined {
  return parseFlags(EVAL_FIELDS, args);
}
