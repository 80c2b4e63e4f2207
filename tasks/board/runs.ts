/**
 * The board's view of a runs folder: which subfolders are training runs (they hold `config.json` or
 * `metrics.jsonl`), and for each its config, its last logged step, its per-epoch grids, its eval report
 * and its status: `training` (a live process holds `train.lock`), `finished` (every epoch or
 * `--max-steps` done), or `stopped` (interrupted, killed or crashed: `--resume` continues it).
 *
 * @module
 */

import { hostname } from "node:os";
import { join, relative, sep } from "node:path";
import { LOCK_FILE } from "../gan/run_folder.ts";
import { METRICS_FILE, metricsEpochShift } from "../gan/run_metrics.ts";

/** What a run is doing, as far as its folder tells. */
export type RunStatus = "training" | "finished" | "stopped";

/** A per-epoch sample grid, `fake_samples_epoch_NNN.png`. */
export interface EpochGrid {
  /** The file name. */
  file: string;
  /** The epoch it was drawn after, counted from 1 as in the file name. */
  epoch: number;
  /** Modification time (ms since 1970), so a page can tell a redrawn file. */
  mtime: number;
}

/** One run, as the board lists it. */
export interface RunSummary {
  /** Its folder relative to the runs folder, `/`-separated; `.` when the runs folder is itself a run. */
  id: string;
  /** Its status. */
  status: RunStatus;
  /** Why that status, in words: `process 412 holds train.lock`, `reached --max-steps 20`. */
  statusReason: string;
  /** config.json, as written by the run; undefined when missing or unreadable. */
  config?: Record<string, unknown>;
  /** The last complete metrics record (`step`, `epoch` counted from 1, losses), when any. */
  last?: Record<string, unknown>;
  /** The latest change to metrics.jsonl or the folder (ms since 1970). */
  updated: number;
  /** The per-epoch grids, by epoch. */
  grids: EpochGrid[];
  /** Other images the run wrote (real_samples.png, fake_samples_last.png, ...), with their mtimes. */
  images: { file: string; mtime: number }[];
  /** The eval report's path inside the run folder (`eval/eval.json`), when `deno task eval` wrote one. */
  evalReport?: string;
}

const GRID = /^fake_samples_epoch_(\d+)\.png$/;
const OTHER_IMAGES = [
  "real_samples.png",
  "fake_samples_last.png",
  "real_vs_fake.png",
  "loss_plot.png",
  "progress.gif",
];
const EVAL_REPORTS = ["eval/eval.json", "eval.json"];
/** How deep under the runs folder runs are looked for (`runs/<group>/<run>`). */
const MAX_DEPTH = 2;
/** A run without a lock whose metrics changed this recently is taken to be training (older runs). */
const FRESH_MS = 60_000;

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}

async function isRun(dir: string): Promise<boolean> {
  return (await statOrUndefined(join(dir, "config.json")))?.isFile === true ||
    (await statOrUndefined(join(dir, METRICS_FILE)))?.isFile === true;
}

/**
 * The run folders under `root`: `root` itself when it is a run, else its subfolders that are runs, two
 * levels deep. Hidden folders and symbolic links are skipped, so every run lies inside `root`.
 *
 * @param root the runs folder
 * @returns run ids (paths relative to `root`, `/`-separated, `.` for `root` itself), sorted; none when
 *   `root` is missing
 * @example
 * ```ts
 * import { findRuns } from "./runs.ts";
 * console.log(await findRuns("runs")); // e.g. ["emoji-1", "fashion/ema"]
 * ```
 */
export async function findRuns(root: string): Promise<string[]> {
  if (await isRun(root)) return ["."];
  const found: string[] = [];
  const walk = async (dir: string, depth: number) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory || entry.name.startsWith(".")) continue; // isDirectory is false for a link
      const path = join(dir, entry.name);
      if (await isRun(path)) found.push(relative(root, path).split(sep).join("/"));
      else if (depth < MAX_DEPTH) await walk(path, depth + 1);
    }
  };
  await walk(root, 1);
  return found.sort();
}

/** The last complete line of a JSON-lines file, parsed; reads only its tail. */
export async function lastRecord(path: string): Promise<Record<string, unknown> | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return undefined;
  }
  try {
    const size = (await file.stat()).size;
    for (let span = 4096; span <= 1 << 20; span *= 4) {
      const start = Math.max(0, size - span);
      await file.seek(start, Deno.SeekMode.Start);
      const bytes = new Uint8Array(size - start);
      let read = 0;
      while (read < bytes.length) {
        const n = await file.read(bytes.subarray(read));
        if (n === null) break;
        read += n;
      }
      const text = new TextDecoder().decode(bytes.subarray(0, read));
      const lines = text.split("\n").slice(0, -1); // drop a torn last line (or the empty tail)
      if (start > 0) lines.shift(); // the first line may be cut
      for (let i = lines.length - 1; i >= 0; i--) {
        try {
          const record = JSON.parse(lines[i]!);
          if (record && typeof record === "object" && !Array.isArray(record)) return record;
        } catch { /* not JSON: try the line before */ }
      }
      if (start === 0) return undefined;
    }
    return undefined;
  } finally {
    file.close();
  }
}

/** What train.lock says about its holder. */
interface LockHolder {
  pid: number;
  host?: string;
  started?: string;
}

/** Whether the holder of a lock still runs: undefined when this machine cannot tell. */
function holderAlive(holder: LockHolder): boolean | undefined {
  if (holder.host !== undefined && holder.host !== hostname()) return undefined;
  try {
    const stat = Deno.readTextFileSync(`/proc/${holder.pid}/stat`);
    const started = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return holder.started === undefined || holder.started === started;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      try {
        Deno.statSync("/proc/self/stat");
        return false; // /proc exists and has no such process
      } catch { /* no /proc: not Linux */ }
    }
    return undefined;
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A run's status from its folder: its lock, its config and how far its metrics and grids got.
 *
 * @param dir the run folder
 * @param facts what {@linkcode summarizeRun} already read: config, last record, grids, metrics mtime
 * @returns the status and why
 */
export async function runStatus(
  dir: string,
  facts: {
    config?: Record<string, unknown>;
    last?: Record<string, unknown>;
    grids: EpochGrid[];
    updated: number;
  },
): Promise<{ status: RunStatus; statusReason: string }> {
  const lock = await readJson(join(dir, LOCK_FILE));
  const holder = isObject(lock) && typeof lock.pid === "number" ? lock as unknown as LockHolder : undefined;
  const alive = holder ? holderAlive(holder) : undefined;
  const fresh = Date.now() - facts.updated < FRESH_MS;
  if (holder && (alive === true || (alive === undefined && fresh))) {
    return { status: "training", statusReason: `process ${holder.pid} holds ${LOCK_FILE}` };
  }
  const { config, last, grids } = facts;
  const step = typeof last?.step === "number" ? last.step : 0;
  const epochs = typeof config?.epochs === "number" ? config.epochs : undefined;
  if (!holder) {
    if (config?.dryRun === true) return { status: "finished", statusReason: "dry run" };
    if (typeof config?.maxSteps === "number" && config.maxSteps > 0 && step >= config.maxSteps) {
      return { status: "finished", statusReason: `reached --max-steps ${config.maxSteps}` };
    }
    if (epochs !== undefined && grids.some((grid) => grid.epoch === epochs)) {
      return { status: "finished", statusReason: `all ${epochs} epochs done` };
    }
    if (fresh) return { status: "training", statusReason: "metrics.jsonl changed in the last minute" };
  }
  const where = `at step ${step}${epochs !== undefined ? ` (${grids.length} of ${epochs} epochs)` : ""}`;
  return {
    status: "stopped",
    statusReason: holder
      ? `process ${holder.pid} left ${LOCK_FILE} and is gone (killed or crashed) ${where}; --resume continues`
      : `stopped ${where}; --resume continues`,
  };
}

/**
 * Everything the board shows about one run folder, read fresh.
 *
 * @param root the runs folder
 * @param id the run's id from {@linkcode findRuns}
 * @returns the run's summary
 * @example
 * ```ts ignore
 * import { summarizeRun } from "./runs.ts";
 * console.log((await summarizeRun("runs", "emoji-1")).status); // "finished"
 * ```
 */
export async function summarizeRun(root: string, id: string): Promise<RunSummary> {
  const dir = join(root, id);
  const config = await readJson(join(dir, "config.json"));
  const metrics = join(dir, METRICS_FILE);
  const last = await lastRecord(metrics);
  if (typeof last?.epoch === "number") last.epoch += await metricsEpochShift(metrics); // from 1, as the grids
  const grids: EpochGrid[] = [];
  const images: { file: string; mtime: number }[] = [];
  let folderTime = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const epoch = entry.name.match(GRID)?.[1];
    if (epoch === undefined && !OTHER_IMAGES.includes(entry.name)) continue;
    const mtime = (await statOrUndefined(join(dir, entry.name)))?.mtime?.getTime() ?? 0;
    folderTime = Math.max(folderTime, mtime);
    if (epoch !== undefined) grids.push({ file: entry.name, epoch: Number(epoch), mtime });
    else images.push({ file: entry.name, mtime });
  }
  grids.sort((a, b) => a.epoch - b.epoch);
  images.sort((a, b) => OTHER_IMAGES.indexOf(a.file) - OTHER_IMAGES.indexOf(b.file));
  const metricsTime = (await statOrUndefined(metrics))?.mtime?.getTime() ?? 0;
  const updated = Math.max(metricsTime, folderTime);
  let evalReport: string | undefined;
  for (const candidate of EVAL_REPORTS) {
    if ((await statOrUndefined(join(dir, candidate)))?.isFile) {
      evalReport = candidate;
      break;
    }
  }
  const facts = { config: isObject(config) ? config : undefined, last, grids, updated };
  return { id, ...(await runStatus(dir, facts)), ...facts, images, evalReport };
}
