/**
 * `deno task sample`: images from a trained generator. `sample` writes a grid of `--n` images;
 * `interpolate` walks the latent space between two seeds (slerp) as a PNG strip or a GIF; `arithmetic`
 * adds and subtracts averages of latent vectors saved with `--save-z`. Each has its own flags and `--help`.
 * The generator's shape (nz, ngf, nc, imageSize) is read off the checkpoint's tensors, so a
 * generator trained in PyTorch works as well as one trained here. A conditional generator (trained with
 * `--conditional`, recognised by its `label_emb.weight`) draws the class given by `--class N`, or with
 * `--per-class K` a grid of one row of K images per class.
 *
 * @module
 */

import { loadCheckpoint, saveStateDict } from "../../models/io/state_dict_file.ts";
import type { GeneratorNetwork } from "../../models/dcgan/networks.ts";
import { noGrad } from "../../ops/autograd.ts";
import { randn, tensor } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import { cudaIsAvailable, manualSeed } from "../../ops/runtime.ts";
import {
  type CommandHelp,
  ConfigError,
  DEVICE,
  type FlagTable,
  type FlagValues,
  formatHelp,
  integerAtLeast,
  integerIn,
  numberWhere,
  parseFlags,
  PATH,
  TEXT,
} from "./flags.ts";
import { combineLatents, parseLatentExpression, slerp } from "../gan/latent.ts";
import { loadGenerator } from "../gan/generator_file.ts";
import type { ImageBatch } from "../data/types.ts";
import { writeGridAnimation } from "../image/gif.ts";
import { makeGridArray, saveImageArray } from "../image/grid.ts";

function latent(seed: number, n: number, nz: number, truncate?: number): Float32Array {
  manualSeed(seed);
  using z = randn([n, nz, 1, 1]);
  if (truncate === undefined) return z.toFloat32Array();
  using clamped = z.clamp(-truncate, truncate);
  return clamped.toFloat32Array();
}

function generate(
  netG: GeneratorNetwork,
  z: Float32Array,
  n: number,
  device: Device,
  classes?: Int32Array,
): ImageBatch {
  using input = tensor(z, { shape: [n, netG.nz, 1, 1], device });
  using labels = classes ? tensor(BigInt64Array.from(classes, BigInt), { device }) : undefined;
  using images = noGrad(() => netG.forward(input, labels));
  return { data: images.toFloat32Array(), shape: images.shape as ImageBatch["shape"] };
}

/**
 * The classes to draw: `--class N` for all, `--per-class K` for K of each in class order, else (for a
 * conditional generator) cycling through the classes.
 */
function sampleClasses(
  netG: GeneratorNetwork,
  n: number,
  options: { only?: number; perClass?: number },
): Int32Array | undefined {
  const flag = options.only !== undefined
    ? "--class"
    : options.perClass !== undefined
    ? "--per-class"
    : undefined;
  if (netG.numClasses === 0) {
    if (flag) throw new ConfigError(`${flag} needs a conditional generator (one trained with --conditional)`);
    return undefined;
  }
  if (options.only !== undefined && options.only >= netG.numClasses) {
    throw new ConfigError(
      `--class must be below ${netG.numClasses}, the generator's classes, got ${options.only}`,
    );
  }
  const perClass = options.perClass;
  return Int32Array.from(
    { length: n },
    (_, i) => options.only ?? (perClass ? Math.floor(i / perClass) : i % netG.numClasses),
  );
}

/**
 * The generator shipped with the package, used when `--checkpoint` is not given: a 64x64 DCGAN trained
 * with `deno task train` (the default recipe) on the emoji set (float16; see models/pretrained/README.md).
 */
export const PRETRAINED_GENERATOR: URL = new URL(
  "../../models/pretrained/emoji_64.safetensors",
  import.meta.url,
);

/** What every subcommand shares: the generator, its device, the truncation and the class choice. */
interface SampleContext {
  netG: GeneratorNetwork;
  device: Device;
  truncate?: number;
  only?: number;
}

const RANGE: [number, number] = [-1, 1];

/** The flags of every subcommand. */
const COMMON_FLAGS = {
  checkpoint: {
    flag: "checkpoint",
    short: "c",
    kind: PATH,
    defaultText: "the pretrained 64x64 emoji generator shipped with the package",
    help: "generator.safetensors, a run's checkpoint.safetensors, or a run folder",
  },
  device: { flag: "device", kind: DEVICE, default: "cpu", help: "cpu, cuda or cuda:N" },
  truncate: {
    flag: "truncate",
    kind: numberWhere((n) => n > 0, "a number > 0"),
    help: "clamp each latent value to [-T, T] (the truncation trick)",
  },
  only: {
    flag: "class",
    kind: integerAtLeast(0),
    help: "the class to draw (conditional generators; default: cycle through the classes)",
  },
} as const;

/** The most images one grid may ask for: 4,096 images of 128x128 are a 200 MB picture. */
const MAX_IMAGES = 4096;
/** The most images in one grid row (and per class with --per-class). */
const MAX_ROW = 256;
/** The most images along an interpolation: one strip, or one GIF frame each. */
const MAX_STEPS = 512;

const GRID_FLAGS = {
  ...COMMON_FLAGS,
  n: { flag: "n", short: "n", kind: integerIn(1, MAX_IMAGES), default: 64, help: "images in the grid" },
  nrow: { flag: "nrow", kind: integerIn(1, MAX_ROW), default: 8, help: "images per grid row" },
  seed: { flag: "seed", short: "s", kind: integerAtLeast(0), default: 0, help: "seed of the latent vectors" },
  perClass: {
    flag: "per-class",
    kind: integerIn(1, MAX_ROW),
    help: "a grid of one row of K images per class (conditional generators)",
    conflict: (perClass: number | undefined, values: { only?: number }, name: (field: string) => string) =>
      perClass !== undefined && values.only !== undefined
        ? `${name("only")} and ${name("perClass")} exclude each other: pass one`
        : undefined,
  },
  saveZ: {
    flag: "save-z",
    kind: PATH,
    help: "also write the grid's latent vectors (n, nz, 1, 1) to this safetensors file",
  },
  out: { flag: "out", short: "o", kind: PATH, default: "samples.png", help: "the PNG to write" },
} as const;

async function sampleGrid(ctx: SampleContext, values: FlagValues<typeof GRID_FLAGS>): Promise<string> {
  const { netG, device } = ctx;
  const { perClass, out } = values;
  const n = perClass !== undefined ? perClass * netG.numClasses : values.n;
  const z = latent(values.seed, n, netG.nz, ctx.truncate);
  const labels = sampleClasses(netG, n, { only: ctx.only, perClass });
  await saveImageArray(generate(netG, z, n, device, labels), out, {
    nrow: perClass ?? values.nrow,
    normalize: true,
    valueRange: RANGE,
  });
  if (values.saveZ) {
    using saved = tensor(z, { shape: [n, netG.nz, 1, 1] });
    await saveStateDict({ z: saved }, values.saveZ);
  }
  return out;
}

const INTERPOLATE_FLAGS = {
  ...COMMON_FLAGS,
  from: { flag: "from", kind: integerAtLeast(0), default: 0, help: "seed of the first end point" },
  to: { flag: "to", kind: integerAtLeast(0), default: 1, help: "seed of the last end point" },
  steps: { flag: "steps", kind: integerIn(2, MAX_STEPS), default: 8, help: "images along the walk" },
  out: {
    flag: "out",
    short: "o",
    kind: PATH,
    default: "interpolation.png",
    help: "a PNG strip, or a GIF (.gif) with one frame per step",
  },
} as const;

async function sampleInterpolation(
  ctx: SampleContext,
  values: FlagValues<typeof INTERPOLATE_FLAGS>,
): Promise<string> {
  const { netG, device } = ctx;
  const { steps, out } = values;
  const a = latent(values.from, 1, netG.nz, ctx.truncate);
  const b = latent(values.to, 1, netG.nz, ctx.truncate);
  const z = new Float32Array(steps * netG.nz);
  for (let i = 0; i < steps; i++) z.set(slerp(a, b, i / (steps - 1)), i * netG.nz);
  const images = generate(netG, z, steps, device, sampleClasses(netG, steps, { only: ctx.only }));
  if (!out.toLowerCase().endsWith(".gif")) {
    await saveImageArray(images, out, { nrow: steps, normalize: true, valueRange: RANGE });
    return out;
  }
  const per = images.data.length / steps;
  const frameShape = [1, ...images.shape.slice(1)] as ImageBatch["shape"];
  const frames = Array.from(
    { length: steps },
    (_, i) =>
      makeGridArray({ data: images.data.subarray(i * per, (i + 1) * per), shape: frameShape }, {
        normalize: true,
        valueRange: RANGE,
      }),
  );
  await writeGridAnimation(frames, out, { delayMs: 150, lastDelayMs: 150 });
  return out;
}

const ARITHMETIC_NEEDS = 'arithmetic needs --z (from sample --save-z) and --expr, e.g. --expr "1,4 - 2 + 3"';

const ARITHMETIC_FLAGS = {
  ...COMMON_FLAGS,
  z: { flag: "z", kind: PATH, required: ARITHMETIC_NEEDS, help: "latent vectors saved with sample --save-z" },
  expr: {
    flag: "expr",
    kind: TEXT,
    required: ARITHMETIC_NEEDS,
    help: 'terms over the saved samples, e.g. "1,4 - 2 + 3": each term averages the listed samples',
  },
  out: {
    flag: "out",
    short: "o",
    kind: PATH,
    default: "arithmetic.png",
    help: "the PNG: each term's mean, then the result",
  },
} as const;

async function sampleArithmetic(
  ctx: SampleContext,
  values: FlagValues<typeof ARITHMETIC_FLAGS>,
): Promise<string> {
  const { netG, device } = ctx;
  const zPath = values.z;
  const { tensors } = await loadCheckpoint(zPath);
  let z: Float32Array;
  try {
    const saved = tensors.z;
    if (!saved || saved.shape[1] !== netG.nz) {
      throw new TypeError(
        `"${zPath}" holds no latent vectors "z" of size ${netG.nz}: write them with sample --save-z`,
      );
    }
    z = saved.toFloat32Array();
  } finally {
    Object.values(tensors).forEach((t) => t.dispose());
  }
  const terms = parseLatentExpression(values.expr, z.length / netG.nz);
  const n = terms.length + 1;
  const images = generate(
    netG,
    combineLatents(z, netG.nz, terms),
    n,
    device,
    sampleClasses(netG, n, { only: ctx.only }),
  );
  await saveImageArray(images, values.out, { nrow: n, normalize: true, valueRange: RANGE });
  return values.out;
}

/** A subcommand: its flags, its help and what it does; it returns the file it wrote. */
interface Command<T extends FlagTable> {
  flags: T;
  help: CommandHelp;
  run(ctx: SampleContext, values: FlagValues<T>): Promise<string>;
}

const command = <T extends FlagTable>(c: Command<T>) => c as unknown as Command<FlagTable>;

const COMMANDS: Record<"grid" | "interpolate" | "arithmetic", Command<FlagTable>> = {
  grid: command({
    flags: GRID_FLAGS,
    help: {
      usage: [
        "deno task sample [flags]",
        "deno task sample --checkpoint PATH (--class N | --per-class K) [flags]   (trained with --conditional)",
        "deno task sample interpolate [flags]   (sample interpolate --help)",
        "deno task sample arithmetic [flags]    (sample arithmetic --help)",
      ],
      description: "Writes a grid of --n images from a trained generator.",
    },
    run: sampleGrid,
  }),
  interpolate: command({
    flags: INTERPOLATE_FLAGS,
    help: {
      usage: "deno task sample interpolate [flags]",
      description:
        "Walks the latent space between the vectors of two seeds (slerp), as a PNG strip or a GIF.",
    },
    run: sampleInterpolation,
  }),
  arithmetic: command({
    flags: ARITHMETIC_FLAGS,
    help: {
      usage: "deno task sample arithmetic --z z.safetensors --expr EXPR [flags]",
      description:
        "Adds and subtracts averages of latent vectors saved with sample --save-z, and draws each " +
        "term and the result.",
    },
    run: sampleArithmetic,
  }),
};

/**
 * The `sample` command line.
 *
 * @param args arguments after `sample`
 * @returns the process exit code: 0, 2 for a bad flag, 1 for any other failure
 */
export async function main(args: string[]): Promise<number> {
  try {
    const name = args[0] === "interpolate" || args[0] === "arithmetic" ? args[0] : "grid";
    const { flags, help, run } = COMMANDS[name];
    const values = parseFlags(flags, name === "grid" ? args : args.slice(1)) as
      | FlagValues<typeof COMMON_FLAGS>
      | undefined;
    if (!values) {
      console.log(formatHelp(flags, help));
      return 0;
    }
    const checkpoint = values.checkpoint ?? PRETRAINED_GENERATOR;
    if (checkpoint === PRETRAINED_GENERATOR) {
      console.error(
        "Using the pretrained emoji generator shipped with @gan/dcgan (--checkpoint picks yours)",
      );
    }
    const { device, truncate, only } = values;
    if (device !== "cpu" && !cudaIsAvailable()) {
      throw new ConfigError(`--device ${device}: no CUDA here; use --device cpu`);
    }
    using netG = await loadGenerator(checkpoint, device);
    console.log(await run({ netG, device, truncate, only }, values));
    return 0;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return error instanceof RangeError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
