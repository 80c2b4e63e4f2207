/**
 * Atomic file writes: a reader sees either the old file or the complete new one, never a torn write,
 * even if the process dies halfway through (checkpoints, JSON training state).
 *
 * @module
 */

import { dirname } from "node:path";

/**
 * Writes `bytes` to `path` atomically: the bytes go to a temporary file `<path>.tmp-<random>` in the
 * same folder, which is flushed to disk and then renamed over `path`. On failure the temporary file is
 * removed and an existing file at `path` is left untouched.
 *
 * @param path The file to create or replace.
 * @param bytes The complete new contents.
 * @returns A promise that resolves once the new contents are in place.
 * @throws {Error} When the file cannot be written; the message names `path` and says how to fix it, and
 * `cause` holds the underlying `Deno.errors` error.
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic_write.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify({ epoch: 3 })));
 * console.log(await Deno.readTextFile(path)); // {"epoch":3}
 * await Deno.remove(path);
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${randomSuffix()}`;
  let created = false;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true });
    created = true;
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    if (created) await Deno.remove(temp).catch(() => {});
    throw new Error(describeWriteFailure(path, error), { cause: error });
  }
}

/** Eight random hex digits, enough to keep concurrent writers of the same path apart. */
function randomSuffix(): string {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return (n ?? 0).toString(16).padStart(8, "0");
}

/** Says why writing `path` failed and what to do about it. */
function describeWriteFailure(path: string, error: unknown): string {
  const what = `Cannot write "${path}"`;
  const folder = dirname(path);
  if (error instanceof Deno.errors.NotFound) {
    return `${what}: folder "${folder}" does not exist; create it first or choose another folder with --out`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `${what}: folder "${folder}" is not writable; choose a writable folder with --out`;
  }
  if (error instanceof Deno.errors.NotCapable) {
    return `${what}: Deno has no write permission there; run with --allow-write`;
  }
  if (error instanceof Deno.errors.IsADirectory) {
    return `${what}: a folder with that name exists; remove it or choose another file name`;
  }
  return `${what}: ${error instanceof Error ? error.message : String(error)}`;
}
