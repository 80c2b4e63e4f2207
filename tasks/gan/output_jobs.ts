/**
 * The jobs a training run hands to its output writer (./run_writer.ts), and how each is done: encode a
 * sample grid as PNG (and append it to progress.gif), write safetensors files, extend the loss series
 * and redraw loss_plot.png when due. Everything a job needs travels in it as host arrays, copied from
 * the device when the run asked, so the job can run later, elsewhere (a worker), while training goes on.
 * No import here reaches libtorch.
 *
 * @module
 */

import { type TensorEntry, writeSafetensors } from "../../models/io/safetensors.ts";
import type { ImageBatch } from "../data/types.ts";
import { makeGridArray, toPixels } from "../image/grid.ts";
import { writePng } from "../image/png.ts";
import { type LossRecord, RunVisuals, type RunVisualsOptions } from "../image/run_visuals.ts";

/** One safetensors file of a job: what `writeSafetensors` takes. */
export interface SafetensorsFile {
  /** The file to create or replace. */
  path: string;
  /** The tensors by name, on the host. */
  entries: Record<string, TensorEntry>;
  /** The file's metadata. */
  metadata?: Record<string, string>;
}

/** Work done by the run's pictures, counted so tests can check that an epoch's share stays flat. */
export interface VisualsWork {
  /** progress.gif frames encoded (one per epoch; all grids once when the GIF was out of step). */
  framesEncoded: number;
  /** metrics.jsonl lines read (once, when the run opens). */
  metricLinesRead: number;
  /** Times loss_plot.png was drawn. */
  plotsDrawn: number;
}

/** A job for the output writer. */
export type OutputJob =
  /** Open the run folder's pictures: read metrics.jsonl once, mend progress.gif if out of step. */
  | { kind: "open"; out: string; options: RunVisualsOptions }
  /** Write a sample grid as PNG (torchvision's `save_image(normalize=True)`), and append it to the GIF. */
  | { kind: "grid"; path: string; images: ImageBatch; nrow: number; gif: boolean }
  /** Write safetensors files; skipped when a later job still queued writes the same files. */
  | { kind: "safetensors"; files: SafetensorsFile[] }
  /** Add steps' numbers to the loss series; redraw the plot when due, or now with `force`. */
  | { kind: "losses"; records: LossRecord[]; force: boolean }
  /** Report the work counters. */
  | { kind: "work" };

/** What a job gives back: the work counters for `"work"`, nothing otherwise. */
export type JobResult = VisualsWork | undefined;

/** A job's outcome as the writer's executor reports it. */
export type JobReply = { id: number; ok: true; result?: JobResult } | {
  id: number;
  ok: false;
  message: string;
};

/** The state jobs share: the run's pictures, once opened. */
export interface JobState {
  /** The run's loss series, GIF and plot. */
  visuals?: RunVisuals;
}

function visualsOf(state: JobState): RunVisuals {
  if (!state.visuals) throw new Error("The output writer got a job before its run folder was opened");
  return state.visuals;
}

/** Whether running `job` would be wasted because `later`, queued after it, rewrites all its files. */
function supersedes(later: OutputJob, job: OutputJob): boolean {
  if (job.kind !== "safetensors" || later.kind !== "safetensors") return false;
  const paths = new Set(later.files.map((file) => file.path));
  return job.files.every((file) => paths.has(file.path));
}

/**
 * Does one job. Jobs run one at a time, in order, so two writes of one file never overlap.
 *
 * @param state the shared state (the pictures, after `"open"`)
 * @param job the job
 * @returns the work counters for `"work"`
 */
export async function runJob(state: JobState, job: OutputJob): Promise<JobResult> {
  switch (job.kind) {
    case "open":
      state.visuals = await RunVisuals.open(job.out, job.options);
      return undefined;
    case "grid": {
      const grid = makeGridArray(job.images, { normalize: true, nrow: job.nrow });
      await writePng(toPixels(grid), job.path);
      if (job.gif) await visualsOf(state).addEpochGrid(grid);
      return undefined;
    }
    case "safetensors":
      for (const file of job.files) await writeSafetensors(file.path, file.entries, file.metadata);
      return undefined;
    case "losses": {
      const visuals = visualsOf(state);
      for (const record of job.records) visuals.record(record);
      await visuals.drawPlot({ force: job.force });
      return undefined;
    }
    case "work":
      return { ...visualsOf(state).work };
  }
}

/**
 * Runs jobs one at a time and reports each outcome. Checkpoint (safetensors) jobs go first, the newest
 * of them, and the older ones for the same files are dropped: a writer that falls behind the epochs
 * keeps the checkpoint on disk as recent as it can, and writes the latest state, not every one. The
 * other jobs (grids, GIF frames, losses) run in the order they came, every one.
 *
 * @example
 * ```ts ignore
 * import { JobQueue } from "./output_jobs.ts";
 * const queue = new JobQueue((reply) => console.log(reply));
 * queue.push(1, { kind: "open", out: "runs/emoji-1", options: {} });
 * ```
 */
export class JobQueue {
  readonly #state: JobState = {};
  #queue: { id: number; job: OutputJob }[] = [];
  readonly #reply: (reply: JobReply) => void;
  #running = false;

  /** @param reply called with each job's outcome, in order */
  constructor(reply: (reply: JobReply) => void) {
    this.#reply = reply;
  }

  /**
   * Queues a job; it starts once the jobs before it are done (a checkpoint job: the jobs running).
   *
   * @param id the caller's name for the job, given back in its reply
   * @param job the job
   */
  push(id: number, job: OutputJob): void {
    this.#queue.push({ id, job });
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      for (let next = this.#next(); next; next = this.#next()) {
        const { id, job } = next;
        try {
          this.#reply({ id, ok: true, result: await runJob(this.#state, job) });
        } catch (error) {
          this.#reply({ id, ok: false, message: error instanceof Error ? error.message : String(error) });
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /**
   * The newest checkpoint job (answering the ones it supersedes), else the first job queued. An older
   * checkpoint job that also writes a file of its own (a `--save-every` snapshot) keeps only that file:
   * run after the newest, it must not put the older state back into the files they share.
   */
  #next(): { id: number; job: OutputJob } | undefined {
    const queue = this.#queue;
    const newest = queue.findLastIndex((queued) => queued.job.kind === "safetensors");
    if (newest < 0) return queue.shift();
    const picked = queue[newest]!;
    this.#queue = queue.filter((queued, i) => {
      if (i === newest) return false;
      if (i > newest || queued.job.kind !== "safetensors" || picked.job.kind !== "safetensors") return true;
      if (!supersedes(picked.job, queued.job)) {
        const newer = new Set(picked.job.files.map((file) => file.path));
        queued.job = { ...queued.job, files: queued.job.files.filter((file) => !newer.has(file.path)) };
        return true;
      }
      this.#reply({ id: queued.id, ok: true });
      return false;
    });
    return picked;
  }
}
