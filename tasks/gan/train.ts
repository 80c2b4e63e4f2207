/**
 * `deno task train`: the DCGAN seed loop over an image data set, with per-epoch sample grids, loss
 * plot, checkpoints that `--resume` continues exactly, and a clean stop on Ctrl-C. Flags pick the GAN
 * variants of the course material (see VARIANTS_README.md): `--loss lsgan|hinge|wgan-gp`,
 * `--n-critic`, `--label-smoothing`, `--replay`, `--ema` and `--conditional`.
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import { saveStateDict } from "../../models/io/state_dict_file.ts";
import { tensor } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import { cudaIsAvailable, manualSeed, setCudnn } from "../../ops/runtime.ts";
import { randn } from "../../ops/creation.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { BatchLoader } from "../data/loader.ts";
import { loadDataset } from "../data/load_dataset.ts";
import type { ImageBatch, ImageDataset } from "../data/types.ts";
import { formatDuration, ProgressBar } from "../cli/progress.ts";
import { CHECKPOINT_FILE, loadRunCheckpoint, type RunPosition, saveRunCheckpoint } from "./run_checkpoint.ts";
import { ConfigError, type TrainConfig } from "./config.ts";
import { CudaGraphStep } from "./cuda_graph_step.ts";
import { DcganTrainer, DivergenceError, type StepStats } from "./trainer.ts";
import { saveImageArray } from "../image/grid.ts";
import { writeRealVsFake } from "../image/real_vs_fake.ts";
import { writeRunVisuals } from "../image/run_visuals.ts";

/** Samples in the fixed-noise grid (8x8). */
export const FIXED_NOISE_SAMPLES = 64;

/** Samples per class (one grid row each) in a conditional run's fixed-noise grid. */
export const FIXED_SAMPLES_PER_CLASS = 8;

/** What a finished (or stopped) run leaves behind. */
export interface TrainResult {
  /** The run folder. */
  out: string;
  /** Steps taken in all, across resumes. */
  steps: number;
  /** Epochs completed. */
  epochs: number;
  /** The last step's numbers. */
  last?: StepStats;
  /** Why the loop ended. */
  reason: "done" | "interrupted" | "max-steps" | "dry-run";
}

/** Hooks for callers that drive training programmatically (tests, notebooks). */
export interface TrainHooks {
  /** Called after every step. */
  onStep?: (stats: StepStats, position: RunPosition) => void;
  /** Checked after every step; return true to stop with a checkpoint (as Ctrl-C does). */
  shouldStop?: () => boolean;
  /** Where log lines go; default console.log. */
  log?: (line: string) => void;
}

function imagesToTensor(images: ImageBatch, device: Device): Tensor {
  return tensor(images.data, { shape: images.shape, device }); // copied straight to the device
}

function labelsToTensor(labels: Int32Array, device: Device): Tensor {
  return tensor(BigInt64Array.from(labels, (label) => BigInt(label)), { device });
}

/** A conditional grid's labels: row r (FIXED_SAMPLES_PER_CLASS images) is class r. */
function fixedLabels(numClasses: number, device: Device): Tensor {
  const labels = Int32Array.from(
    { length: numClasses * FIXED_SAMPLES_PER_CLASS },
    (_, i) => Math.floor(i / FIXED_SAMPLES_PER_CLASS),
  );
  return labelsToTensor(labels, device);
}

async function sampleGrid(
  trainer: DcganTrainer,
  fixed: { noise: Tensor; labels?: Tensor },
  path: string,
): Promise<void> {
  // as the seed: netG(fixed_noise) in training mode, saved with normalize=True (the average of G's
  // weights with --ema; one row per class with --conditional)
  const fake = trainer.sampleImages(fixed.noise, fixed.labels);
  try {
    await saveImageArray({ data: fake.toFloat32Array(), shape: fake.shape as ImageBatch["shape"] }, path, {
      normalize: true,
      nrow: fixed.labels ? FIXED_SAMPLES_PER_CLASS : 8,
    });
  } finally {
    fake.dispose();
  }
}

/** A real batch beside fixed-noise fakes: how close the run got, at a glance. */
async function realVsFake(
  trainer: DcganTrainer,
  fixed: { noise: Tensor; labels?: Tensor },
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

function describeVariant(config: TrainConfig, numClasses: number): string | undefined {
  const parts: string[] = [];
  if (config.loss !== "bce") parts.push(`--loss ${config.loss}`);
  if (config.nCritic !== 1) parts.push(`--n-critic ${config.nCritic}`);
  if (config.labelSmoothing !== 1) parts.push(`--label-smoothing ${config.labelSmoothing}`);
  if (config.replay > 0) parts.push(`--replay ${config.replay}`);
  if (config.ema > 0) parts.push(`--ema ${config.ema}`);
  if (config.conditional) parts.push(`--conditional (${numClasses} classes)`);
  if (parts.length === 0) return undefined;
  return `Variant: ${parts.join(", ")}; Adam lr ${config.lr}, betas (${config.beta1}, ${config.beta2})`;
}

/**
 * Trains a DCGAN as configured, writing everything into `config.out`.
 *
 * @param config the run's settings (see {@linkcode parseTrainArgs})
 * @param hooks optional step callback, stop check and logger
 * @returns where the run is and how it ended
 * @throws {DivergenceError} when a loss turns NaN or infinite (the last checkpoint stays)
 * @example
 * ```ts ignore
 * import { train } from "./train.ts";
 * import { parseTrainArgs } from "./config.ts";
 * await train(parseTrainArgs(["--epochs", "1", "--image-size", "32"])!);
 * ```
 */
export async function train(config: TrainConfig, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? ((line: string) => console.log(line));
  const device = config.device as Device;
  if (device !== "cpu" && !cudaIsAvailable()) {
    throw new ConfigError(
      `--device ${device}: this libtorch has no CUDA or sees no GPU; use --device cpu, or set LIBTORCH to a CUDA build`,
    );
  }
  if (device !== "cpu") setCudnn({ benchmark: true }); // the seed's `cudnn.benchmark = True`
  const resumed = config.resume ? await loadRunCheckpoint(join(config.out, CHECKPOINT_FILE)) : undefined;
  if (resumed) {
    // the network shapes and seed come from the checkpoint; epochs and limits from the flags
    const saved = resumed.config;
    config = {
      ...saved,
      epochs: config.epochs,
      maxSteps: config.maxSteps,
      logEvery: config.logEvery,
      out: config.out,
      resume: true,
      dryRun: config.dryRun,
      device: config.device,
      channelsLast: config.channelsLast,
      amp: config.amp,
      cudaGraph: config.cudaGraph,
    };
  }
  await Deno.mkdir(config.out, { recursive: true }).catch((error) => {
    throw new Error(`Cannot create the run folder "${config.out}": ${error.message}; pass a writable --out`, {
      cause: error,
    });
  });
  const dataset: ImageDataset = await loadDataset(config, log);
  if (dataset.count === 0) {
    throw new ConfigError("The data set is empty: pass --data with a folder of images");
  }
  let numClasses = 0;
  if (config.conditional) {
    if (!dataset.labels) {
      throw new ConfigError(
        "--conditional needs class labels, and this data set has none: use --data fashion-mnist or the emoji set",
      );
    }
    numClasses = dataset.names?.length ?? dataset.labels.reduce((a, b) => Math.max(a, b), 0) + 1;
  }
  const variant = describeVariant(config, numClasses);
  if (variant) log(variant);
  const loader = new BatchLoader(dataset, { batchSize: config.batchSize, seed: config.seed });
  manualSeed(config.seed);
  const trainer = new DcganTrainer({
    nz: config.nz,
    ngf: config.ngf,
    ndf: config.ndf,
    nc: dataset.channels,
    imageSize: config.imageSize,
    lr: config.lr,
    beta1: config.beta1,
    beta2: config.beta2,
    device,
    loss: config.loss,
    nCritic: config.nCritic,
    realLabel: config.labelSmoothing,
    replay: config.replay,
    ema: config.ema,
    numClasses,
    channelsLast: config.channelsLast,
    autocast: config.amp === "bf16" ? "bfloat16" : config.amp === "fp16" ? "float16" : undefined,
  });
  const graphed = config.cudaGraph ? new CudaGraphStep(trainer) : undefined;
  const gridSamples = numClasses > 0 ? numClasses * FIXED_SAMPLES_PER_CLASS : FIXED_NOISE_SAMPLES;
  let fixedNoise = randn([gridSamples, config.nz, 1, 1], { device });
  const gridLabels = numClasses > 0 ? fixedLabels(numClasses, device) : undefined;
  let position: RunPosition = { epoch: 0, batch: 0, globalStep: 0 };
  if (resumed) {
    fixedNoise.dispose();
    fixedNoise = resumed.restore(trainer, device);
    position = resumed.position;
    log(
      `Resuming ${config.out} at epoch ${
        position.epoch + 1
      }, batch ${position.batch}, step ${position.globalStep}`,
    );
  } else {
    await writeFileAtomic(
      join(config.out, "config.json"),
      new TextEncoder().encode(JSON.stringify(config, null, 2)),
    );
  }
  trainer.globalStep = position.globalStep;

  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) Deno.exit(130); // a second Ctrl-C: leave now, the last checkpoint stays
    stopRequested = true;
  };
  try {
    Deno.addSignalListener("SIGINT", onSigint);
  } catch { /* no signal support here (e.g. Windows without a console) */ }

  const metrics = await Deno.open(join(config.out, "metrics.jsonl"), { append: true, create: true });
  const encoder = new TextEncoder();
  const total = config.dryRun ? 1 : config.epochs * loader.batchesPerEpoch;
  const progress = new ProgressBar(
    config.maxSteps ? Math.min(total, config.maxSteps) : total,
    position.globalStep,
  );
  let last: StepStats | undefined;
  let reason: TrainResult["reason"] = "done";
  const started = performance.now();
  const checkpoint = async () => {
    await saveRunCheckpoint(join(config.out, CHECKPOINT_FILE), { trainer, fixedNoise, position, config });
    await saveStateDict(trainer.netG, join(config.out, "generator.safetensors"));
    await saveStateDict(trainer.netD, join(config.out, "discriminator.safetensors"));
    if (trainer.netGEma) {
      await saveStateDict(trainer.netGEma, join(config.out, "generator_ema.safetensors"));
    }
  };
  const grid = (path: string) => sampleGrid(trainer, { noise: fixedNoise, labels: gridLabels }, path);
  try {
    if (position.globalStep === 0) {
      const [first] = loader.epoch(0);
      if (first) {
        await saveImageArray(first.images, join(config.out, "real_samples.png"), { normalize: true });
      }
    }
    epochs: for (let epoch = position.epoch; epoch < config.epochs; epoch++) {
      let batchIndex = 0;
      for (const batch of loader.epoch(epoch)) {
        if (batchIndex++ < position.batch) continue; // resuming inside this epoch
        const real = imagesToTensor(batch.images, device);
        const labels = numClasses > 0 ? labelsToTensor(batch.labels!, device) : undefined;
        try {
          last = graphed ? graphed.step(real) : trainer.step(real, undefined, labels);
        } finally {
          real.dispose();
          labels?.dispose();
        }
        position = { epoch, batch: batchIndex, globalStep: position.globalStep + 1 };
        const record = { epoch, batch: batchIndex, step: position.globalStep, time: Date.now(), ...last };
        await metrics.write(encoder.encode(JSON.stringify(record) + "\n"));
        hooks.onStep?.(last, position);
        const line = `[${epoch + 1}/${config.epochs}][${batchIndex}/${loader.batchesPerEpoch}] ` +
          `Loss_D: ${last.lossD.toFixed(4)} Loss_G: ${last.lossG.toFixed(4)} ` +
          `D(x): ${last.dx.toFixed(4)} D(G(z)): ${last.dgz1.toFixed(4)} / ${last.dgz2.toFixed(4)}`;
        if (position.globalStep % config.logEvery === 0 || batchIndex === loader.batchesPerEpoch) {
          progress.clear();
          log(line);
        }
        progress.update(
          position.globalStep,
          `Loss_D ${last.lossD.toFixed(3)} Loss_G ${last.lossG.toFixed(3)}`,
        );
        if (config.dryRun) {
          reason = "dry-run";
          break epochs;
        }
        if (stopRequested || hooks.shouldStop?.()) {
          reason = "interrupted";
          break epochs;
        }
        if (config.maxSteps && position.globalStep >= config.maxSteps) {
          reason = "max-steps";
          break epochs;
        }
      }
      position = { epoch: epoch + 1, batch: 0, globalStep: position.globalStep };
      await grid(join(config.out, `fake_samples_epoch_${String(epoch + 1).padStart(3, "0")}.png`));
      await checkpoint();
      await writeRunVisuals(config.out);
    }
    if (reason !== "done") {
      // stopped inside an epoch: save exactly where, so --resume continues from the next batch
      await grid(join(config.out, "fake_samples_last.png"));
      await checkpoint();
      await writeRunVisuals(config.out);
    }
    await realVsFake(
      trainer,
      { noise: fixedNoise, labels: gridLabels },
      loader,
      join(config.out, "real_vs_fake.png"),
    );
  } catch (error) {
    if (error instanceof DivergenceError) {
      progress.clear();
      log(`${error.message}\nLast good checkpoint: ${join(config.out, CHECKPOINT_FILE)}`);
    }
    throw error;
  } finally {
    progress.clear();
    metrics.close();
    try {
      Deno.removeSignalListener("SIGINT", onSigint);
    } catch { /* not added */ }
    fixedNoise.dispose();
    gridLabels?.dispose();
    graphed?.dispose();
    trainer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  log(
    `${reason === "interrupted" ? "Stopped" : "Finished"} after ${position.globalStep} steps in ${
      formatDuration(seconds)
    }. ` +
      `Run folder: ${config.out} (samples, generator.safetensors, ${CHECKPOINT_FILE}, metrics.jsonl)`,
  );
  return { out: config.out, steps: position.globalStep, epochs: position.epoch, last, reason };
}
