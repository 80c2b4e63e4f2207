/**
 * `deno task sample`: images from a trained generator. `sample` writes a grid of `--n` images;
 * `interpolate` walks the latent space between two seeds (slerp) as a PNG strip or a GIF.
 * The generator's shape (nz, ngf, nc, imageSize) is read off the checkpoint's tensors, so a
 * generator trained in PyTorch works as well as one trained here. A conditional generator (trained with
 * `--conditional`, recognised by its `label_emb.weight`) draws the class given by `--class N`, or with
 * `--per-class K` a grid of one row of K images per class.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { loadCheckpoint, saveStateDict } from "../../models/io/state_dict_file.ts";
import type { GeneratorNetwork } from "../../models/dcgan/networks.ts";
import { noGrad } from "../../ops/autograd.ts";
import { randn, tensor } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import { cudaIsAvailable, manualSeed } from "../../ops/runtime.ts";
import { ConfigError, flagDevice, flagNumber, integerAtLeast } from "./flags.ts";
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
 * The generator shipped with the package, used when `--checkpoint` is not given: a 32x32 DCGAN trained
 * with `deno task train` on the emoji set (float16; see models/pretrained/README.md).
 */
export const PRETRAINED_GENERATOR: URL = new URL(
  "../../models/pretrained/emoji_32.safetensors",
  import.meta.url,
);

const FLAGS: ParseArgsOptionsConfig = {
  checkpoint: { type: "string" },
  n: { type: "string", default: "64" },
  nrow: { type: "string", default: "8" },
  seed: { type: "string", default: "0" },
  truncate: { type: "string" },
  out: { type: "string" },
  device: { type: "string", default: "cpu" },
  from: { type: "string", default: "0" },
  to: { type: "string", default: "1" },
  steps: { type: "string", default: "8" },
  class: { type: "string" },
  "per-class": { type: "string" },
  "save-z": { type: "string" },
  z: { type: "string" },
  expr: { type: "string" },
  help: { type: "boolean", default: false },
};

/** The `sample` command's help. */
export const SAMPLE_HELP = `Usage:
  sample [--checkpoint PATH] [--n 64] [--nrow 8] [--seed 0] [--truncate T] [--out samples.png] [--device cpu]
  sample interpolate --checkpoint PATH --from SEED --to SEED [--steps 8] [--out interpolation.png|.gif]
  sample arithmetic --checkpoint PATH --z z.safetensors --expr "1,4,7 - 2,5 + 3" [--out arithmetic.png]
  sample --checkpoint PATH (--class N | --per-class K) ...   (a generator trained with --conditional)

  --checkpoint  generator.safetensors, a run's checkpoint.safetensors, or a run folder
                (default: the pretrained 32x32 emoji generator shipped with the package)
  --n           images in the grid (default 64)
  --nrow        images per grid row (default 8)
  --seed        seed of the latent vectors (default 0)
  --truncate    clamp each latent value to [-T, T] (the truncation trick)
  --out         the PNG (or, for interpolate, PNG strip or GIF) to write
  --save-z      also write the grid's latent vectors (n, nz, 1, 1) to this safetensors file
  --from/--to   seeds of the two end points of an interpolation
  --steps       images along the interpolation (default 8)
  --z, --expr   latent arithmetic over vectors saved with --save-z: each term averages the listed
                samples; the output row shows each term's mean, then the result
  --class       the class to draw (conditional generators; default: cycle through the classes)
  --per-class   a grid of one row of K images per class (conditional generators)`;

function integer(flag: string, raw: string | undefined, min: number): number {
  return flagNumber(flag, raw ?? "", integerAtLeast(min));
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What every subcommand shares: the generator, its device, the truncation and the class choice. */
interface SampleContext {
  netG: GeneratorNetwork;
  device: Device;
  truncate?: number;
  only?: number;
  perClass?: number;
}

const RANGE: [number, number] = [-1, 1];

async function sampleGrid(ctx: SampleContext, values: Values): Promise<string> {
  const { netG, device, perClass } = ctx;
  const classes = netG.numClasses;
  const n = perClass !== undefined ? perClass * classes : integer("n", values.n as string, 1);
  const z = latent(integer("seed", values.seed as string, 0), n, netG.nz, ctx.truncate);
  const out = (values.out as string | undefined) ?? "samples.png";
  const labels = sampleClasses(netG, n, { only: ctx.only, perClass });
  const nrow = perClass ?? integer("nrow", values.nrow as string, 1);
  await saveImageArray(generate(netG, z, n, device, labels), out, {
    nrow,
    normalize: true,
    valueRange: RANGE,
  });
  if (values["save-z"]) {
    using saved = tensor(z, { shape: [n, netG.nz, 1, 1] });
    await saveStateDict({ z: saved }, values["save-z"] as string);
  }
  return out;
}

async function sampleInterpolation(ctx: SampleContext, values: Values): Promise<string> {
  const { netG, device } = ctx;
  const steps = integer("steps", values.steps as string, 2);
  const a = latent(integer("from", values.from as string, 0), 1, netG.nz, ctx.truncate);
  const b = latent(integer("to", values.to as string, 0), 1, netG.nz, ctx.truncate);
  const z = new Float32Array(steps * netG.nz);
  for (let i = 0; i < steps; i++) z.set(slerp(a, b, i / (steps - 1)), i * netG.nz);
  const images = generate(netG, z, steps, device, sampleClasses(netG, steps, { only: ctx.only }));
  const out = (values.out as string | undefined) ?? "interpolation.png";
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

async function sampleArithmetic(ctx: SampleContext, values: Values): Promise<string> {
  const { netG, device } = ctx;
  const zPath = values.z as string | undefined;
  const expression = values.expr as string | undefined;
  if (!zPath || !expression) {
    throw new ConfigError(
      'arithmetic needs --z (from sample --save-z) and --expr, e.g. --expr "1,4 - 2 + 3"',
    );
  }
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
  const terms = parseLatentExpression(expression, z.length / netG.nz);
  const n = terms.length + 1;
  const images = generate(
    netG,
    combineLatents(z, netG.nz, terms),
    n,
    device,
    sampleClasses(netG, n, { only: ctx.only }),
  );
  const out = (values.out as string | undefined) ?? "arithmetic.png";
  await saveImageArray(images, out, { nrow: n, normalize: true, valueRange: RANGE });
  return out;
}

const COMMANDS = { grid: sampleGrid, interpolate: sampleInterpolation, arithmetic: sampleArithmetic };

/**
 * The `sample` command line.
 *
 * @param args arguments after `sample`
 * @returns the process exit code
 */
export async function main(args: string[]): Promise<number> {
  try {
    const command = args[0] === "interpolate" || args[0] === "arithmetic" ? args[0] : "grid";
    const { values } = parseArgs({
      args: command === "grid" ? args : args.slice(1),
      options: FLAGS,
      strict: true,
    });
    if (values.help) {
      console.log(SAMPLE_HELP);
      return 0;
    }
    const checkpoint = (values.checkpoint as string | undefined) ?? PRETRAINED_GENERATOR;
    if (checkpoint === PRETRAINED_GENERATOR) {
      console.error(
        "Using the pretrained emoji generator shipped with @gan/dcgan (--checkpoint picks yours)",
      );
    }
    const device = flagDevice(values.device as string);
    if (device !== "cpu" && !cudaIsAvailable()) {
      throw new ConfigError(`--device ${device}: no CUDA here; use --device cpu`);
    }
    const truncate = values.truncate === undefined ? undefined : Number(values.truncate);
    if (truncate !== undefined && !(truncate > 0)) {
      throw new ConfigError(`--truncate must be a number > 0, got "${values.truncate}"`);
    }
    const only = values.class === undefined ? undefined : integer("class", values.class as string, 0);
    const perClass = values["per-class"] === undefined
      ? undefined
      : integer("per-class", values["per-class"] as string, 1);
    if (only !== undefined && perClass !== undefined) {
      throw new ConfigError("--class and --per-class exclude each other: pass one");
    }
    using netG = await loadGenerator(checkpoint, device);
    console.log(await COMMANDS[command]({ netG, device, truncate, only, perClass }, values));
    return 0;
  } catch (error) {
    const usage = (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ?? false;
    const message = (error as Error).message.replace(/\.$/, "");
    console.error(`error: ${usage ? `${message}; see --help` : message}`);
    return usage || error instanceof RangeError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
