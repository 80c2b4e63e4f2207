/**
 * The pictures of a run folder, redrawn after each epoch: `loss_plot.png` from metrics.jsonl and
 * `progress.gif` from the per-epoch fixed-noise grids.
 *
 * @module
 */

import { join } from "node:path";
import { writeGridAnimation } from "./gif.ts";
import { type LossHistory, writeLossPlot } from "./plot.ts";

/** The loss plot's file name in a run folder. */
export const LOSS_PLOT_FILE = "loss_plot.png";
/** The animation's file name in a run folder. */
export const PROGRESS_GIF_FILE = "progress.gif";

/**
 * Reads a run's metrics.jsonl into loss series (a torn last line from a killed run is skipped).
 *
 * @param path the metrics.jsonl file
 * @returns one entry per logged step
 * @example
 * ```ts ignore
 * import { readLossHistory } from "./run_visuals.ts";
 * const history = await readLossHistory("runs/emoji-1/metrics.jsonl");
 * ```
 */
export async function readLossHistory(path: string): Promise<LossHistory> {
  const history: LossHistory = { lossD: [], lossG: [], dx: [], dgz: [] };
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return history;
  }
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let record: { lossD?: number; lossG?: number; dx?: number; dgz1?: number };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof record.lossD !== "number" || typeof record.lossG !== "number") continue;
    history.lossD.push(record.lossD);
    history.lossG.push(record.lossG);
    history.dx.push(record.dx ?? NaN);
    history.dgz.push(record.dgz1 ?? NaN);
  }
  return history;
}

/**
 * Redraws the run folder's loss plot and grid animation.
 *
 * @param out the run folder
 * @returns the paths written
 * @example
 * ```ts ignore
 * import { writeRunVisuals } from "./run_visuals.ts";
 * await writeRunVisuals("runs/emoji-1");
 * ```
 */
export async function writeRunVisuals(out: string): Promise<string[]> {
  const written: string[] = [];
  const history = await readLossHistory(join(out, "metrics.jsonl"));
  if (history.lossD.length > 0) {
    await writeLossPlot(history, join(out, LOSS_PLOT_FILE));
    written.push(join(out, LOSS_PLOT_FILE));
  }
  const frames: string[] = [];
  for await (const entry of Deno.readDir(out)) {
    if (/^fake_samples_epoch_\d+\.png$/.test(entry.name)) frames.push(entry.name);
  }
  frames.sort();
  if (frames.length > 0) {
    await writeGridAnimation(frames.map((name) => join(out, name)), join(out, PROGRESS_GIF_FILE));
    written.push(join(out, PROGRESS_GIF_FILE));
  }
  return written;
}
