/**
 * The training run behind `deno task train`: the DCGAN seed loop over an image data set, with per-epoch
 * sample grids, loss plot, and checkpoints that `--resume` continues exactly, written in the background
 * (./run_writer.ts) so an epoch's end costs the loop only the copies from the device. The config's variants
 * (see VARIANTS_README.md) change the step: `loss`, `nCritic`, `labelSmoothing`, `replay`, `ema` and
 * `conditional`. This is library code: it reports through {@linkcode TrainHooks} and never prints; the
 * program (tasks/cli/train.ts) draws the progress bar and turns Ctrl-C into a stop.
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import { randn } from "../../ops/creation.ts";
import { cudaIsAvailable, manualSeed, setCudnn } from "../../ops/runtime.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { type DeviceBatch, DeviceBatches } from "../data/device_batches.ts";
import type { BatchLoader } from "../data/loader.ts";
import { loadDataset } from "../data/load_dataset.ts";
import type { ImageDataset } from "../data/types.ts";
import { ConfigError, resolveTrainConfig, resumeConfig, type TrainConfig } from "./config.ts";
import { CudaGraphStep } from "./cuda_graph_step.ts";
import { CHECKPOINT_FILE, type LoadedRun, loadRunCheckpoint, type RunPosition } from "./run_checkpoint.ts";
import {
  FIXED_NOISE_SAMPLES,
  FIXED_SAMPLES_PER_CLASS,
  fixedLabels,
  queueSampleGrid,
  queueSaveRun,
  realVsFake,
  sampleGrid,
} from "./run_outputs.ts";
import { dataShrank, nothingToTrain, resumeOverrides } from "./resume_notes.ts";
import { openRunFolder, type RunFolder } from "./run_folder.ts";
import { METRICS_FILE, truncateMetrics } from "./run_metrics.ts";
import { RunWatch } from "./run_watch.ts";
import { RunWriter } from "./run_writer.ts";
import { StepLog } from "./step_log.ts";
import { loadStartWeights } from "./start_weights.ts";
import { DcganTrainer, DivergenceError, type StepStats, type StepSync } from "./trainer.ts";
import { rankBatchSize } from "./data_parallel.ts";

export { FIXED_NOISE_SAMPLES, FIXED_SAMPLES_PER_CLASS };

import type { TrainHooks, TrainResult } from "./train_types.ts";

export type { TrainHooks, TrainResult, TrainStart } from "./train_types.ts";

/** A run in progress: what its steps share. */
interface Run {
  readonly config: TrainConfig;
  readonly trainer: DcganTrainer;
  readonly graphed?: CudaGraphStep;
  /** The batches on the device, and the host loader they follow (for real_samples.png, real_vs_fake.png). */
  readonly batches: DeviceBatches;
  readonly loader: BatchLoader;
  /** Writes grids, pictures and checkpoints in the background. */
  readonly writer: RunWriter;
  readonly numClasses: number;
  readonly fixed: { noise: Tensor; labels?: Tensor };
  /** Health and evals (./run_watch.ts). */
  readonly watch: RunWatch;
  /** Whether this process writes the run: one alone, or rank 0 of a data-parallel job. */
  readonly writes: boolean;
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
  if (config.spectralNorm) parts.push("--spectral-norm");
  if (config.augment.length > 0) parts.push(`--augment ${config.augment.join(",")}`);
  if (parts.length === 0) return undefined;
  const lr = config.lrD === config.lrG ? `${config.lrD}` : `D ${config.lrD}, G ${config.lrG}`;
  return `Variant: ${parts.join(", ")}; Adam lr ${lr}, betas (${config.beta1}, ${config.beta2}); ` +
    `recipe ${config.recipe}`;
}

/**
 * Step 1, the run folder: checks the device, opens the folder (refusing an existing run without
 * `resume` or `overwrite`, taking its lock, removing stale temporary files), and with `resume` merges the
 * checkpoint's config (by each setting's resume rule) and cuts metrics.jsonl back to its step. A
 * data-parallel rank other than 0 opens nothing and only reads the checkpoint.
 */
async function prepareRun(
  config: TrainConfig,
  hooks: TrainHooks,
  log: (line: string) => void,
): Promise<{ config: TrainConfig; resumed?: LoadedRun; folder?: RunFolder }> {
  const { device } = config;
  if (device !== "cpu" && !cudaIsAvailable()) {
    throw new ConfigError(
      `--device ${device}: this libtorch has no CUDA or sees no GPU; use --device cpu, or set LIBTORCH to a CUDA build`,
    );
  }
  if (device !== "cpu") setCudnn({ benchmark: true }); // the seed's `cudnn.benchmark = True`
  if (!writesRun(hooks)) {
    // a rank other than 0 writes nothing: no lock, no metrics cut; resuming, it reads rank 0's checkpoint
    if (!config.resume) return { config };
    const resumed = await loadRunCheckpoint(join(config.out, CHECKPOINT_FILE));
    return { config: resumeConfig(resumed.config, config, hooks.explicit), resumed };
  }
  const folder = await openRunFolder(config.out, { resume: config.resume, overwrite: config.overwrite, log });
  try {
    if (!config.resume) return { config, folder };
    const resumed = await loadRunCheckpoint(join(config.out, CHECKPOINT_FILE));
    const merged = resumeConfig(resumed.config, config, hooks.explicit);
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

/** Whether this process writes the run: one alone, or rank 0 of a data-parallel job. */
function writesRun(hooks: TrainHooks): boolean {
  return (hooks.parallel?.rank ?? 0) === 0;
}

/** What step 2 gives: the images, their batches (and the host loader they follow), channels and classes. */
interface RunData {
  dataset: ImageDataset;
  batches: DeviceBatches;
  loader: BatchLoader;
  channels: number;
  numClasses: number;
}

/** Step 2, the data: the images (and classes, for a conditional run), batched onto the device. */
async function loadData(
  config: TrainConfig,
  log: (line: string) => void,
  parallel?: StepSync,
): Promise<RunData> {
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
  const { batchSize, seed, device } = config;
  const shard = parallel && { rank: parallel.rank, worldSize: parallel.worldSize };
  const rankBatch = rankBatchSize(batchSize, parallel?.worldSize ?? 1);
  const batches = new DeviceBatches(dataset, { batchSize: rankBatch, seed, device, shard });
  return { dataset, batches, loader: batches.loader, channels: dataset.channels, numClasses };
}

/**
 * Step 3, the trainer: the networks from the seed (or the checkpoint), the fixed noise of the grids and
 * the position; a new run saves its config.json.
 */
async function buildRun(
  config: TrainConfig,
  data: RunData,
  resumed: LoadedRun | undefined,
  log: (line: string) => void,
  { sync, writes }: { sync?: StepSync; writes: boolean },
): Promise<Omit<Run, "writer" | "watch">> {
  const { device } = config;
  const { numClasses } = data;
  manualSeed(config.seed);
  const steps = (config.dryRun ? 1 : config.epochs) * data.loader.batchesPerEpoch;
  const totalSteps = config.maxSteps ? Math.min(steps, config.maxSteps) : steps; // instance noise anneals over it
  const trainer = new DcganTrainer({ ...config, nc: data.channels, numClasses, totalSteps, sync });
  try {
    if (!resumed) await loadStartWeights(trainer, config); // --netG, --netD
  } catch (error) {
    trainer.dispose();
    throw error;
  }
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
  } else if (writes) {
    await writeFileAtomic(
      join(config.out, "config.json"),
      new TextEncoder().encode(JSON.stringify(config, null, 2)),
    );
  }
  trainer.globalStep = position.globalStep;
  const { batches, loader } = data;
  return {
    config,
    trainer,
    graphed,
    batches,
    loader,
    numClasses,
    fixed: { noise, labels },
    writes,
    position,
  };
}

/** One step on a batch on the run's device; its numbers stay there until read (./step_log.ts). */
function takeStep(run: Run, batch: DeviceBatch): Tensor {
  const labels = run.numClasses > 0 ? batch.labels : undefined;
  return run.graphed
    ? run.graphed.stepUnread(batch.images)
    : run.trainer.stepUnread(batch.images, undefined, labels);
}

/**
 * Saves the grid `name` (with `gif`, into progress.gif too), the checkpoint and the weights: copied from
 * the device now, encoded and written in the background. The last save of a run and the kept snapshots
 * give the average of G its own BatchNorm statistics first (`updateEmaBatchNorm`, a few forward passes:
 * not at every epoch's save).
 */
function saveOutputs(
  run: Run,
  grid: string,
  options: { gif: boolean; last: boolean; snapshot?: string },
): void {
  const { out } = run.config;
  const { gif, last, snapshot } = options;
  const images = run.watch.takeGrid() ?? sampleGrid(run); // sampling moves G's BatchNorm statistics: first
  if (last || snapshot) run.trainer.updateEmaBatchNorm();
  queueSaveRun(run.writer, out, { ...run, fixedNoise: run.fixed.noise }, snapshot); // the writer starts on it first
  queueSampleGrid(run.writer, run, join(out, grid), { gif, images });
}

/** The writer's jobs an epoch may leave queued (about 3 an epoch: grid, checkpoint, plot points). */
const WRITER_BACKLOG = 8;

/** Why the loop stops after this step, if it does. */
function stopReason(run: Run, hooks: TrainHooks): TrainResult["reason"] | undefined {
  const { config, position } = run;
  if (config.dryRun) return "dry-run";
  if (hooks.shouldStop?.() || hooks.signal?.aborted) return "interrupted";
  if (config.maxSteps && position.globalStep >= config.maxSteps) return "max-steps";
  return undefined;
}

/**
 * Step 4, the epoch loop: one step per batch, each step's numbers to metrics.jsonl, a log line every
 * `logEvery` steps (./step_log.ts), and the end-of-epoch outputs (grid, checkpoint), which are queued for
 * the run's writer. At every stop, every step is read and its line written before the checkpoint is taken.
 */
async function trainEpochs(run: Run, hooks: TrainHooks, log: (line: string) => void) {
  const { config, batches, writer } = run;
  const { batchesPerEpoch } = batches;
  const metrics = run.writes ? join(config.out, METRICS_FILE) : undefined;
  const steps = await StepLog.open(metrics, { ...run, batchesPerEpoch }, {
    writer,
    log,
    onStep: hooks.onStep,
    annotate: (stats, position) => run.watch.annotate(stats, position),
  });
  try {
    await writer.ready; // metrics.jsonl is read before this run appends to it
    writer.throwIfFailed();
    if (run.position.globalStep === 0) {
      const [first] = run.loader.epoch(0);
      if (first) writer.grid(join(config.out, "real_samples.png"), first.images, { nrow: 8, gif: false });
    }
    for (let epoch = run.position.epoch; epoch < config.epochs; epoch++) {
      let batchIndex = run.position.batch; // resuming inside this epoch: its first batches are skipped
      for (using batch of batches.epoch(epoch, { from: batchIndex })) {
        if (hooks.signal?.aborted) return "interrupted"; // asked to stop before this run's first step
        const stats = takeStep(run, batch);
        run.position = { epoch, batch: ++batchIndex, globalStep: run.position.globalStep + 1 };
        await run.watch.afterStep(run, run.position); // the epoch's grid, an eval when due
        steps.push(stats, run.position);
        const reason = stopReason(run, hooks);
        if (reason) {
          await steps.stop();
          return reason;
        }
        await steps.tick();
      }
      run.position = { epoch: epoch + 1, batch: 0, globalStep: run.position.globalStep };
      await steps.stop(); // metrics.jsonl reaches the checkpoint's step before the checkpoint is written
      const number = String(epoch + 1).padStart(3, "0");
      const keep = config.saveEvery > 0 && (epoch + 1) % config.saveEvery === 0;
      saveOutputs(run, `fake_samples_epoch_${number}.png`, {
        gif: true,
        last: epoch + 1 === config.epochs,
        snapshot: keep ? `generator_epoch_${number}.safetensors` : undefined,
      });
      await writer.waitForBacklog(WRITER_BACKLOG); // when epochs outrun their pictures
    }
    return "done";
  } finally {
    run.last = steps.last;
    await steps.stop().catch(() => {}); // after a failure: the lines of the steps before it
    steps.close();
  }
}

/**
 * Step 5, the final outputs: a run stopped inside an epoch saves exactly where (so `resume` continues
 * from the next batch), every run draws its loss plot and a real batch beside its fakes, and waits for
 * its writer.
 */
async function finishRun(run: Run, reason: TrainResult["reason"]): Promise<void> {
  if (reason !== "done") saveOutputs(run, "fake_samples_last.png", { gif: false, last: true });
  run.writer.losses([], { force: true });
  if (run.writes) {
    await realVsFake(run.trainer, run.fixed, run.loader, join(run.config.out, "real_vs_fake.png"));
  }
  await run.writer.settle();
}

/**
 * Trains a DCGAN as configured, writing everything into `config.out`, which it locks while it runs.
 * Settings left out take the defaults `deno task train` gives (see {@linkcode resolveTrainConfig}).
 * Stop it with `hooks.signal` (or `shouldStop`): it finishes the step under way and saves a checkpoint
 * at that batch.
 *
 * @param options the run's settings, any of {@linkcode TrainConfig}'s (a whole config from
 *   {@linkcode parseTrainArgs} too); default: the CLI's defaults
 * @param hooks optional start and step callbacks, stop check and logger
 * @returns where the run is and how it ended
 * @throws {ConfigError} for an unknown setting or a value the flag table refuses, a device without CUDA,
 *   an empty data set, a conditional run without labels, an empty `out`, an `out` that holds a run
 *   without `resume` or `overwrite`, or a `netG`/`netD` file that is missing or does not fit the networks
 * @throws {Error} naming the PID when another training holds `out` (a killed one's lock is taken over)
 * @throws {DivergenceError} when a loss turns NaN or infinite (the last checkpoint stays)
 * @example
 * ```ts ignore
 * import { train } from "./train.ts";
 * const result = await train({ data: "fashion-mnist", imageSize: 32, epochs: 1 }, { log: console.log });
 * console.log(result.out); // runs/fashion-mnist-<time>
 * ```
 */
export async function train(
  options: Partial<TrainConfig> = {},
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const config = resolveTrainConfig(options);
  const log = hooks.log ?? (() => {});
  const prepared = await prepareRun(config, hooks, log);
  // the writer's worker starts while the data loads; it reads metrics.jsonl as the checkpoint left it
  const writes = writesRun(hooks);
  const writer = writes ? RunWriter.open(prepared.config.out) : RunWriter.discarding();
  try {
    const data = await loadData(prepared.config, log, hooks.parallel);
    try {
      using watch = await RunWatch.open(prepared.config, { ...data, log });
      const run = await buildRun(prepared.config, data, prepared.resumed, log, {
        sync: hooks.parallel,
        writes,
      });
      return await trainRun({ ...run, writer, watch }, prepared.resumed !== undefined, hooks, log);
    } finally {
      data.batches.dispose();
    }
  } finally {
    writer.close();
    prepared.folder?.release();
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
      work: await run.writer.work(),
    };
  } catch (error) {
    if (error instanceof DivergenceError) {
      log(`${error.message}\nLast good checkpoint: ${join(run.config.out, CHECKPOINT_FILE)}`);
    }
    throw error;
  } finally {
    await run.writer.settle().catch(() => {}); // after a failure too: the checkpoints queued before it
    run.fixed.noise.dispose();
    run.fixed.labels?.dispose();
    run.graphed?.dispose();
    run.trainer.dispose();
  }
}
