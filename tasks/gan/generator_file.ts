/**
 * Loading a trained generator from a safetensors file: its architecture, shape (nz, ngf, nc, image size,
 * classes), spectral norm and attention block are read off the tensors, so every generator the train task
 * makes loads, and one trained in PyTorch with the same key names as well.
 *
 * @module
 */

import { join } from "node:path";
import { loadCheckpoint } from "../../models/io/state_dict_file.ts";
import { createGenerator } from "../../models/dcgan/factory.ts";
import type { Arch, GeneratorNetwork } from "../../models/dcgan/networks.ts";
import type { Device } from "../../ops/device.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** The generator a checkpoint implies: its architecture, sizes and the stabilisers that add tensors. */
export interface GeneratorShape {
  /** The architecture: "dcgan", or the seeds' "mlp" and "mnist" (models/dcgan/mlp.ts, mnist.ts). */
  arch: Arch;
  /** Latent size. */
  nz: number;
  /** Width unit: feature maps of the DCGAN's last hidden layer. */
  ngf: number;
  /** Image channels. */
  nc: number;
  /** Image side. */
  imageSize: number;
  /** Trained with `--spectral-norm-g`: the weights are stored as `weight_orig`, `weight_u`, `weight_v`. */
  spectralNorm: boolean;
  /** The side of the self-attention block (`--attention`), or 0 for none. */
  attention: number;
}

/** Each key's shape with spectral norm's `weight_orig` read as the `weight` it wraps. */
function plainWeights(shapes: Record<string, number[]>): Map<string, number[]> {
  const weights = new Map<string, number[]>();
  for (const [key, shape] of Object.entries(shapes)) {
    const plain = key.replace(/\.weight_orig$/, ".weight");
    if (/^main\.\d+\.weight$/.test(plain)) weights.set(plain, shape);
  }
  return weights;
}

/** The `main.N.weight` tensors of `dims` dimensions, in layer order. */
function layerWeights(weights: Map<string, number[]>, dims: number): number[][] {
  return [...weights]
    .filter(([, shape]) => shape.length === dims)
    .sort(([a], [b]) => Number(a.split(".")[1]) - Number(b.split(".")[1]))
    .map(([, shape]) => shape);
}

/**
 * Reads a generator's architecture and shape off its state dict (PyTorch's key names), as the train task
 * makes them:
 * - dcgan: `main.0.weight` is the ConvTranspose2d (nz, ngf * imageSize / 8, 4, 4), the last one (ngf, nc, 4, 4);
 * - mnist: `main.1.weight` is the Linear (ngf * 2 * b * b, nz) with b = imageSize / 4, the last
 *   ConvTranspose2d (ngf, nc, 5, 5);
 * - mlp: only Linear layers, the first (ngf * 2, nz), the last (nc * imageSize², ngf * 8).
 *
 * Spectral norm shows as `weight_orig`; a self-attention block as `main.N.gamma`, whose side follows from
 * its channels C: ngf * imageSize / (2 C) in both convolutional generators.
 *
 * @param shapes each key's shape (PyTorch's key names)
 * @param source the file, for messages
 * @returns the architecture, nz, ngf, nc, imageSize, spectralNorm and attention
 * @throws {TypeError} when the keys are not a generator's of the train task
 * @example
 * ```ts
 * import { generatorShape } from "@gan/dcgan";
 * generatorShape({ "main.0.weight": [128, 512, 4, 4], "main.12.weight": [64, 3, 4, 4] }, "g.safetensors");
 * // { arch: "dcgan", nz: 128, ngf: 64, nc: 3, imageSize: 64, spectralNorm: false, attention: 0 }
 * ```
 */
export function generatorShape(shapes: Record<string, number[]>, source: string): GeneratorShape {
  const weights = plainWeights(shapes);
  const spectralNorm = Object.keys(shapes).some((key) => key.endsWith(".weight_orig"));
  const convs = layerWeights(weights, 4);
  const linears = layerWeights(weights, 2);
  const notGenerator = (why: string) =>
    new TypeError(
      `"${source}" is not a generator checkpoint of this package: ${why}; pass generator.safetensors ` +
        "(or generator_ema.safetensors) from a run folder",
    );
  let shape: Omit<GeneratorShape, "attention" | "spectralNorm">;
  const first = weights.get("main.0.weight");
  if (first?.length === 4) {
    const last = convs[convs.length - 1]!;
    const [nz, top, ngf, nc] = [first[0]!, first[1]!, last[0]!, last[1]!];
    shape = { arch: "dcgan", nz, ngf, nc, imageSize: (top / ngf) * 8 };
    if (![32, 64, 128].includes(shape.imageSize)) {
      throw new TypeError(
        `"${source}" has main.0.weight ${JSON.stringify(first)} that fits no image size of 32, 64 or 128`,
      );
    }
  } else if (weights.get("main.1.weight")?.length === 2 && convs.length > 0) {
    const [dense, nz] = weights.get("main.1.weight")!;
    const [ngf, nc] = [convs[0]![1]!, convs[convs.length - 1]![1]!];
    const side = Math.sqrt(dense! / (ngf * 2));
    if (!Number.isInteger(side)) throw notGenerator(`main.1.weight ${dense}x${nz} fits no mnist generator`);
    shape = { arch: "mnist", nz: nz!, ngf, nc, imageSize: side * 4 };
  } else if (weights.get("main.1.weight")?.length === 2) {
    const [hidden, nz] = weights.get("main.1.weight")!;
    const pixels = linears[linears.length - 1]![0]!;
    const nc = [1, 3, 4].find((c) => Number.isInteger(Math.sqrt(pixels / c)));
    if (nc === undefined) throw notGenerator(`its last Linear has ${pixels} outputs, no square image`);
    shape = { arch: "mlp", nz: nz!, ngf: hidden! / 2, nc, imageSize: Math.sqrt(pixels / nc) };
  } else {
    throw notGenerator("it has no main.0.weight of 4 dims (dcgan) and no main.1.weight of 2 (mnist, mlp)");
  }
  const gamma = Object.keys(shapes).find((key) => /^main\.\d+\.gamma$/.test(key));
  const value = gamma?.replace(/gamma$/, "value.weight");
  const channels = value ? (shapes[value] ?? shapes[`${value}_orig`])?.[0] : undefined;
  const attention = channels ? (shape.ngf * shape.imageSize) / (2 * channels) : 0;
  return { ...shape, spectralNorm, attention };
}

/**
 * Loads a generator from `generator.safetensors`, a run's `checkpoint.safetensors`, or a run folder.
 * A state dict with `label_emb.weight` (numClasses, embedDim) is a conditional generator, whose
 * `main.0.weight` takes nz + embedDim channels.
 *
 * @param path a file or a run folder, or a URL (file: or http(s):, e.g. a file shipped in the package)
 * @param device where to put it
 * @returns the generator (conditional or not) in eval mode
 * @throws {Error} naming the file when it is missing or not a generator
 * @example
 * ```ts ignore
 * import { loadGenerator } from "@gan/dcgan";
 * using netG = await loadGenerator("runs/emoji-1");
 * ```
 */
export async function loadGenerator(
  path: string | URL,
  device: Device = "cpu",
): Promise<GeneratorNetwork> {
  let file = path;
  if (typeof path === "string") {
    try {
      if ((await Deno.stat(path)).isDirectory) file = join(path, "generator.safetensors");
    } catch {
      throw new Error(
        `Cannot load the generator: "${path}" does not exist; pass --checkpoint with a generator.safetensors`,
      );
    }
  }
  const { tensors } = await loadCheckpoint(file);
  try {
    const prefixed = Object.keys(tensors).some((key) => key.startsWith("netG.")); // a run checkpoint
    const state: Record<string, Tensor> = {};
    for (const [key, value] of Object.entries(tensors)) {
      if (!prefixed) state[key] = value;
      else if (key.startsWith("netG.")) state[key.slice(5)] = value;
    }
    const shapes = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.shape]));
    const shape = generatorShape(shapes, String(file));
    const embedding = shapes["label_emb.weight"];
    const netG = createGenerator(
      embedding?.length === 2
        ? { ...shape, nz: shape.nz - embedding[1]!, numClasses: embedding[0]!, embedDim: embedding[1]! }
        : shape,
    );
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
