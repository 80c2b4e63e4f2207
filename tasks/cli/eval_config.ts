/**
 * The eval task's flags: parsing, defaults (pytorch-fid's batch size, torch-fidelity's KID subsets) and
 * validation with messages that name the flag and the fix.
 *
 * @module
 */

import { INCEPTION_EXPORT_HELP, type InceptionVariant } from "../../models/inception/inception.ts";
import { ConfigError, flagDevice, flagNumber, integerAtLeast, parseFlags } from "./flags.ts";

/** Everything that configures an evaluation. */
export interface EvalConfig {
  /** generator.safetensors, a run's checkpoint.safetensors, or a run folder. */
  checkpoint: string;
  /** The Inception-v3 weights (safetensors). */
  inception: string;
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
  /** "cpu", "cuda" or "cuda:N". */
  device: string;
}

const FLAGS = {
  checkpoint: { type: "string", help: "generator.safetensors, a checkpoint.safetensors or a run folder" },
  inception: { type: "string", help: "Inception-v3 weights as safetensors (see below)" },
  "inception-variant": { type: "string", help: "fid or torchvision (default: from the file)" },
  data: { type: "string", help: "image folder, or fashion-mnist (default: the Twitter emoji set)" },
  category: { type: "string", help: "emoji category of the default set, as in train" },
  n: { type: "string", default: "1000", help: "generated images, and at most this many real ones" },
  "batch-size": { type: "string", default: "50", help: "images per Inception batch" },
  seed: { type: "string", default: "0", help: "seed of the latents, the real sample and KID's subsets" },
  out: { type: "string", help: "folder for eval.json (default: eval/ beside the checkpoint)" },
  "kid-subsets": { type: "string", default: "100", help: "KID subsets" },
  "kid-subset-size": { type: "string", default: "1000", help: "KID samples per subset (capped at --n)" },
  memorization: { type: "boolean", default: false, help: "find the nearest training image of samples" },
  "memorization-k": { type: "string", default: "16", help: "samples the memorization check looks at" },
  device: { type: "string", default: "cpu", help: "cpu, cuda or cuda:N" },
  help: { type: "boolean", default: false, help: "show this help" },
} as const;

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
  const lines = [
    "Usage: deno task eval --checkpoint PATH --inception PATH [flags]",
    "",
    "FID and KID of a generator against its training data, and an optional memorization check.",
    "",
  ];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const value = spec.type === "string" ? " <value>" : "";
    const fallback = "default" in spec && spec.type === "string" ? ` (default ${spec.default})` : "";
    lines.push(`  --${name}${value}`.padEnd(30) + spec.help + fallback);
  }
  return `${lines.join("\n")}\n\n${INCEPTION_EXPORT_HELP}`;
}

function integer(values: Record<string, unknown>, flag: keyof typeof FLAGS, min: number): number {
  return flagNumber(flag, String(values[flag]), integerAtLeast(min));
}

/**
 * Parses and validates the eval flags.
 *
 * @param args command-line arguments (without the program name)
 * @returns the config, or `undefined` when `--help` was asked for
 * @throws {ConfigError} for a bad, unknown or missing flag, naming it and the fix
 * @example
 * ```ts
 * import { parseEvalArgs } from "./eval_config.ts";
 * const config = parseEvalArgs(["--checkpoint", "runs/emoji-1", "--inception", "pt_inception.safetensors"]);
 * ```
 */
export function parseEvalArgs(args: string[]): EvalConfig | undefined {
  const values = parseFlags(FLAGS, args);
  if (values.help) return undefined;
  const checkpoint = values.checkpoint as string | undefined;
  if (!checkpoint) {
    throw new ConfigError("--checkpoint is required: pass a generator.safetensors or a run folder");
  }
  const inception = values.inception as string | undefined;
  if (!inception) {
    throw new ConfigError(
      "--inception is required: FID and KID need Inception-v3 weights, and nothing is downloaded.\n" +
        INCEPTION_EXPORT_HELP,
    );
  }
  const variant = values["inception-variant"] as string | undefined;
  if (variant !== undefined && variant !== "fid" && variant !== "torchvision") {
    throw new ConfigError(`--inception-variant must be fid or torchvision, got "${variant}"`);
  }
  const device = flagDevice(values.device as string);
  return {
    checkpoint,
    inception,
    inceptionVariant: variant,
    data: values.data as string | undefined,
    category: values.category as string | undefined,
    n: integer(values, "n", 2),
    batchSize: integer(values, "batch-size", 1),
    seed: integer(values, "seed", 0),
    out: values.out as string | undefined,
    kidSubsets: integer(values, "kid-subsets", 1),
    kidSubsetSize: integer(values, "kid-subset-size", 2),
    memorization: values.memorization as boolean,
    memorizationK: integer(values, "memorization-k", 1),
    device,
  };
}
