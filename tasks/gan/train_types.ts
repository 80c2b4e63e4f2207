/**
 * The types of `train()`'s surface (./train.ts): the hooks a caller passes, what the run tells at its
 * start, and what it leaves behind.
 *
 * @module
 */

import type { TrainConfig } from "./config.ts";
import type { VisualsWork } from "./run_writer.ts";
import type { RunPosition } from "./run_checkpoint.ts";
import type { StepStats, StepSync } from "./trainer.ts";

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
  /** The work the run's pictures took (progress.gif frames, metrics lines read, plots drawn). */
  work: VisualsWork;
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
  /**
   * Called for every step, in order, once its numbers are read: after the step on the CPU; on a GPU
   * in bursts, at each log line and at least once a second (see ./step_log.ts).
   */
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
   * `resume`, those the checkpoint overrides are named in the log, and those of this command line's that
   * are not given take their defaults on the run's settings. Default: every setting that differs from the
   * default the other settings give it (see `givenSettings` in ./config.ts).
   */
  explicit?: ReadonlySet<string>;
  /** Where log lines go (the data set, the variant, resuming, every `logEvery` steps); default: nowhere. */
  log?: (line: string) => void;
  /**
   * This process is one rank of a data-parallel job (./data_parallel.ts): it trains on its shard with
   * `batchSize` / world size images a step, and the trainer exchanges with the other ranks. Rank 0 alone
   * writes the run; the others write nothing (with `resume`, they read rank 0's checkpoint in `out`).
   * Default: one process.
   */
  parallel?: StepSync;
}
