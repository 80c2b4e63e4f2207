/**
 * The training task's flags: parsing, defaults (those of the PyTorch DCGAN example, with nz 128) and
 * validation with messages that name the flag and the fix.
 *
 * @module
 */

import {
  ConfigError,
  flagDevice,
  flagNumber,
  NON_NEGATIVE_INTEGER,
  parseFlags,
  POSITIVE_INTEGER,
} from "../cli/flags.ts";
import { GAN_LOSSES, type GanLoss } from "./losses.ts";

// ConfigError lives with the flag parsing it reports on; mod.ts and the tasks take it from here.
export { ConfigError };

/** Everything that configures a training run; saved into the run folder as config.json. */
export interface TrainConfig {
  /** Image folder, `fashion-mnist`, or undefined for the default emoji set. */
  data?: string;
  /** Emoji category filter (e.g. "Smileys & Emotion"), default set only. */
  category?: string;
  /** Passes over the data. */
  epochs: number;
  /** Images per step. */
  batchSize: number;
  /** Side of the square images: 32, 64 or 128. */
  imageSize: number;
  /** Latent size. */
  nz: number;
  /** Generator width. */
  ngf: number;
  /** Discriminator width. */
  ndf: number;
  /** Adam learning rate of both networks. */
  lr: number;
  /** Adam beta1 of both networks. */
  beta1: number;
  /** Adam beta2 of both networks. */
  beta2: number;
  /** The GAN loss. */
  loss: GanLoss;
  /** D (critic) updates per G update. */
  nCritic: number;
  /** D's target for real images with bce and lsgan: 1, or e.g. 0.9 (one-sided label smoothing). */
  labelSmoothing: number;
  /** Capacity of the replay buffer of past fakes shown to D (0: no replay). */
  replay: number;
  /** Decay of the moving average of G's weights used for the sample grids (0: none). */
  ema: number;
  /** Train a conditional DCGAN on the data set's class labels. */
  conditional: boolean;
  /** "cpu", "cuda" or "cuda:N". */
  device: string;
  /** Lay out weights and images as channels_last (NHWC). */
  channelsLast: boolean;
  /** CUDA autocast dtype for the networks: "off", "bf16" or "fp16". */
  amp: "off" | "bf16" | "fp16";
  /** Run each step as a replay of one captured CUDA graph. */
  cudaGraph: boolean;
  /** Run folder for checkpoints, grids, metrics. */
  out: string;
  /** Continue the run in `out` from its checkpoint. */
  resume: boolean;
  /** Seed of weights, noise and shuffling. */
  seed: number;
  /** One step of one epoch, then stop (a smoke test). */
  dryRun: boolean;
  /** Stop after this many steps in all (0: no limit). */
  maxSteps: number;
  /** Print a log line every this many steps. */
  logEvery: number;
}

/** The settings a loss brings when its flags are not given: WGAN-GP's paper uses its own. */
const LOSS_DEFAULTS: Record<GanLoss, { lr: number; beta1: number; beta2: number; nCritic: number }> = {
  bce: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  lsgan: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  hinge: { lr: 2e-4, beta1: 0.5, beta2: 0.999, nCritic: 1 },
  "wgan-gp": { lr: 1e-4, beta1: 0, beta2: 0.9, nCritic: 5 },
};

/** The variant settings a config from before they existed lacks: the seed's loop. */
const VARIANT_DEFAULTS: Pick<
  TrainConfig,
  | "beta2"
  | "loss"
  | "nCritic"
  | "labelSmoothing"
  | "replay"
  | "ema"
  | "conditional"
  | "channelsLast"
  | "amp"
  | "cudaGraph"
> = {
  beta2: 0.999,
  loss: "bce",
  nCritic: 1,
  labelSmoothing: 1,
  replay: 0,
  ema: 0,
  conditional: false,
  channelsLast: false,
  amp: "off",
  cudaGraph: false,
};

/**
 * Fills in the variant settings that a config saved before they existed lacks (a run checkpoint's
 * config.json), with the seed loop's values.
 *
 * @param saved a parsed config, possibly from an older run
 * @returns the config with every field
 * @example
 * ```ts
 * import { withVariantDefaults } from "./config.ts";
 * const config = withVariantDefaults({ epochs: 1 } as never);
 * console.log(config.loss); // "bce"
 * ```
 */
export function withVariantDefaults(saved: TrainConfig): TrainConfig {
  return { ...VARIANT_DEFAULTS, ...saved };
}

const FLAGS = {
  data: { type: "string", help: "image folder, or fashion-mnist (default: the Twitter emoji set)" },
  category: { type: "string", help: 'emoji category of the default set, e.g. "Smileys & Emotion"' },
  epochs: { type: "string", default: "25", help: "passes over the data" },
  "batch-size": { type: "string", default: "128", help: "images per step" },
  "image-size": { type: "string", default: "64", help: "image side: 32, 64 or 128" },
  nz: { type: "string", default: "128", help: "size of the latent vector z" },
  ngf: { type: "string", default: "64", help: "generator feature maps" },
  ndf: { type: "string", default: "64", help: "discriminator feature maps" },
  lr: { type: "string", help: "Adam learning rate", defaultText: "0.0002; 0.0001 with --loss wgan-gp" },
  beta1: { type: "string", help: "Adam beta1", defaultText: "0.5; 0 with --loss wgan-gp" },
  beta2: { type: "string", help: "Adam beta2", defaultText: "0.999; 0.9 with --loss wgan-gp" },
  loss: { type: "string", default: "bce", help: "GAN loss: bce (the seed's), lsgan, hinge or wgan-gp" },
  "n-critic": {
    type: "string",
    help: "D (critic) updates per G update",
    defaultText: "1; 5 with --loss wgan-gp",
  },
  "label-smoothing": {
    type: "string",
    default: "1",
    help: "D's target for real images, e.g. 0.9 (one-sided; bce and lsgan)",
  },
  replay: { type: "string", default: "0", help: "replay buffer of K past fakes shown to D (0: off)" },
  ema: { type: "string", default: "0", help: "moving average of G's weights, e.g. 0.999 (0: off)" },
  conditional: {
    type: "boolean",
    default: false,
    help: "conditional DCGAN on the data's class labels (e.g. --data fashion-mnist)",
  },
  device: { type: "string", default: "cpu", help: "cpu, cuda or cuda:N" },
  "channels-last": { type: "boolean", default: false, help: "channels_last (NHWC) weights and images" },
  amp: { type: "string", default: "off", help: "CUDA autocast dtype: off, bf16 or fp16" },
  "cuda-graph": {
    type: "boolean",
    default: false,
    help: "capture the whole step as one CUDA graph and replay it (CUDA only)",
  },
  out: { type: "string", help: "run folder (default: runs/<data>-<time>)" },
  resume: { type: "boolean", default: false, help: "continue the run in --out from its checkpoint" },
  seed: { type: "string", default: "999", help: "random seed (weights, noise, shuffling)" },
  "dry-run": { type: "boolean", default: false, help: "one step, then stop (smoke test)" },
  "max-steps": { type: "string", default: "0", help: "stop after this many steps (0: no limit)" },
  "log-every": { type: "string", default: "50", help: "log a line every N steps" },
  help: { type: "boolean", default: false, help: "show this help" },
} as const;

/**
 * The `--help` text, listing every flag with its default.
 *
 * @returns the help text
 * @example
 * ```ts
 * import { trainHelp } from "./config.ts";
 * console.log(trainHelp());
 * ```
 */
export function trainHelp(): string {
  const lines = ["Usage: deno task train [flags]", "", "Trains a DCGAN (PyTorch's example, in Deno).", ""];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const value = spec.type === "string" ? ` <${name === "data" || name === "out" ? "path" : "value"}>` : "";
    const fallback = "defaultText" in spec
      ? ` (default ${spec.defaultText})`
      : "default" in spec && spec.type === "string"
      ? ` (default ${spec.default})`
      : "";
    lines.push(`  --${name}${value}`.padEnd(28) + spec.help + fallback);
  }
  return lines.join("\n");
}

/**
 * Parses and validates the training flags.
 *
 * @param args command-line arguments (without the program name)
 * @returns the config, or `undefined` when `--help` was asked for
 * @throws {ConfigError} for a bad or unknown flag, naming it and the fix
 * @example
 * ```ts
 * import { parseTrainArgs } from "./config.ts";
 * const config = parseTrainArgs(["--epochs", "1", "--batch-size", "16"]);
 * ```
 */
export function parseTrainArgs(args: string[]): TrainConfig | undefined {
  const values = parseFlags(FLAGS, args);
  if (values.help) return undefined;
  const s = (name: keyof typeof FLAGS) => values[name] as string;
  const loss = s("loss") as GanLoss;
  if (!GAN_LOSSES.includes(loss)) {
    throw new ConfigError(`--loss must be one of ${GAN_LOSSES.join(", ")}, got "${loss}"`);
  }
  const fallback = LOSS_DEFAULTS[loss];
  const given = (name: keyof typeof FLAGS, value: number) =>
    values[name] === undefined ? String(value) : s(name);
  const labelSmoothing = flagNumber("label-smoothing", s("label-smoothing"), {
    check: (n) => n > 0 && n <= 1,
    expected: "a number in (0, 1], e.g. 0.9",
  });
  if (labelSmoothing !== 1 && loss !== "bce" && loss !== "lsgan") {
    throw new ConfigError(
      `--label-smoothing sets the real target of bce and lsgan; --loss ${loss} has no target: drop one of them`,
    );
  }
  const imageSize = flagNumber("image-size", s("image-size"), {
    check: (n) => [32, 64, 128].includes(n),
    expected: "32, 64 or 128",
  });
  const device = flagDevice(s("device"));
  const amp = s("amp");
  if (amp !== "off" && amp !== "bf16" && amp !== "fp16") {
    throw new ConfigError(`--amp must be off, bf16 or fp16, got "${amp}"`);
  }
  const cudaGraph = values["cuda-graph"] as boolean;
  if (device === "cpu" && (amp !== "off" || cudaGraph)) {
    throw new ConfigError(
      `${cudaGraph ? "--cuda-graph" : "--amp"} runs on the GPU: add --device cuda, or drop it`,
    );
  }
  const data = values.data as string | undefined;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  const dataName = data === undefined ? "emoji" : data.replace(/\/+$/, "").split("/").pop() || "data";
  return {
    data,
    category: values.category as string | undefined,
    epochs: flagNumber("epochs", s("epochs"), POSITIVE_INTEGER),
    batchSize: flagNumber("batch-size", s("batch-size"), POSITIVE_INTEGER),
    imageSize,
    nz: flagNumber("nz", s("nz"), POSITIVE_INTEGER),
    ngf: flagNumber("ngf", s("ngf"), POSITIVE_INTEGER),
    ndf: flagNumber("ndf", s("ndf"), POSITIVE_INTEGER),
    lr: flagNumber("lr", given("lr", fallback.lr), {
      check: (n) => n > 0 && n < 1,
      expected: "a number in (0, 1), e.g. 0.0002",
    }),
    beta1: flagNumber("beta1", given("beta1", fallback.beta1), {
      check: (n) => n >= 0 && n < 1,
      expected: "a number in [0, 1), e.g. 0.5",
    }),
    beta2: flagNumber("beta2", given("beta2", fallback.beta2), {
      check: (n) => n >= 0 && n < 1,
      expected: "a number in [0, 1), e.g. 0.999",
    }),
    loss,
    nCritic: flagNumber("n-critic", given("n-critic", fallback.nCritic), POSITIVE_INTEGER),
    labelSmoothing,
    replay: flagNumber("replay", s("replay"), NON_NEGATIVE_INTEGER),
    ema: flagNumber("ema", s("ema"), {
      check: (n) => n >= 0 && n < 1,
      expected: "a number in [0, 1), e.g. 0.999",
    }),
    conditional: values.conditional as boolean,
    device,
    channelsLast: values["channels-last"] as boolean,
    amp,
    cudaGraph,
    out: (values.out as string | undefined) ?? `runs/${dataName}-${stamp}`,
    resume: values.resume as boolean,
    seed: flagNumber("seed", s("seed"), NON_NEGATIVE_INTEGER),
    dryRun: values["dry-run"] as boolean,
    maxSteps: flagNumber("max-steps", s("max-steps"), NON_NEGATIVE_INTEGER),
    logEvery: flagNumber("log-every", s("log-every"), POSITIVE_INTEGER),
  };
}
