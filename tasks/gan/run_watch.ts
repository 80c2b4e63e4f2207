/**
 * What a training run watches besides its losses: its health (./health.ts), from every step's numbers
 * and each epoch's fixed-noise grid, and with `evalEvery` its FID and KID (./train_eval.ts). Both end up
 * on metrics.jsonl's step lines: `fid` and `kid` on an eval's step, `health` (the epoch's issues, `[]`
 * when none) on each epoch's last step.
 *
 * The epoch's grid is sampled right after its last step, before that step's line is written (the grid
 * tells G collapse), and the same images become the epoch's PNG: G samples the grid once, as before, so
 * its BatchNorm statistics and the checkpoint are what they were.
 *
 * @module
 */

import type { BatchLoader } from "../data/loader.ts";
import type { ImageBatch, ImageDataset } from "../data/types.ts";
import type { TrainConfig } from "./config.ts";
import { TrainingHealth } from "./health.ts";
import type { RunPosition } from "./run_checkpoint.ts";
import { type FixedInputs, sampleGrid } from "./run_outputs.ts";
import { type TrainEvalResult, TrainEvaluator } from "./train_eval.ts";
import type { DcganTrainer, StepStats } from "./trainer.ts";

/** What {@linkcode RunWatch.open} needs of the run. */
export interface RunWatchOptions {
  /** The training images (the eval's real sample). */
  dataset: ImageDataset;
  /** Their loader: batches per epoch (the step that ends an epoch), and epoch 0's first batch, G collapse's yardstick (real_samples.png's images). */
  loader: BatchLoader;
  /** Where the health reports and the evals' lines go. */
  log: (line: string) => void;
}

/** The most real images G collapse compares with (as many as the 8x8 grid). */
const REAL_BATCH_IMAGES = 64;

/**
 * A run's health and evals; {@linkcode RunWatch.afterStep} after each step, and
 * {@linkcode RunWatch.annotate} as the step log's `annotate` hook.
 *
 * @example
 * ```ts ignore
 * import { RunWatch } from "./run_watch.ts";
 * using watch = await RunWatch.open(config, { dataset, loader, log: console.log });
 * await watch.afterStep(run, position); // after each step, before its numbers are pushed to the log
 * ```
 */
export class RunWatch implements Disposable {
  readonly #health: TrainingHealth;
  #evaluator?: TrainEvaluator;
  readonly #evalEvery: number;
  readonly #batchesPerEpoch: number;
  readonly #evals = new Map<number, TrainEvalResult>();
  #grid?: ImageBatch;

  private constructor(config: TrainConfig, batchesPerEpoch: number, log: (line: string) => void) {
    this.#health = new TrainingHealth(config, { batchesPerEpoch, log });
    this.#evalEvery = config.evalEvery;
    this.#batchesPerEpoch = batchesPerEpoch;
  }

  /**
   * Starts watching: with `evalEvery`, loads the feature network and the real features (see
   * {@linkcode TrainEvaluator.open}).
   *
   * @param config the run's config (`out`, the run folder, holds the eval's cache and best generator)
   * @param options the data, its loader and the log
   * @returns the watch; dispose it when the run ends
   * @throws {ConfigError} for an eval the data cannot have (no feature network for it)
   */
  static async open(config: TrainConfig, options: RunWatchOptions): Promise<RunWatch> {
    const { dataset, loader, log } = options;
    const watch = new RunWatch(config, loader.batchesPerEpoch, log);
    const real = loader.epoch(0).next().value?.images;
    if (real && real.shape[0] >= 2) {
      const [n, c, h, w] = real.shape;
      const count = Math.min(n, REAL_BATCH_IMAGES);
      watch.#health.setRealBatch({ data: real.data.subarray(0, count * c * h * w), shape: [count, c, h, w] });
    }
    if (config.evalEvery > 0 && !config.dryRun) {
      watch.#evaluator = await TrainEvaluator.open(config, { out: config.out, dataset, log });
    }
    return watch;
  }

  /**
   * After a step, before its numbers go to the step log: samples the epoch's grid when the step ends an
   * epoch, and scores the sampling generator when an eval is due.
   *
   * @param run the networks and the grid's inputs
   * @param position where the run is after the step
   */
  async afterStep(run: { trainer: DcganTrainer; fixed: FixedInputs }, position: RunPosition): Promise<void> {
    if (position.batch === this.#batchesPerEpoch) {
      this.#grid = sampleGrid(run);
      this.#health.grid(position.epoch, this.#grid);
    }
    if (this.#evaluator && position.globalStep % this.#evalEvery === 0) {
      run.trainer.updateEmaBatchNorm(); // it is scored in eval mode, as `deno task eval` scores its file
      const netG = run.trainer.netGEma ?? run.trainer.netG;
      this.#evals.set(position.globalStep, await this.#evaluator.evaluate(netG, position.globalStep));
    }
  }

  /**
   * The grid sampled after the epoch's last step, once (then undefined until the next epoch's end).
   *
   * @returns the images, or undefined when the run is not at an epoch's end
   */
  takeGrid(): ImageBatch | undefined {
    const grid = this.#grid;
    this.#grid = undefined;
    return grid;
  }

  /**
   * The step log's `annotate` hook: feeds the health rules, and gives the step's `fid` and `kid` (after
   * an eval) and `health` (at an epoch's end).
   *
   * @param stats the step's numbers
   * @param position where the run was after it
   * @returns fields for its metrics line, if any
   */
  annotate(stats: StepStats, position: RunPosition): Record<string, unknown> | undefined {
    this.#health.step(stats, position);
    let fields: Record<string, unknown> | undefined;
    const result = this.#evals.get(position.globalStep);
    if (result) {
      this.#evals.delete(position.globalStep);
      fields = { fid: result.fid, kid: result.kid.mean };
    }
    if (position.batch === this.#batchesPerEpoch) {
      fields = { ...fields, health: this.#health.endEpoch(position.epoch) };
    }
    return fields;
  }

  /** Frees the eval's network and features. */
  [Symbol.dispose](): void {
    this.#evaluator?.dispose();
  }
}
