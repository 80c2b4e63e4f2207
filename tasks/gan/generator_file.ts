/**
 * Loading a trained generator from a safetensors file: its shape (nz, ngf, nc, image size, classes) is
 * read off the tensors, so a generator trained in PyTorch loads as well as one trained here.
 *
 * @module
 */

import { join } from "node:path";
import { loadCheckpoint } from "../../models/io/state_dict_file.ts";
import { createGenerator } from "../../models/dcgan/factory.ts";
import type { GeneratorNetwork } from "../../models/dcgan/networks.ts";
import type { Device } from "../../ops/device.ts";
import type { Tensor } from "../../ops/tensor.ts";

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
 * import { generatorShape } from "@gan/dcgan";
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
    const prefixed = "netG.main.0.weight" in tensors;
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
