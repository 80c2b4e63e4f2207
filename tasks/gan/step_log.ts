/**
 * What a training loop reports for each step, kept off the step's path: the step's numbers are read
 * from the device in batches (./step_stats.ts), each step becomes a metrics.jsonl line (buffered,
 * flushed once a second and at every stop), a log line every `logEvery` steps and at each epoch's end,
 * a call of the `onStep` hook, and a point of the loss plot (handed to the run's writer).
 *
 * When the numbers are read: on the CPU after every step (a read there is a copy: the step has already
 * run); on a GPU at each log line and at least once a second, in one read for all steps since, so the
 * GPU is never left waiting for the host in between. What a GPU run gives up for that: `onStep` (the
 * progress bar) is called in bursts, and a NaN loss is found up to `logEvery` steps late, after the
 * optimizers took those steps; the run then stops with the divergence as before, its last checkpoint
 * (written before the NaN) intact, and every step before the NaN in metrics.jsonl.
 *
 * @module
 */

import type { Tensor } from "../../ops/tensor.ts";
import type { LossRecord } from "../image/run_visuals.ts";
import type { TrainConfig } from "./config.ts";
import type { RunPosition } from "./run_checkpoint.ts";
import { MetricsWriter } from "./run_metrics.ts";
import type { RunWriter } from "./run_writer.ts";
import { StepReader } from "./step_stats.ts";
import type { DcganTrainer, StepStats } from "./trainer.ts";

/** How long metrics lines (and, on a GPU, unread steps) may wait, in milliseconds. */
const FLUSH_EVERY_MS = 1000;

/** What the step log needs of the run. */
export interface StepLogRun {
  /** The trainer whose steps are read. */
  trainer: DcganTrainer;
  /** The log's settings: epochs (for the log line), logEvery, and the device (when to read). */
  config: Pick<TrainConfig, "epochs" | "logEvery" | "device">;
  /** Batches per epoch (an epoch's last step is always logged). */
  batchesPerEpoch: number;
}

/** Where a step's report goes. */
export interface StepLogTargets {
  /** The run's writer, which draws the loss plot. */
  writer: RunWriter;
  /** Log lines. */
  log: (line: string) => void;
  /** Called for every step, in order, once its numbers are read. */
  onStep?: (stats: StepStats, position: RunPosition) => void;
  /** Called for every step, in order, once its numbers are read: fields added to its metrics line. */
  annotate?: (stats: StepStats, position: RunPosition) => Record<string, unknown> | undefined;
}

/**
 * The per-step report of a training run.
 *
 * @example
 * ```ts ignore
 * import { StepLog } from "./step_log.ts";
 * const steps = await StepLog.open("runs/emoji-1/metrics.jsonl", { trainer, config, batchesPerEpoch }, { writer, log: console.log });
 * steps.push(trainer.stepUnread(real), position); // after each step
 * await steps.tick();
 * await steps.stop(); // at every stop: all read, all written
 * steps.close();
 * ```
 */
export class StepLog {
  readonly #metrics: MetricsWriter;
  readonly #reader: StepReader<RunPosition & { time: number }>;
  readonly #targets: StepLogTargets;
  readonly #config: Pick<TrainConfig, "epochs" | "logEvery" | "device">;
  readonly #batchesPerEpoch: number;
  /** Points of the loss plot not yet handed to the writer. */
  #losses: LossRecord[] = [];
  #lastRead = performance.now();
  /** The numbers of the last step read. */
  last?: StepStats;

  private constructor(metrics: MetricsWriter, run: StepLogRun, targets: StepLogTargets) {
    this.#metrics = metrics;
    this.#reader = new StepReader(run.trainer);
    this.#config = run.config;
    this.#batchesPerEpoch = run.batchesPerEpoch;
    this.#targets = targets;
  }

  /**
   * Opens the metrics file for appending.
   *
   * @param path the run's metrics.jsonl; undefined: no file (a data-parallel rank other than 0)
   * @param run the trainer, the config's `epochs`, `logEvery` and `device`, and the batches per epoch
   * @param targets the writer, the log and the `onStep` hook
   * @returns the step log; {@linkcode StepLog.close} it when the run ends
   */
  static async open(path: string | undefined, run: StepLogRun, targets: StepLogTargets): Promise<StepLog> {
    return new StepLog(
      path === undefined ? MetricsWriter.discarding() : await MetricsWriter.open(path),
      run,
      targets,
    );
  }

  /**
   * Takes the step just taken; reads the steps so far when it is time (see the module doc).
   *
   * @param stats the step's (5) numbers from `stepUnread` (the log frees them)
   * @param position where the run is after the step
   * @throws {DivergenceError} when a step read has a NaN or infinite loss (earlier steps are logged)
   */
  push(stats: Tensor, position: RunPosition): void {
    this.#reader.push(stats, { ...position, time: Date.now() });
    const logged = position.globalStep % this.#config.logEvery === 0 ||
      position.batch === this.#batchesPerEpoch;
    const due = performance.now() - this.#lastRead >= FLUSH_EVERY_MS;
    if (this.#config.device === "cpu" || logged || due) this.#read();
  }

  #read(): void {
    this.#lastRead = performance.now();
    const { steps, error } = this.#reader.read();
    const { log, onStep, annotate } = this.#targets;
    const { epochs, logEvery } = this.#config;
    for (const { tag, stats } of steps) {
      const { epoch, batch, globalStep, time } = tag;
      this.last = stats;
      const fields = annotate?.(stats, { epoch, batch, globalStep });
      // epochs count from 1 in metrics.jsonl, as in the log line below and the grid files
      this.#metrics.add({ epoch: epoch + 1, batch, step: globalStep, time, ...stats, ...fields });
      this.#losses.push(stats);
      if (globalStep % logEvery === 0 || batch === this.#batchesPerEpoch) {
        log(
          `[${epoch + 1}/${epochs}][${batch}/${this.#batchesPerEpoch}] ` +
            `Loss_D: ${stats.lossD.toFixed(4)} Loss_G: ${stats.lossG.toFixed(4)} ` +
            `D(x): ${stats.dx.toFixed(4)} D(G(z)): ${stats.dgz1.toFixed(4)} / ${stats.dgz2.toFixed(4)}`,
        );
      }
      onStep?.(stats, { epoch, batch, globalStep });
    }
    if (error) throw error;
  }

  /** Between steps: writes the metrics lines and hands the plot its points once a second. */
  async tick(): Promise<void> {
    if (this.#metrics.due(FLUSH_EVERY_MS)) await this.#flush();
  }

  async #flush(): Promise<void> {
    await this.#metrics.flush();
    if (this.#losses.length > 0) this.#targets.writer.losses(this.#losses);
    this.#losses = [];
    this.#targets.writer.throwIfFailed();
  }

  /**
   * At a stop (an epoch's end, before its checkpoint; the end of the run): reads every step, writes
   * every metrics line.
   *
   * @throws {DivergenceError} when a step read has a NaN or infinite loss (earlier steps are written)
   */
  async stop(): Promise<void> {
    try {
      this.#read();
    } catch (error) {
      await this.#flush().catch(() => {}); // the steps before the divergence, best effort
      throw error;
    }
    await this.#flush();
  }

  /** Closes the metrics file (lines not flushed are dropped) and frees steps never read. */
  close(): void {
    this.#reader.dispose();
    this.#metrics.close();
  }
}
