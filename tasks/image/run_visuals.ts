/**
 * The pictures of a run folder, kept up to date at a cost that does not grow with the run:
 * `loss_plot.png` is drawn from loss series held in memory (at most every few seconds) and
 * `progress.gif` grows by one frame per epoch grid.
 *
 * @module
 */

import { join } from "node:path";
import { writeGridAnimation } from "./gif.ts";
import { appendGridFrame, gifFrameCount } from "./gif_append.ts";
import type { ImageArray } from "./grid.ts";
import { type LossHistory, writeLossPlot } from "./plot.ts";

/** The loss plot's file name in a run folder. */
export const LOSS_PLOT_FILE = "loss_plot.png";
/** The animation's file name in a run folder. */
export const PROGRESS_GIF_FILE = "progress.gif";
/** The per-epoch grid files whose frames make up the animation. */
export const EPOCH_GRID_PATTERN: RegExp = /^fake_samples_epoch_\d+\.png$/;

/** One logged step's numbers, as metrics.jsonl holds them. */
export interface LossRecord {
  /** Discriminator loss. */
  lossD: number;
  /** Generator loss. */
  lossG: number;
  /** Mean D output on real images. */
  dx?: number;
  /** Mean D output on fakes (before D's update). */
  dgz1?: number;
}

/**
 * Reads a run's metrics.jsonl into loss series (a torn last line from a killed run is skipped).
 *
 * @param path the metrics.jsonl file
 * @returns one entry per logged step, and how many lines were read
 * @example
 * ```ts ignore
 * import { readLossHistory } from "./run_visuals.ts";
 * const { history } = await readLossHistory("runs/emoji-1/metrics.jsonl");
 * ```
 */
export async function readLossHistory(path: string): Promise<{ history: LossHistory; lines: number }> {
  const history: LossHistory = { lossD: [], lossG: [], dx: [], dgz: [] };
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return { history, lines: 0 };
  }
  let lines = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    lines++;
    let record: Partial<LossRecord>;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof record.lossD === "number" && typeof record.lossG === "number") {
      pushRecord(history, record as LossRecord);
    }
  }
  return { history, lines };
}

function pushRecord(history: LossHistory, record: LossRecord): void {
  history.lossD.push(record.lossD);
  history.lossG.push(record.lossG);
  history.dx.push(record.dx ?? NaN);
  history.dgz.push(record.dgz1 ?? NaN);
}

async function epochGrids(out: string): Promise<string[]> {
  const frames: string[] = [];
  for await (const entry of Deno.readDir(out)) {
    if (EPOCH_GRID_PATTERN.test(entry.name)) frames.push(join(out, entry.name));
  }
  return frames.sort();
}

/** Options of {@linkcode RunVisuals.open}. */
export interface RunVisualsOptions {
  /** Redraw the loss plot at most this often (seconds) unless forced; default 5. */
  plotEverySeconds?: number;
  /**
   * The most of one core the plot may take, in (0, 1]: a draw that took `t` waits at least
   * `t * (1 / plotShare - 1)` before the next unforced one (a long run's plot draws more points);
   * default 1 (only `plotEverySeconds` counts).
   */
  plotShare?: number;
}

/**
 * A run folder's loss plot and grid animation, updated incrementally while training.
 *
 * @example
 * ```ts ignore
 * import { RunVisuals } from "./run_visuals.ts";
 * const visuals = await RunVisuals.open("runs/emoji-1");
 * visuals.record({ lossD: 1.3, lossG: 0.8, dx: 0.6, dgz1: 0.4 });
 * await visuals.addEpochGrid(grid);
 * await visuals.drawPlot({ force: true });
 * ```
 */
export class RunVisuals {
  /** The loss series so far. */
  readonly history: LossHistory;
  /** Work done so far, so tests can check that an epoch's share stays flat as the run grows. */
  readonly work = { framesEncoded: 0, metricLinesRead: 0, plotsDrawn: 0 };
  readonly #out: string;
  readonly #plotEveryMs: number;
  readonly #plotShare: number;
  #lastPlot = -Infinity;
  /** How long to wait after the last draw before the next unforced one. */
  #plotWaitMs: number;

  private constructor(out: string, history: LossHistory, options: RunVisualsOptions) {
    this.#out = out;
    this.history = history;
    this.#plotEveryMs = this.#plotWaitMs = (options.plotEverySeconds ?? 5) * 1000;
    this.#plotShare = options.plotShare ?? 1;
    if (!(this.#plotShare > 0 && this.#plotShare <= 1)) {
      throw new RangeError(`plotShare must be in (0, 1], got ${options.plotShare}`);
    }
  }

  /**
   * Opens a run folder's visuals: reads metrics.jsonl once (a resumed run's earlier steps) and, when
   * progress.gif does not hold one frame per epoch grid on disk (a run stopped between the two), rebuilds
   * it once from the grids.
   *
   * @param out the run folder
   * @param options `plotEverySeconds` (5), `plotShare` (1)
   * @returns the visuals, ready for {@linkcode RunVisuals.record}
   */
  static async open(out: string, options: RunVisualsOptions = {}): Promise<RunVisuals> {
    const { history, lines } = await readLossHistory(join(out, "metrics.jsonl"));
    const visuals = new RunVisuals(out, history, options);
    visuals.work.metricLinesRead += lines;
    const grids = await epochGrids(out);
    const gif = join(out, PROGRESS_GIF_FILE);
    if (grids.length > 0 && (await gifFrameCount(gif).catch(() => -1)) !== grids.length) {
      await writeGridAnimation(grids, gif);
      visuals.work.framesEncoded += grids.length;
    }
    return visuals;
  }

  /** Adds one step's numbers to the series. */
  record(record: LossRecord): void {
    pushRecord(this.history, record);
  }

  /**
   * Appends an epoch's grid to progress.gif (one frame encoded).
   *
   * @param grid the grid as written to fake_samples_epoch_NNN.png, `[c, h, w]` in [0, 1]
   */
  async addEpochGrid(grid: ImageArray): Promise<void> {
    this.work.framesEncoded += await appendGridFrame(join(this.#out, PROGRESS_GIF_FILE), grid);
  }

  /**
   * Redraws loss_plot.png from the series in memory, unless it was drawn less than `plotEverySeconds`
   * ago (or, with `plotShare`, less than its share allows after a slow draw); `force` draws regardless,
   * e.g. at the end of a run.
   *
   * @param options `force`
   * @returns whether it drew
   */
  async drawPlot(options: { force?: boolean } = {}): Promise<boolean> {
    const now = performance.now();
    if (this.history.lossD.length === 0) return false;
    if (!options.force && now - this.#lastPlot < this.#plotWaitMs) return false;
    await writeLossPlot(this.history, join(this.#out, LOSS_PLOT_FILE));
    const took = performance.now() - now;
    this.#plotWaitMs = Math.max(this.#plotEveryMs, took * (1 / this.#plotShare - 1));
    this.#lastPlot = now;
    this.work.plotsDrawn++;
    return true;
  }
}
