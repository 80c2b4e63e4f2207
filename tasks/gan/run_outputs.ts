/**
 * What a training run writes besides its metrics: the fixed-noise sample grids, the checkpoint and the
 * networks' weights, and the real-vs-fake picture at the end.
 *
 * @module
 */

import { join } from "node:path";
import { tensor } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { BatchLoader } from "../data/loader.ts";
import type { ImageBatch } from "../data/types.ts";
import { writeRealVsFake } from "../image/real_vs_fake.ts";
import { CHECKPOINT_FILE, runCheckpointSnapshot, type RunState } from "./run_checkpoint.ts";
import type { RunWriter, SafetensorsFile } from "./run_writer.ts";
import type { DcganTrainer } from "./trainer.ts";

/** Samples in the fixed-noise grid (8x8). */
export const FIXED_NOISE_SAMPLES = 64;

/** Samples per class (one grid row each) in a conditional run's fixed-noise grid. */
export const FIXED_SAMPLES_PER_CLASS = 8;

/** The latent vectors (and, for a conditional run, classes) of every sample grid of a run. */
export interface FixedInputs {
  /** (N, nz, 1, 1) on the run's device. */
  noise: Tensor;
  /** (N) int64 classes, for a conditional run. */
  labels?: Tensor;
}

/**
 * Class labels as an int64 tensor on a device.
 *
 * @param labels the classes
 * @param device where the tensor goes
 * @returns (N) int64
 */
function labelsToTensor(labels: Int32Array, device: Device): Tensor {
  return tensor(BigInt64Array.from(labels, (label) => BigInt(label)), { device });
}

/**
 * A conditional grid's labels: row r (FIXED_SAMPLES_PER_CLASS images) is class r.
 *
 * @param numClasses the classes
 * @param device where the tensor goes
 * @returns (numClasses * FIXED_SAMPLES_PER_CLASS) int64
 */
export function fixedLabels(numClasses: number, device: Device): Tensor {
  const labels = Int32Array.from(
    { length: numClasses * FIXED_SAMPLES_PER_CLASS },
    (_, i) => Math.floor(i / FIXED_SAMPLES_PER_CLASS),
  );
  return labelsToTensor(labels, device);
}

/**
 * The sample grid's images, copied from the device. As the seed: netG(fixed_noise) in training mode (the
 * average of G's weights with `ema`), which updates G's BatchNorm running statistics: sample once per grid.
 *
 * @param run the networks and the grid's inputs
 * @returns the images in [-1, 1] on the host
 */
export function sampleGrid(run: { trainer: DcganTrainer; fixed: FixedInputs }): ImageBatch {
  using fake = run.trainer.sampleImages(run.fixed.noise, run.fixed.labels);
  return { data: fake.toFloat32Array(), shape: fake.shape as ImageBatch["shape"] };
}

/**
 * Queues a sample grid of the fixed inputs ({@linkcode sampleGrid}), saved with normalize=True (one row
 * per class for a conditional run). The PNG is encoded and written in the background.
 *
 * @param writer the run's output writer
 * @param run the networks and the grid's inputs
 * @param path the PNG to write
 * @param options `gif`: also append the grid to progress.gif (the epoch grids); `images`: the grid
 *   sampled already (default: sampled now)
 */
export function queueSampleGrid(
  writer: RunWriter,
  run: { trainer: DcganTrainer; fixed: FixedInputs },
  path: string,
  options: { gif: boolean; images?: ImageBatch },
): void {
  const images = options.images ?? sampleGrid(run);
  writer.grid(path, images, { nrow: run.fixed.labels ? FIXED_SAMPLES_PER_CLASS : 8, gif: options.gif });
}

/**
 * A real batch beside fixed-noise fakes: how close the run got, at a glance.
 *
 * @param trainer the networks
 * @param fixed the fakes' inputs
 * @param loader the data (its first batch of epoch 0)
 * @param path the PNG to write
 */
export async function realVsFake(
  trainer: DcganTrainer,
  fixed: FixedInputs,
  loader: BatchLoader,
  path: string,
): Promise<void> {
  const [first] = loader.epoch(0);
  if (!first) return;
  const fake = trainer.sampleImages(fixed.noise, fixed.labels);
  try {
    const [count, c, h, w] = first.images.shape;
    const n = Math.min(count, fake.shape[0]!, FIXED_NOISE_SAMPLES);
    const take = (data: Float32Array) => data.subarray(0, n * c * h * w);
    await writeRealVsFake({
      real: { data: take(first.images.data), shape: [n, c, h, w] },
      fake: { data: take(fake.toFloat32Array()), shape: [n, c, h, w] },
    }, path);
  } finally {
    fake.dispose();
  }
}

/** The networks' own weight files in a run folder, by their key prefix in the checkpoint. */
const WEIGHT_FILES = { "netG.": "generator.safetensors", "netD.": "discriminator.safetensors" } as const;

/**
 * Queues where the run is: the run checkpoint (which `--resume` continues from), and each network's
 * weights as its own safetensors file (the average of G's as generator_ema.safetensors). Everything is
 * copied from the device now, once (the weight files share the checkpoint's copy); the files are
 * written in the background, the checkpoint first.
 *
 * @param writer the run's output writer
 * @param out the run folder
 * @param run the trainer, fixed noise, position and config
 * @param snapshot also keep the sampling generator's weights under this file name (`--save-every`)
 */
export function queueSaveRun(writer: RunWriter, out: string, run: RunState, snapshot?: string): void {
  const { entries, metadata } = runCheckpointSnapshot(run);
  const files: SafetensorsFile[] = [{ path: join(out, CHECKPOINT_FILE), entries, metadata }];
  const prefixes: [string, string][] = Object.entries(WEIGHT_FILES);
  if (run.trainer.netGEma) prefixes.push(["netG_ema.", "generator_ema.safetensors"]);
  for (const [prefix, name] of prefixes) {
    const weights: SafetensorsFile["entries"] = {};
    for (const [key, entry] of Object.entries(entries)) {
      if (key.startsWith(prefix)) weights[key.slice(prefix.length)] = entry;
    }
    files.push({ path: join(out, name), entries: weights });
  }
  if (snapshot) {
    // the generator the grids show: the average with --ema
    const sampling = files.find(({ path }) => path.endsWith("generator_ema.safetensors")) ??
      files.find(({ path }) => path.endsWith("generator.safetensors"))!;
    files.push({ path: join(out, snapshot), entries: sampling.entries });
  }
  writer.safetensors(files);
}
