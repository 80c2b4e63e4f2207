/**
 * Reading a growing metrics.jsonl in pieces: a page asks for the bytes after the offset it has read up
 * to, and gets the new complete lines as columns (one array per numeric field), the next offset, and
 * a token naming the file. A file that was replaced (a resume rewrites it atomically, cut back to its
 * checkpoint) or cut shorter comes back whole from byte 0, with `reset` set.
 *
 * @module
 */

import { metricsEpochShift } from "../gan/run_metrics.ts";

/** New records of a metrics file, as columns. */
export interface MetricsChunk {
  /** Names the file's identity (inode and creation time); changes when the file is replaced. */
  token: string;
  /** The byte offset the records start at: the offset asked for, or 0 after a reset. */
  from: number;
  /** The offset to ask for next: just past the last complete line read. */
  next: number;
  /** The file's size now; `next < size` means there is more to read. */
  size: number;
  /** The file was replaced or cut since the offset was handed out: drop what was read before. */
  reset: boolean;
  /** How many records the columns hold. */
  rows: number;
  /**
   * One array per numeric field, `rows` long, null where a record lacks the field. A nested object of
   * numbers (`"kid": {"mean", "std"}`) gives one column per number (`kid.mean`, `kid.std`). `epoch`
   * counts from 1, in an older run's file too.
   */
  columns: Record<string, (number | null)[]>;
}

/** Where to read from and how much at most. */
export interface ReadMetricsOptions {
  /** The offset to start at (`next` of the previous chunk); default 0. */
  from?: number;
  /** The token of the previous chunk; a different file resets to 0. */
  token?: string;
  /** The most bytes to read in one chunk (default 4 MiB); at least one line is always read. */
  maxBytes?: number;
}

async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const bytes = new Uint8Array(length);
  let read = 0;
  while (read < length) {
    const n = await file.read(bytes.subarray(read));
    if (n === null) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

/** Adds one record's numbers to the columns, padding columns that first appear with nulls. */
function addRecord(columns: Record<string, (number | null)[]>, row: number, record: Record<string, unknown>) {
  const put = (key: string, value: unknown) => {
    if (typeof value !== "number" || !Number.isFinite(value)) return;
    const column = columns[key] ??= new Array(row).fill(null);
    column.push(value);
  };
  for (const [key, value] of Object.entries(record)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [inner, number] of Object.entries(value)) put(`${key}.${inner}`, number);
    } else put(key, value);
  }
  for (const column of Object.values(columns)) if (column.length === row) column.push(null);
}

const NEWLINE = 10;

/**
 * Reads the complete lines of a metrics file after `from`, as columns. A torn last line (a write in
 * progress) is left for the next call; lines that are not JSON objects are skipped.
 *
 * @param path the metrics.jsonl file
 * @param options the offset and token of the previous chunk, and the chunk size
 * @returns the new records; an empty chunk with an empty token when the file is missing
 * @example
 * ```ts
 * import { readMetricsChunk } from "./metrics_reader.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"step":1,"lossD":1.5}\n{"step":2,"lossD":1.2}\n{"st');
 * const chunk = await readMetricsChunk(path);
 * console.log(chunk.columns.lossD, chunk.next); // [1.5, 1.2] 46
 * ```
 */
export async function readMetricsChunk(
  path: string,
  options: ReadMetricsOptions = {},
): Promise<MetricsChunk> {
  const maxBytes = options.maxBytes ?? 4 << 20;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { token: "", from: 0, next: 0, size: 0, reset: (options.from ?? 0) > 0, rows: 0, columns: {} };
    }
    throw error;
  }
  try {
    const stat = await file.stat();
    const token = `${stat.ino ?? 0}-${stat.birthtime?.getTime() ?? 0}`;
    let from = Math.max(0, Math.floor(options.from ?? 0));
    let reset = false;
    if (from > 0) {
      const before = from <= stat.size ? (await readAt(file, from - 1, 1))[0] : undefined;
      if ((options.token !== undefined && options.token !== token) || before !== NEWLINE) {
        from = 0;
        reset = true;
      }
    }
    // read up to maxBytes; widen until at least one complete line is in (or the file ends)
    let bytes = await readAt(file, from, Math.min(maxBytes, stat.size - from));
    let end = bytes.lastIndexOf(NEWLINE);
    while (end < 0 && from + bytes.length < stat.size) {
      bytes = await readAt(file, from, Math.min(bytes.length * 2, stat.size - from));
      end = bytes.lastIndexOf(NEWLINE);
    }
    const columns: Record<string, (number | null)[]> = {};
    let rows = 0;
    const shift = await metricsEpochShift(path); // an older run's epochs, counted from 0
    const text = new TextDecoder().decode(bytes.subarray(0, end + 1));
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      if (record === null || typeof record !== "object" || Array.isArray(record)) continue;
      addRecord(columns, rows++, record as Record<string, unknown>);
    }
    if (shift && columns.epoch) {
      columns.epoch = columns.epoch.map((epoch) => epoch === null ? null : epoch + shift);
    }
    return { token, from, next: from + end + 1, size: stat.size, reset, rows, columns };
  } finally {
    file.close();
  }
}
