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
import { join } from "node:path";
import { loadCheckpoint } from "../models/checkpoint.ts";
import { ConditionalGenerator } from "../models/conditional.ts";
import { Generator } from "../models/dcgan.ts";
import { noGrad } from "../ops/autograd.ts";
import { randn, tensor } from "../ops/creation.ts";
import type { Device } from "../ops/device.ts";
import { cudaIsAvailable, manualSeed } from "../ops/runtime.ts";
import type { Tensor } from "../ops/tensor.ts";
import { ConfigError } from "./train_config.ts";
import type { ImageBatch } from "./data/types.ts";
import { writeGridAnimation } from "./visual/gif.ts";
import { makeGridArray, saveImageArray } from "./visual/grid.ts";

/** The generator shape a checkpoint implies. */
export interface GeneratorShape {
  /** Latent size. */
  nz: number;
  /** Feature maps of the last hidden layer. */
  ngf: number;
  /** Image channels. */
  nc: number;
  /** Image side. */
  imageSize: number;
}

/**
 * Reads a DCGAN generator's shape off its state dict: `main.0.weight` is (nz, ngf * imageSize / 8, 4, 4)
 * and the last ConvTranspose2d's weight is (ngf, nc, 4, 4).
 *
 * @param shapes each key's shape (PyTorch's key names)
 * @param source the file, for messages
 * @returns nz, ngf, nc and imageSize
 * @throws {TypeError} when the keys are not a DCGAN generator's
 * @example
 * ```ts
 * import { generatorShape } from "./sample.ts";
 * generatorShape({ "main.0.weight": [128, 512, 4, 4], "main.12.weight": [64, 3, 4, 4] }, "g.safetensors");
 * ```
 */
export function generatorShape(shapes: Record<string, number[]>, source: string): GeneratorShape {
  const convs = Object.entries(shapes)
    .filter(([key, shape]) => /^main\.\d+\.weight$/.test(key) && shape.length === 4)
    .sort(([a], [b]) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
  const first = convs[0]?.[1];
  const last = convs[convs.length - 1]?.[1];
  if (!first || !last || convs[0]![0] !== "main.0.weight") {
    throw new TypeError(
      `"${source}" is not a DCGAN generator checkpoint: it has no main.0.weight of 4 dims; ` +
        "pass generator.safetensors from a run folder",
    );
  }
  const [nz, top] = [first[0]!, first[1]!];
  const [ngf, nc] = [last[0]!, last[1]!];
  const imageSize = (top / ngf) * 8;
  if (![32, 64, 128].includes(imageSize)) {
    throw new TypeError(
      `"${source}" has main.0.weight ${JSON.stringify(first)} that fits no image size of 32, 64 or 128`,
    );
  }
  return { nz, ngf, nc, imageSize };
}

/**
 * Loads a generator from `generator.safetensors`, a run's `checkpoint.safetensors`, or a run folder.
 * A state dict with `label_emb.weight` (numClasses, embedDim) is a conditional generator, whose
 * `main.0.weight` takes nz + embedDim channels.
 *
 * @param path a file or a run folder
 * @param device where to put it
 * @returns the generator (conditional or not) in eval mode
 * @throws {Error} naming the file when it is missing or not a generator
 * @example
 * ```ts ignore
 * import { loadGenerator } from "./sample.ts";
 * using netG = await loadGenerator("runs/emoji-1");
 * ```
 */
export async function loadGenerator(
  path: string,
  device: Device = "cpu",
): Promise<Generator | ConditionalGenerator> {
  let file = path;
  try {
    if ((await Deno.stat(path)).isDirectory) file = join(path, "generator.safetensors");
  } catch {
    throw new Error(
      `Cannot load the generator: "${path}" does not exist; pass --checkpoint with a generator.safetensors`,
    );
  }
  const { tensors } = await loadCheckpoint(file);
  try {
    const prefixed = "netG.main.0.weight" in tensors;
    const state: Record<string, Tensor> = {};
    for (const [key, value] of Object.entries(tensors)) {
      if (!prefixed) state[key] = value;
      else if (key.startsWith("netG.")) state[key.slice(5)] = value;
    }
    const shapes = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.shape]));
    const shape = generatorShape(shapes, file);
    const embedding = shapes["label_emb.weight"];
    const netG = embedding?.length === 2
      ? new ConditionalGenerator({
        ...shape,
        nz: shape.nz - embedding[1]!,
        numClasses: embedding[0]!,
        embedDim: embedding[1]!,
      })
      : new Generator(shape);
    try {
      netG.loadStateDict(state);
      if (device !== "cpu") netG.to(device);
      netG.eval();
      return netG;
    } catch (error) {
      netG.dispose();
      throw error;
    }
  } finally {
    for (const value of Object.values(tensors)) value.dispose();
  }
}

/**
 * Spherical interpolation between two latent vectors, as used for GAN latent walks.
 *
 * @param a the start vector
 * @param b the end vector
 * @param t where to stop, from 0 (a) to 1 (b)
 * @returns the interpolated vector
 * @example
 * ```ts
 * import { slerp } from "./sample.ts";
 * slerp(Float32Array.of(1, 0), Float32Array.of(0, 1), 0.5); // [0.707, 0.707]
 * ```
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb))));
  const so = Math.sin(omega);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    out[i] = so < 1e-6
      ? (1 - t) * a[i]! + t * b[i]!
      : (Math.sin((1 - t) * omega) / so) * a[i]! + (Math.sin(t * omega) / so) * b[i]!;
  }
  return out;
}

function latent(seed: number, n: number, nz: number, truncate?: number): Float32Array {
  manualSeed(seed);
  using z = randn([n, nz, 1, 1]);
  if (truncate === undefined) return z.toFloat32Array();
  using clamped = z.clamp(-truncate, truncate);
  return clamped.toFloat32Array();
}

function generate(
  netG: Generator | ConditionalGenerator,
  z: Float32Array,
  n: number,
  device: Device,
  classes?: Int32Array,
): ImageBatch {
  using host = tensor(z, { shape: [n, netG.nz, 1, 1] });
  using input = host.to(device);
  using labels = classes ? tensor(BigInt64Array.from(classes, BigInt), { device }) : undefined;
  using images = noGrad(() =>
    netG instanceof ConditionalGenerator ? netG.forward(input, labels) : netG.forward(input)
  );
  return { data: images.toFloat32Array(), shape: images.shape as ImageBatch["shape"] };
}

/**
 * The classes to draw: `--class N` for all, `--per-class K` for K of each in class order, else (for a
 * conditional generator) cycling through the classes.
 */
function sampleClasses(
  netG: Generator | ConditionalGenerator,
  n: number,
  options: { only?: number; perClass?: number },
): Int32Array | undefined {
  const flag = options.only !== undefined
    ? "--class"
    : options.perClass !== undefined
    ? "--per-class"
    : undefined;
  if (!(netG instanceof ConditionalGenerator)) {
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
  help: { type: "boolean", default: false },
};

/** The `sample` command's help. */
export const SAMPLE_HELP = `Usage:
  sample --checkpoint PATH [--n 64] [--nrow 8] [--seed 0] [--truncate T] [--out samples.png] [--device cpu]
  sample interpolate --checkpoint PATH --from SEED --to SEED [--steps 8] [--out interpolation.png|.gif]
  sample --checkpoint PATH (--class N | --per-class K) ...   (a generator trained with --conditional)

  --checkpoint  generator.safetensors, a run's checkpoint.safetensors, or a run folder
  --n           images in the grid (default 64)
  --nrow        images per grid row (default 8)
  --seed        seed of the latent vectors (default 0)
  --truncate    clamp each latent value to [-T, T] (the truncation trick)
  --out         the PNG (or, for interpolate, PNG strip or GIF) to write
  --from/--to   seeds of the two end points of an interpolation
  --steps       images along the interpolation (default 8)
  --class       the class to draw (conditional generators; default: cycle through the classes)
  --per-class   a grid of one row of K images per class (conditional generators)`;

function integer(flag: string, raw: string | undefined, min: number): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`--${flag} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

/**
 * The `sample` command line.
 *
 * @param args arguments after `sample`
 * @returns the process exit code
 */
export async function main(args: string[]): Promise<number> {
  try {
    const interpolate = args[0] === "interpolate";
    const { values } = parseArgs({ args: interpolate ? args.slice(1) : args, options: FLAGS, strict: true });
    if (values.help) {
      console.log(SAMPLE_HELP);
      return 0;
    }
    const checkpoint = values.checkpoint as string | undefined;
    if (!checkpoint) {
      throw new ConfigError("--checkpoint is required: pass a generator.safetensors or a run folder");
    }
    const device = values.device as Device;
    if (!/^(cpu|cuda(:\d+)?)$/.test(device)) {
      throw new ConfigError(`--device must be cpu, cuda or cuda:N, got "${device}"`);
    }
    if (device !== "cpu" && !cudaIsAvailable()) {
      throw new ConfigError(`--device ${device}: no CUDA here; use --device cpu`);
    }
    const truncate = values.truncate === undefined ? undefined : Number(values.truncate);
    if (truncate !== undefined && !(truncate > 0)) {
      throw new ConfigError(`--truncate must be a number > 0, got "${values.truncate}"`);
    }
    using netG = await loadGenerator(checkpoint, device);
    const only = values.class === undefined ? undefined : integer("class", values.class as string, 0);
    const perClass = values["per-class"] === undefined
      ? undefined
      : integer("per-class", values["per-class"] as string, 1);
    if (only !== undefined && perClass !== undefined) {
      throw new ConfigError("--class and --per-class exclude each other: pass one");
    }
    let out: string;
    if (interpolate) {
      const steps = integer("steps", values.steps as string, 2);
      const a = latent(integer("from", values.from as string, 0), 1, netG.nz, truncate);
      const b = latent(integer("to", values.to as string, 0), 1, netG.nz, truncate);
      const z = new Float32Array(steps * netG.nz);
      for (let i = 0; i < steps; i++) z.set(slerp(a, b, i / (steps - 1)), i * netG.nz);
      const images = generate(netG, z, steps, device, sampleClasses(netG, steps, { only }));
      out = (values.out as string | undefined) ?? "interpolation.png";
      if (out.toLowerCase().endsWith(".gif")) {
        const per = images.data.length / steps;
        const frames = Array.from(
          { length: steps },
          (_, i) =>
            makeGridArray({
              data: images.data.subarray(i * per, (i + 1) * per),
              shape: [1, ...images.shape.slice(1)] as ImageBatch["shape"],
            }, { normalize: true, valueRange: [-1, 1] }),
        );
        await writeGridAnimation(frames, out, { delayMs: 150, lastDelayMs: 150 });
      } else {
        await saveImageArray(images, out, { nrow: steps, normalize: true, valueRange: [-1, 1] });
      }
    } else {
      const classes = netG instanceof ConditionalGenerator ? netG.numClasses : 0;
      const n = perClass !== undefined ? perClass * classes : integer("n", values.n as string, 1);
      const z = latent(integer("seed", values.seed as string, 0), n, netG.nz, truncate);
      out = (values.out as string | undefined) ?? "samples.png";
      const labels = sampleClasses(netG, n, { only, perClass });
      await saveImageArray(generate(netG, z, n, device, labels), out, {
        nrow: perClass ?? integer("nrow", values.nrow as string, 1),
        normalize: true,
        valueRange: [-1, 1],
      });
    }
    console.log(out);
    return 0;
  } catch (error) {
    const usage = (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ?? false;
    const message = (error as Error).message.replace(/\.$/, "");
    console.error(`error: ${usage ? `${message}; see --help` : message}`);
    return usage || error instanceof RangeError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
