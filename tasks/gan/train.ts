/**
 * The training run behind `deno task train`: the DCGAN seed loop over an image data set, with per-epoch
 * sample grids, loss plot, and checkpoints that `--resume` continues exactly. The config's variants
 * (see VARIANTS_README.md) change the step: `loss`, `nCritic`, `labelSmoothing`, `replay`, `ema` and
 * `conditional`. This is library code: it reports through {@linkcode TrainHooks} and never prints; the
 * program (tasks/cli/train.ts) draws the progress bar and turns Ctrl-C into a stop.
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import { randn, tensor } from "../../ops/creation.ts";
import { cudaIsAvailable, manualSeed, setCudnn } from "../../ops/runtime.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { BatchLoader } from "../data/loader.ts";
import { loadDataset } from "../data/load_dataset.ts";
import type { ImageBatch } from "../data/types.ts";
import { saveImageArray } from "../image/grid.ts";
import { writeRunVisuals } from "../image/run_visuals.ts";
import { ConfigError, resumeConfig, type TrainConfig } from "./config.ts";
import { CudaGraphStep } from "./cuda_graph_step.ts";
import { CHECKPOINT_FILE, type LoadedRun, loadRunCheckpoint, type RunPosition } from "./run_checkpoint.ts";
import {
  FIXED_NOISE_SAMPLES,
  FIXED_SAMPLES_PER_CLASS,
  fixedLabels,
  labelsToTensor,
  realVsFake,
  sampleGrid,
  saveRun,
} from "./run_outputs.ts";
import { dataShrank, nothingToTrain, resumeOverrides } from "./resume_notes.ts";
import { openRunFolder, type RunFolder } from "./run_folder.ts";
import { METRICS_FILE, MetricsWriter, truncateMetrics } from "./run_metrics.ts";
import { DcganTrainer, DivergenceError, type StepStats } from "./trainer.ts";

export { FIXED_NOISE_SAMPLES, FIXED_SAMPLES_PER_CLASS };

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

/** What a run knows when it is about to take its first step: enough for a progress display. */
export interface TrainStart {
  /** The config the run goes with (with `resume`, merged with the checkpoint's). */
  config: TrainConfig;
  /** Where it starts: step 0, or the checkpoint's position. */
  position: RunPosition;
  /** The step count it will stop at, counting earlier runs' steps (capped by `maxSteps`). */
  totalSteps: number;
  /** Batches per epoch. */
  batchesPerEpoch: number;
}

/** Hooks for whoever drives training (the program, tests, notebooks); the run itself prints nothing. */
export interface TrainHooks {
  /** Called once, before the first step. */
  onStart?: (start: TrainStart) => void;
  /** Called after every step. */
  onStep?: (stats: StepStats, position: RunPosition) => void;
  /** Checked after every step; return true to stop with a checkpoint (as Ctrl-C does). */
  shouldStop?: () => boolean;
  /**
   * The stop request: once aborted (the program does so on SIGINT, SIGTERM or SIGHUP), the run stops
   * after the step under way and saves a checkpoint at that batch, as `shouldStop` does.
   */
  signal?: AbortSignal;
  /**
   * The settings given by flag on the command line (see `settingsGiven` in resume_notes.ts): with
   * `resume`, those the checkpoint overrides are named in the log. Default: every setting that differs
   * from its default.
   */
  explicit?: ReadonlySet<string>;
  /** Where log lines go (the data set, the variant, resuming, every `logEvery` steps); default: nowhere. */
  log?: (line: string) => void;
}

/** A run in progress: what its steps share. */
interface Run {
  readonly config: TrainConfig;
  readonly trainer: DcganTrainer;
  readonly graphed?: CudaGraphStep;
  readonly loader: BatchLoader;
  readonly numClasses: number;
  readonly fixed: { noise: Tensor; labels?: Tensor };
  position: RunPosition;
  last?: StepStats;
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
 * Step 1, the run folder: checks the device, opens the folder (refusing an existing run without
 * `resume` or `overwrite`, taking its lock, removing stale temporary files), and with `resume` merges the
 * checkpoint's config (by each setting's resume rule) and cuts metrics.jsonl back to its step.
 */
async function prepareRun(
  config: TrainConfig,
  hooks: TrainHooks,
  log: (line: string) => void,
): Promise<{ config: TrainConfig; resumed?: LoadedRun; folder: RunFolder }> {
  const { device } = config;
  if (device !== "cpu" && !cudaIsAvailable()) {
    throw new ConfigError(
      `--device ${device}: this libtorch has no CUDA or sees no GPU; use --device cpu, or set LIBTORCH to a CUDA build`,
    );
  }
  if (device !== "cpu") setCudnn({ benchmark: true }); // the seed's `cudnn.benchmark = True`
  const folder = await openRunFolder(config.out, { resume: config.resume, overwrite: config.overwrite, log });
  try {
    if (!config.resume) return { config, folder };
    const resumed = await loadRunCheckpoint(join(config.out, CHECKPOINT_FILE));
    const merged = resumeConfig(resumed.config, config);
    const overrides = resumeOverrides(resumed.config, config, hooks.explicit);
    if (overrides) log(overrides);
    const metrics = join(config.out, METRICS_FILE);
    const { dropped } = await truncateMetrics(metrics, resumed.position.globalStep);
    if (dropped > 0) {
      log(`Dropped ${dropped} lines of ${metrics} past the checkpoint's step ${resumed.position.globalStep}`);
    }
    return { config: merged, resumed, folder };
  } catch (error) {
    folder.release();
    throw error;
  }
}

/** Step 2, the data: the images (and classes, for a conditional run) and the batch loader. */
async function loadData(
  config: TrainConfig,
  log: (line: string) => void,
): Promise<{ loader: BatchLoader; channels: number; numClasses: number }> {
  const dataset = await loadDataset(config, log);
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
  return { loader, channels: dataset.channels, numClasses };
}

/**
 * Step 3, the trainer: the networks from the seed (or the checkpoint), the fixed noise of the grids and
 * the position; a new run saves its config.json.
 */
async function buildRun(
  config: TrainConfig,
  data: { loader: BatchLoader; channels: number; numClasses: number },
  resumed: LoadedRun | undefined,
  log: (line: string) => void,
): Promise<Run> {
  const { device } = config;
  const { numClasses } = data;
  manualSeed(config.seed);
  const steps = (config.dryRun ? 1 : config.epochs) * data.loader.batchesPerEpoch;
  const totalSteps = config.maxSteps ? Math.min(steps, config.maxSteps) : steps; // instance noise anneals over it
  const trainer = new DcganTrainer({ ...config, nc: data.channels, numClasses, totalSteps });
  const graphed = config.cudaGraph ? new CudaGraphStep(trainer) : undefined;
  const gridSamples = numClasses > 0 ? numClasses * FIXED_SAMPLES_PER_CLASS : FIXED_NOISE_SAMPLES;
  let noise = randn([gridSamples, config.nz, 1, 1], { device });
  const labels = numClasses > 0 ? fixedLabels(numClasses, device) : undefined;
  let position: RunPosition = { epoch: 0, batch: 0, globalStep: 0 };
  if (resumed) {
    noise.dispose();
    noise = resumed.restore(trainer, device);
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
  return { config, trainer, graphed, loader: data.loader, numClasses, fixed: { noise, labels }, position };
}

/** One step on a batch, on the run's device. */
function takeStep(run: Run, batch: { images: ImageBatch; labels?: Int32Array }): StepStats {
  const { device } = run.config;
  const real = tensor(batch.images.data, { shape: batch.images.shape, device }); // copied straight to the device
  const labels = run.numClasses > 0 ? labelsToTensor(batch.labels!, device) : undefined;
  try {
    return run.graphed ? run.graphed.step(real) : run.trainer.step(real, undefined, labels);
  } finally {
    real.dispose();
    labels?.dispose();
  }
}

/** Saves the grid `name`, the checkpoint and the weights, and redraws the loss plot and progress.gif. */
async function saveOutputs(run: Run, grid: string): Promise<void> {
  const { out } = run.config;
  await sampleGrid(run.trainer, run.fixed, join(out, grid));
  await saveRun(out, { ...run, fixedNoise: run.fixed.noise });
  await writeRunVisuals(out);
}

/** Why the loop stops after this step, if it does. */
function stopReason(run: Run, hooks: TrainHooks): TrainResult["reason"] | undefined {
  const { config, position } = run;
  if (config.dryRun) return "dry-run";
  if (hooks.shouldStop?.() || hooks.signal?.aborted) return "interrupted";
  if (config.maxSteps && position.globalStep >= config.maxSteps) return "max-steps";
  return undefined;
}

/**
 * Step 4, the epoch loop: one step per batch, each step's numbers appended to metrics.jsonl, a log line
 * every `logEvery` steps, and the end-of-epoch outputs (grid, checkpoint, plot).
 */
async function trainEpochs(run: Run, hooks: TrainHooks, log: (line: string) => void) {
  const { config, loader } = run;
  const metrics = await MetricsWriter.open(join(config.out, METRICS_FILE));
  try {
    if (run.position.globalStep === 0) {
      const [first] = loader.epoch(0);
      if (first) {
        await saveImageArray(first.images, join(config.out, "real_samples.png"), { normalize: true });
      }
    }
    for (let epoch = run.position.epoch; epoch < config.epochs; epoch++) {
      let batchIndex = 0;
      for (const batch of loader.epoch(epoch)) {
        if (batchIndex++ < run.position.batch) continue; // resuming inside this epoch
        if (hooks.signal?.aborted) return "interrupted"; // asked to stop before this run's first step
        const last = run.last = takeStep(run, batch);
        run.position = { epoch, batch: batchIndex, globalStep: run.position.globalStep + 1 };
        const record = { epoch, batch: batchIndex, step: run.position.globalStep, time: Date.now(), ...last };
        await metrics.append(record);
        if (run.position.globalStep % config.logEvery === 0 || batchIndex === loader.batchesPerEpoch) {
          log(
            `[${epoch + 1}/${config.epochs}][${batchIndex}/${loader.batchesPerEpoch}] ` +
              `Loss_D: ${last.lossD.toFixed(4)} Loss_G: ${last.lossG.toFixed(4)} ` +
              `D(x): ${last.dx.toFixed(4)} D(G(z)): ${last.dgz1.toFixed(4)} / ${last.dgz2.toFixed(4)}`,
          );
        }
        hooks.onStep?.(last, run.position);
        const reason = stopReason(run, hooks);
        if (reason) return reason;
      }
      run.position = { epoch: epoch + 1, batch: 0, globalStep: run.position.globalStep };
      await saveOutputs(run, `fake_samples_epoch_${String(epoch + 1).padStart(3, "0")}.png`);
    }
    return "done";
  } finally {
    metrics.close();
  }
}

/**
 * Step 5, the final outputs: a run stopped inside an epoch saves exactly where (so `resume` continues
 * from the next batch), and every run draws a real batch beside its fakes.
 */
async function finishRun(run: Run, reason: TrainResult["reason"]): Promise<void> {
  if (reason !== "done") await saveOutputs(run, "fake_samples_last.png");
  await realVsFake(run.trainer, run.fixed, run.loader, join(run.config.out, "real_vs_fake.png"));
}

/**
 * Trains a DCGAN as configured, writing everything into `config.out`, which it locks while it runs.
 * Stop it with `hooks.signal` (or `shouldStop`): it finishes the step under way and saves a checkpoint
 * at that batch.
 *
 * @param config the run's settings (see {@linkcode parseTrainArgs})
 * @param hooks optional start and step callbacks, stop check and logger
 * @returns where the run is and how it ended
 * @throws {ConfigError} for a device without CUDA, an empty data set, a conditional run without labels,
 *   an empty `out`, or an `out` that holds a run without `resume` or `overwrite`
 * @throws {Error} naming the PID when another training holds `out` (a killed one's lock is taken over)
 * @throws {DivergenceError} when a loss turns NaN or infinite (the last checkpoint stays)
 * @example
 * ```ts ignore
 * import { train } from "./train.ts";
 * import { parseTrainArgs } from "./config.ts";
 * await train(parseTrainArgs(["--epochs", "1", "--image-size", "32"])!, { log: console.log });
 * ```
 */
export async function train(config: TrainConfig, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? (() => {});
  const prepared = await prepareRun(config, hooks, log);
  try {
    const data = await loadData(prepared.config, log);
    const run = await buildRun(prepared.config, data, prepared.resumed, log);
    return await trainRun(run, prepared.resumed !== undefined, hooks, log);
  } finally {
    prepared.folder.release();
  }
}

/** Steps 4 and 5 on a built run, then frees it. */
async function trainRun(
  run: Run,
  resumed: boolean,
  hooks: TrainHooks,
  log: (line: string) => void,
): Promise<TrainResult> {
  try {
    const { batchesPerEpoch } = run.loader;
    const start = run.position;
    if (resumed) {
      const note = nothingToTrain(run.config, start, batchesPerEpoch) ?? dataShrank(start, batchesPerEpoch);
      if (note) log(note);
    }
    const total = run.config.dryRun ? 1 : run.config.epochs * batchesPerEpoch;
    hooks.onStart?.({
      config: run.config,
      position: run.position,
      totalSteps: run.config.maxSteps ? Math.min(total, run.config.maxSteps) : total,
      batchesPerEpoch,
    });
    const reason = await trainEpochs(run, hooks, log);
    await finishRun(run, reason);
    const { position } = run;
    return {
      out: run.config.out,
      steps: position.globalStep,
      epochs: position.epoch,
      last: run.last,
      reason,
    };
  } catch (error) {
    if (error instanceof DivergenceError) {
      log(`${error.message}\nLast good checkpoint: ${join(run.config.out, CHECKPOINT_FILE)}`);
    }
    throw error;
  } finally {
    run.fixed.noise.dispose();
    run.fixed.labels?.dispose();
    run.graphed?.dispose();
    run.trainer.dispose();
  }
}
