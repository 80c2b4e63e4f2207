/**
 * A training run's output writer: the sample grids, progress.gif, loss_plot.png and the checkpoint
 * files are encoded and written off the training thread, in a worker, so an epoch's end costs the loop
 * only the copies from the device. Jobs run one at a time (two writes of one file never overlap; each is
 * atomic, as everywhere): the newest checkpoint first, older ones still queued dropped, then the grids
 * and plot points in the order given. A failed job is reported at the next
 * {@linkcode RunWriter.throwIfFailed} or {@linkcode RunWriter.settle}; the run awaits
 * {@linkcode RunWriter.settle} at every stop.
 *
 * @module
 */

import type { ImageBatch } from "../data/types.ts";
import type { LossRecord } from "../image/run_visuals.ts";
import {
  JobQueue,
  type JobReply,
  type OutputJob,
  type SafetensorsFile,
  type VisualsWork,
} from "./output_jobs.ts";

export type { SafetensorsFile, VisualsWork };

/** Options of {@linkcode RunWriter.open}. */
export interface RunWriterOptions {
  /** Redraw loss_plot.png at most this often (seconds) between forced draws; default 5. */
  plotEverySeconds?: number;
  /** The most of one core the plot may take (it is drawn less often when drawing is slow); default 0.1. */
  plotShare?: number;
  /** Run the jobs on this thread, between the run's awaits, instead of in a worker; default false. */
  inline?: boolean;
}

/** Where jobs run: a worker, or a queue on this thread. */
interface Executor {
  post(id: number, job: OutputJob, transfer: ArrayBuffer[]): void;
  close(): void;
}

function workerExecutor(onReply: (reply: JobReply) => void, onFailure: (error: Error) => void): Executor {
  const worker = new Worker(new URL("./output_worker.ts", import.meta.url).href, { type: "module" });
  worker.onmessage = (event: MessageEvent<JobReply>) => onReply(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault(); // a broken worker fails the run's writes, not the process
    onFailure(new Error(`The output writer's worker failed: ${event.message}`));
  };
  worker.onmessageerror = () =>
    onFailure(new Error("The output writer's worker sent a message it could not read"));
  return {
    post: (id, job, transfer) => worker.postMessage({ id, job }, transfer),
    close: () => worker.terminate(),
  };
}

function inlineExecutor(onReply: (reply: JobReply) => void): Executor {
  const queue = new JobQueue(onReply);
  return { post: (id, job) => queue.push(id, job), close: () => {} };
}

/** Answers every job at once and does none: nothing is written, no work is counted. */
function discardingExecutor(onReply: (reply: JobReply) => void): Executor {
  const none: VisualsWork = { framesEncoded: 0, metricLinesRead: 0, plotsDrawn: 0 };
  return {
    post: (id, job) =>
      queueMicrotask(() => onReply({ id, ok: true, result: job.kind === "work" ? none : undefined })),
    close: () => {},
  };
}

/** The writers not yet closed, for {@linkcode settleRunWriters}. */
const OPEN = new Set<RunWriter>();

/**
 * Waits for every job given so far to any open run writer (failed ones included): what a program does
 * before it exits on a signal, so that the checkpoints already queued are on disk.
 *
 * @returns a promise that resolves once those jobs are done; it never rejects
 * @example
 * ```ts
 * import { settleRunWriters } from "./run_writer.ts";
 * await settleRunWriters(); // no run: resolves at once
 * ```
 */
export async function settleRunWriters(): Promise<void> {
  await Promise.all([...OPEN].map((writer) => writer.settle().catch(() => {})));
}

/** The distinct array buffers under a set of safetensors files, to hand over without copying. */
function buffersOf(files: SafetensorsFile[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const file of files) {
    for (const entry of Object.values(file.entries)) {
      if (entry.data.buffer instanceof ArrayBuffer) buffers.add(entry.data.buffer);
    }
  }
  return [...buffers];
}

/**
 * Writes a run folder's outputs in the background.
 *
 * @example
 * ```ts ignore
 * import { RunWriter } from "./run_writer.ts";
 * const writer = RunWriter.open("runs/emoji-1");
 * writer.grid("runs/emoji-1/fake_samples_epoch_001.png", images, { nrow: 8, gif: true });
 * writer.losses([{ lossD: 1.3, lossG: 0.8, dx: 0.6, dgz1: 0.4 }]);
 * await writer.settle();
 * await writer.close();
 * ```
 */
export class RunWriter {
  readonly #executor: Executor;
  /** Each job given and not yet answered: how to answer it. */
  readonly #answer = new Map<number, (reply: JobReply) => void>();
  /** The replies still awaited. */
  readonly #replies = new Set<Promise<JobReply>>();
  #nextId = 1;
  #failure?: Error;
  #broken?: Error;
  /**
   * Resolves once the run folder is opened (metrics.jsonl read): a run appends no metrics line before,
   * so none is read twice. It never rejects; a failure shows at {@linkcode RunWriter.throwIfFailed}.
   */
  ready: Promise<void> = Promise.resolve();

  private constructor(where: "worker" | "inline" | "nowhere") {
    const onReply = (reply: JobReply) => {
      if (!reply.ok) this.#failure ??= new Error(reply.message);
      this.#answer.get(reply.id)?.(reply);
      this.#answer.delete(reply.id);
    };
    const onFailure = (error: Error) => {
      this.#broken ??= error;
      this.#failure ??= error;
      for (const id of [...this.#answer.keys()]) onReply({ id, ok: false, message: error.message });
    };
    this.#executor = where === "inline"
      ? inlineExecutor(onReply)
      : where === "nowhere"
      ? discardingExecutor(onReply)
      : workerExecutor(onReply, onFailure);
  }

  /**
   * Starts the writer for a run folder: it reads metrics.jsonl once (the losses of earlier runs) and
   * mends progress.gif when it does not hold one frame per epoch grid.
   *
   * @param out the run folder
   * @param options `plotEverySeconds` (5), `plotShare` (0.1), `inline` (false)
   * @returns the writer; {@linkcode RunWriter.close} it when the run ends
   */
  static open(out: string, options: RunWriterOptions = {}): RunWriter {
    const writer = new RunWriter(options.inline ? "inline" : "worker");
    OPEN.add(writer);
    const { plotEverySeconds = 5, plotShare = 0.1 } = options;
    writer.ready = writer.#post({ kind: "open", out, options: { plotEverySeconds, plotShare } }).then(
      () => {},
    );
    return writer;
  }

  /**
   * A writer that writes nothing: each job is answered at once, and {@linkcode RunWriter.work} counts
   * nothing. What a data-parallel rank other than 0 trains with, so that rank 0 alone writes the run.
   *
   * @returns the writer
   * @example
   * ```ts
   * import { RunWriter } from "./run_writer.ts";
   * const writer = RunWriter.discarding();
   * writer.losses([{ lossD: 1.3, lossG: 0.8, dx: 0.6, dgz1: 0.4 }], { force: true });
   * console.log(await writer.work()); // { framesEncoded: 0, metricLinesRead: 0, plotsDrawn: 0 }
   * ```
   */
  static discarding(): RunWriter {
    return new RunWriter("nowhere");
  }

  #post(job: OutputJob, transfer: ArrayBuffer[] = []): Promise<JobReply> {
    const id = this.#nextId++;
    if (this.#broken) return Promise.resolve({ id, ok: false, message: this.#broken.message });
    const reply = new Promise<JobReply>((resolve) => this.#answer.set(id, resolve));
    this.#replies.add(reply);
    void reply.then(() => this.#replies.delete(reply));
    this.#executor.post(id, job, transfer);
    return reply;
  }

  /**
   * Writes images as a PNG grid, as torchvision's `save_image(images, path, normalize=True, nrow)`,
   * and with `gif` appends the grid to progress.gif.
   *
   * @param path the PNG file
   * @param images `[n, c, h, w]` float32 (copied; the caller keeps them)
   * @param options `nrow`, `gif`
   */
  grid(path: string, images: ImageBatch, options: { nrow: number; gif: boolean }): void {
    void this.#post({ kind: "grid", path, images, ...options });
  }

  /**
   * Writes safetensors files, in order. Their entries' buffers are handed over to the writer: the
   * caller must not use them again.
   *
   * @param files the files, each with its entries and metadata
   */
  safetensors(files: SafetensorsFile[]): void {
    void this.#post({ kind: "safetensors", files }, buffersOf(files));
  }

  /**
   * Adds steps' numbers to the loss series and redraws loss_plot.png when it is due (`force`: now).
   *
   * @param records the steps' numbers, in order
   * @param options `force`: draw now (at a stop)
   */
  losses(records: LossRecord[], options: { force?: boolean } = {}): void {
    void this.#post({ kind: "losses", records, force: options.force ?? false });
  }

  /** Jobs given and not yet done. */
  get backlog(): number {
    return this.#replies.size;
  }

  /**
   * Waits until at most `max` jobs are left: a run that makes epochs faster than their pictures are
   * encoded waits here, so that the backlog, the memory it holds and the wait at the end stay bounded.
   *
   * @param max the jobs that may stay queued
   */
  async waitForBacklog(max: number): Promise<void> {
    while (this.#replies.size > max) await Promise.race(this.#replies);
  }

  /**
   * Throws the first failure of a job finished so far (a full disk, an unwritable folder), if any.
   *
   * @throws {Error} the job's error, naming the file
   */
  throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  /**
   * Waits for every job given so far.
   *
   * @throws {Error} the first failure of any job, naming the file
   */
  async settle(): Promise<void> {
    await Promise.all([...this.#replies]);
    this.throwIfFailed();
  }

  /**
   * The work done by the run's pictures so far (after every job given before).
   *
   * @returns frames encoded, metrics lines read and plots drawn
   * @throws {Error} when the writer failed
   */
  async work(): Promise<VisualsWork> {
    const reply = await this.#post({ kind: "work" });
    if (!reply.ok) throw new Error(reply.message);
    return reply.result!;
  }

  /** Stops the worker; jobs not yet done are dropped (call {@linkcode RunWriter.settle} first to keep them). */
  close(): void {
    OPEN.delete(this);
    this.#executor.close();
    for (const [id, answer] of this.#answer) {
      answer({ id, ok: false, message: "The output writer was closed before this job ran" });
    }
    this.#answer.clear();
  }
}
