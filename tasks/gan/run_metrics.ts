/**
 * A run's metrics.jsonl, one JSON record a step (`{"epoch", "batch", "step", ...}`), kept whole: a
 * resume first cuts the file back to the checkpoint's step (so the steps trained again after a hard stop
 * are not logged twice) and drops a torn last line; the writer checks that every byte of a line was
 * written, takes a torn line back off when a write fails, and names the file in every error.
 *
 * `epoch` counts from 1, as the log line (`[1/25][30/30]`) and `fake_samples_epoch_001.png` do. Runs
 * written before they agreed count from 0 (their first record, step 1, has `"epoch":0`): a resume
 * renumbers such a file ({@linkcode truncateMetrics}), and readers shift it by
 * {@linkcode metricsEpochShift}.
 *
 * @module
 */

import { writeFileAtomic } from "../../models/io/atomic_write.ts";

/** The metrics file inside a run folder. */
export const METRICS_FILE = "metrics.jsonl";

/** What an I/O error on `path` means for the user, and what to do. */
function describe(action: string, path: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  const fix = /os error 28|No space left/i.test(reason)
    ? "free some disk space, then continue the run with --resume"
    : error instanceof Deno.errors.PermissionDenied
    ? "make the run folder writable, or pass another --out"
    : "check the disk and the run folder, then continue the run with --resume";
  return `Cannot ${action} "${path}": ${reason}; ${fix}`;
}

/** What {@linkcode truncateMetrics} kept and dropped. */
export interface TruncatedMetrics {
  /** Records kept: one per step up to the checkpoint's. */
  kept: number;
  /** Lines dropped: steps past the checkpoint, repeated steps, a torn or unreadable line. */
  dropped: number;
  /** The records counted epochs from 0 (an older run) and now count from 1. */
  renumbered: boolean;
}

/**
 * Whether a metrics file's first record says the file counts epochs from 0, as runs written before the
 * log and metrics.jsonl agreed do: their step 1 has `"epoch":0`, which a record counting from 1 never has.
 *
 * @param first the file's first record
 * @returns true for an older run's file
 */
export function countsEpochsFromZero(first: unknown): boolean {
  return (first as { epoch?: unknown } | null)?.epoch === 0;
}

/**
 * What to add to a metrics file's `epoch` values to count from 1: 1 for an older run's file (see
 * {@linkcode countsEpochsFromZero}), else 0. Reads only the file's first line.
 *
 * @param path the metrics file (missing or empty: 0)
 * @returns 0 or 1
 * @example
 * ```ts
 * import { metricsEpochShift } from "./run_metrics.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"epoch":0,"batch":1,"step":1}\n');
 * console.log(await metricsEpochShift(path)); // 1
 * ```
 */
export async function metricsEpochShift(path: string): Promise<number> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return 0;
  }
  try {
    const bytes = new Uint8Array(4096);
    const n = (await file.read(bytes)) ?? 0;
    const text = new TextDecoder().decode(bytes.subarray(0, n));
    const end = text.indexOf("\n");
    if (end < 0) return 0;
    try {
      return countsEpochsFromZero(JSON.parse(text.slice(0, end))) ? 1 : 0;
    } catch {
      return 0;
    }
  } finally {
    file.close();
  }
}

/**
 * Cuts a metrics file back to the steps a checkpoint holds: keeps one record per step up to `step`
 * (the latest of any repeated step, which belongs to the run the checkpoint came from), and drops the
 * rest and any line that is torn (no newline at the end, or not JSON). An older run's records, which
 * count epochs from 0, are renumbered from 1, so the lines this run appends count as they do. The file
 * is rewritten atomically, and only when something is dropped or renumbered.
 *
 * @param path the metrics file (missing: nothing to do)
 * @param step the checkpoint's global step
 * @returns how many records were kept and how many lines dropped, and whether epochs were renumbered
 * @throws {Error} naming the file when it cannot be read or written
 * @example
 * ```ts
 * import { truncateMetrics } from "./run_metrics.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"step":1}\n{"step":2}\n{"step":3}\n{"st');
 * console.log(await truncateMetrics(path, 2)); // { kept: 2, dropped: 2, renumbered: false }
 * ```
 */
export async function truncateMetrics(path: string, step: number): Promise<TruncatedMetrics> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kept: 0, dropped: 0, renumbered: false };
    throw new Error(describe("read", path, error), { cause: error });
  }
  const lines = text.split("\n");
  const torn = lines.pop() !== ""; // the text after the last newline: empty unless the last line is torn
  const kept: { line: string; record: Record<string, unknown> }[] = [];
  let below = step + 1; // walking back, each kept step is below the one kept after it
  for (let i = lines.length - 1; i >= 0; i--) {
    let record: Record<string, unknown> | null;
    try {
      record = JSON.parse(lines[i]!);
    } catch {
      continue;
    }
    const s = record?.step;
    if (record && typeof s === "number" && s < below) {
      kept.push({ line: lines[i]!, record });
      below = s;
    }
  }
  kept.reverse();
  const dropped = lines.length - kept.length + (torn ? 1 : 0);
  const renumbered = countsEpochsFromZero(kept[0]?.record);
  if (dropped > 0 || renumbered) {
    const body = kept.map(({ line, record }) => {
      if (renumbered && typeof record.epoch === "number") {
        line = JSON.stringify({ ...record, epoch: record.epoch + 1 });
      }
      return line + "\n";
    }).join("");
    try {
      await writeFileAtomic(path, new TextEncoder().encode(body));
    } catch (error) {
      throw new Error(describe("rewrite", path, (error as Error).cause ?? error), { cause: error });
    }
  }
  return { kept: kept.length, dropped, renumbered };
}

/**
 * Appends one JSON line a record to a metrics file, at once ({@linkcode MetricsWriter.append}) or
 * buffered until the next {@linkcode MetricsWriter.flush}. Each write is whole or not at all: the byte
 * count of every write is checked, and lines cut short (a full disk) are taken back off the file
 * before the error, which names the file, is thrown.
 *
 * @example
 * ```ts
 * import { MetricsWriter } from "./run_metrics.ts";
 * const path = await Deno.makeTempFile();
 * const writer = await MetricsWriter.open(path);
 * await writer.append({ step: 1, lossD: 1.2 });
 * writer.close();
 * console.log(await Deno.readTextFile(path)); // {"step":1,"lossD":1.2}
 * ```
 */
export class MetricsWriter {
  /** The file; none for a writer that keeps nothing ({@linkcode MetricsWriter.discarding}). */
  readonly #file?: Deno.FsFile;
  /** The file's length up to the end of its last complete line. */
  #length: number;
  readonly #encoder = new TextEncoder();
  /** Lines added and not yet flushed. */
  #buffered: string[] = [];
  /** When the last flush was (performance.now()). */
  #flushed = performance.now();
  /** The file written to. */
  readonly path: string;

  private constructor(path: string, file: Deno.FsFile | undefined, length: number) {
    this.path = path;
    this.#file = file;
    this.#length = length;
  }

  /**
   * Opens (or creates) a metrics file for appending; a torn last line left by an earlier failure is
   * cut off first, so the next record starts on a line of its own.
   *
   * @param path the metrics file
   * @returns the writer
   * @throws {Error} naming the file when it cannot be opened
   */
  static async open(path: string): Promise<MetricsWriter> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true, create: true });
    } catch (error) {
      throw new Error(describe("open", path, error), { cause: error });
    }
    try {
      const size = (await file.stat()).size;
      let length = size;
      if (size > 0 && !(await endsWithNewline(file, size))) {
        const text = await Deno.readFile(path);
        length = text.lastIndexOf(10) + 1; // after the last complete line
        await file.truncate(length);
      }
      return new MetricsWriter(path, file, length);
    } catch (error) {
      file.close();
      throw new Error(describe("open", path, error), { cause: error });
    }
  }

  /**
   * A writer that writes no file: its lines are dropped at each flush. A data-parallel rank other than
   * 0 logs with it, so that rank 0 alone writes metrics.jsonl.
   *
   * @returns the writer
   */
  static discarding(): MetricsWriter {
    return new MetricsWriter("(none)", undefined, 0);
  }

  /**
   * Appends `record` as one JSON line.
   *
   * @param record the step's numbers
   * @throws {Error} naming the file when the line cannot be written in full (it is then not in the file)
   */
  async append(record: unknown): Promise<void> {
    await this.#write(this.#encoder.encode(JSON.stringify(record) + "\n"));
  }

  /**
   * Adds `record` as one JSON line to the buffer that {@linkcode MetricsWriter.flush} writes: a training
   * loop's way, one write a second rather than one a step.
   *
   * @param record the step's numbers
   */
  add(record: unknown): void {
    this.#buffered.push(JSON.stringify(record) + "\n");
  }

  /**
   * Whether buffered lines wait and the last flush was at least `everyMs` ago.
   *
   * @param everyMs how long lines may wait; default 1000
   * @returns true when {@linkcode MetricsWriter.flush} should run
   */
  due(everyMs = 1000): boolean {
    return this.#buffered.length > 0 && performance.now() - this.#flushed >= everyMs;
  }

  /**
   * Writes the buffered lines in one write, whole or not at all.
   *
   * @throws {Error} naming the file when they cannot be written in full (none of them is then in the file)
   */
  async flush(): Promise<void> {
    this.#flushed = performance.now();
    if (this.#buffered.length === 0) return;
    const text = this.#buffered.join("");
    this.#buffered = [];
    await this.#write(this.#encoder.encode(text));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (!this.#file) return;
    try {
      await this.#file.seek(this.#length, Deno.SeekMode.Start);
      let written = 0;
      while (written < bytes.length) {
        const n = await this.#file.write(bytes.subarray(written));
        if (n <= 0) throw new Error(`wrote ${written} of ${bytes.length} bytes`);
        written += n;
      }
      this.#length += bytes.length;
    } catch (error) {
      await this.#file.truncate(this.#length).catch(() => {}); // no torn line left behind
      throw new Error(describe("append to", this.path, error), { cause: error });
    }
  }

  /** Closes the file; lines added since the last flush are dropped. */
  close(): void {
    this.#file?.close();
  }

  /** Closes the file (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

async function endsWithNewline(file: Deno.FsFile, size: number): Promise<boolean> {
  const last = new Uint8Array(1);
  await file.seek(size - 1, Deno.SeekMode.Start);
  return (await file.read(last)) === 1 && last[0] === 10;
}
