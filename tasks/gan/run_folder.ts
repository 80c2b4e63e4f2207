/**
 * Opening a run folder for training, so that a run is never silently lost: a non-empty `--out` is
 * refused, a folder that holds a run is continued only with `--resume` or cleared only with
 * `--overwrite`, one training at a time holds the folder's lock (a file with its PID; a stale lock left
 * by a dead process is taken over), and the temporary files of writes that a kill interrupted are
 * removed.
 *
 * @module
 */

import { hostname } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../cli/flags.ts";

/** The lock file inside a run folder. */
export const LOCK_FILE = "train.lock";

/** The files a training run writes into its folder (see train.ts and run_outputs.ts). */
export const RUN_OUTPUT: RegExp =
  /^(config\.json|metrics\.jsonl|(checkpoint|generator|generator_ema|generator_best|generator_epoch_\d+|discriminator|eval_real_features)\.safetensors|real_samples\.png|fake_samples_(epoch_\d+|last)\.png|loss_plot\.png|progress\.gif|real_vs_fake\.png)$/;

/** A temporary file of `writeFileAtomic` (models/io/atomic_write.ts): `<file>.tmp-<8 hex digits>`. */
const TEMP_SUFFIX = /\.tmp-[0-9a-f]{8}$/;

/**
 * Refuses an empty or all-whitespace `--out`, which would put the run's files in the current folder.
 *
 * @param out the run folder as given
 * @throws {ConfigError} naming the flag and the fix
 * @example
 * ```ts
 * import { checkOutPath } from "./run_folder.ts";
 * checkOutPath("runs/faces"); // fine; checkOutPath(" ") throws
 * ```
 */
export function checkOutPath(out: string): void {
  if (out.trim() === "") {
    throw new ConfigError(
      `--out must name a folder, got ${
        JSON.stringify(out)
      }: pass e.g. --out runs/faces (or leave it out for a new runs/ folder)`,
    );
  }
}

/** What a lock file says about its holder. */
interface LockOwner {
  pid: number;
  host: string;
  /** The process's start time from /proc (Linux), so a reused PID is not taken for the holder. */
  started?: string;
  since: string;
  token: string;
}

/** The start time of process `pid` (field 22 of /proc/<pid>/stat), where /proc exists. */
function processStart(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the lock's holder still runs; a holder on another machine is taken to run. */
function holderRuns(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === Deno.pid) return HELD.has(owner.token);
  let procExists = false;
  try {
    Deno.statSync("/proc/self/stat");
    procExists = true;
  } catch { /* not Linux */ }
  if (procExists) {
    const started = processStart(owner.pid);
    return started !== undefined && (owner.started === undefined || owner.started === started);
  }
  try {
    return new Deno.Command("kill", { args: ["-0", String(owner.pid)], stderr: "null" }).outputSync().success;
  } catch {
    return true; // cannot tell: do not take it over
  }
}

/** Tokens of the locks this process holds (two train() calls in one process must not share a folder). */
const HELD = new Set<string>();

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(Deno.readTextFileSync(path));
    return typeof owner?.pid === "number" && typeof owner?.token === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** A run folder's lock, held until {@linkcode RunLock.release} or the process exits. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void;
}

/** Creates the lock file with `owner` in one step (hard link of a complete file), or returns false. */
function tryCreate(path: string, owner: LockOwner): boolean {
  const temp = `${path}.${owner.token}`;
  Deno.writeTextFileSync(temp, JSON.stringify(owner) + "\n");
  try {
    Deno.linkSync(temp, path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw new Error(`Cannot lock the run folder: cannot create "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    Deno.removeSync(temp);
  }
}

/**
 * Takes the lock of a run folder: `<out>/train.lock` holding this process's PID. A lock whose process
 * is gone (killed, crashed) is taken over, with a message to `log`; a live one is refused.
 *
 * @param out the run folder (it must exist)
 * @param options `log`: where the take-over message goes
 * @returns the lock; release it when the run ends
 * @throws {Error} naming the PID (and host) that holds the folder, and what to do
 * @example
 * ```ts
 * import { lockRunFolder } from "./run_folder.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = lockRunFolder(dir);
 * lock.release();
 * await Deno.remove(dir);
 * ```
 */
export function lockRunFolder(out: string, options: { log?: (line: string) => void } = {}): RunLock {
  const path = join(out, LOCK_FILE);
  const owner: LockOwner = {
    pid: Deno.pid,
    host: hostname(),
    started: processStart(Deno.pid),
    since: new Date().toISOString(),
    token: crypto.randomUUID(),
  };
  for (let attempt = 0; !tryCreate(path, owner); attempt++) {
    const holder = readOwner(path);
    if (attempt > 0 || (holder && holderRuns(holder))) {
      const who = holder
        ? `process ${holder.pid}${
          holder.host !== owner.host ? ` on ${holder.host}` : ""
        } (since ${holder.since})`
        : "another process";
      throw new Error(
        `The run folder "${out}" is in use by ${who}: wait for that training to finish or stop it, or pass ` +
          `another --out; if no training runs there, delete "${path}"`,
      );
    }
    // the holder is gone: take the lock over, unless it changed hands since we read it
    const again = readOwner(path);
    if (again?.token !== holder?.token) continue;
    Deno.removeSync(path);
    options.log?.(
      holder
        ? `Taking over the lock of "${out}": process ${holder.pid} that held it since ${holder.since} is gone`
        : `Taking over the unreadable lock file "${path}"`,
    );
  }
  HELD.add(owner.token);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    HELD.delete(owner.token);
    globalThis.removeEventListener("unload", release);
    try {
      if (readOwner(path)?.token === owner.token) Deno.removeSync(path);
    } catch { /* the folder is gone: so is the lock */ }
  };
  // Deno.exit() (a second Ctrl-C) skips `finally` blocks but dispatches "unload": release there too
  globalThis.addEventListener("unload", release);
  return { path, release };
}

/**
 * The files of a run in a folder: those that {@linkcode RUN_OUTPUT} names, and their temporary files.
 *
 * @param out the folder
 * @returns their names, sorted (none when the folder is missing)
 */
export function runFiles(out: string): string[] {
  try {
    return [...Deno.readDirSync(out)]
      .filter((entry) => entry.isFile && RUN_OUTPUT.test(entry.name.replace(TEMP_SUFFIX, "")))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Removes the temporary files that interrupted writes of the run's files left (`checkpoint.safetensors.tmp-…`
 * after a kill during a save). Call it with the folder's lock held: no write of ours is under way then.
 *
 * @param out the run folder
 * @returns the names removed
 */
export function removeStaleTempFiles(out: string): string[] {
  const stale = runFiles(out).filter((name) => TEMP_SUFFIX.test(name));
  for (const name of stale) Deno.removeSync(join(out, name));
  return stale;
}

/** How to open a run folder. */
export interface OpenRunFolderOptions {
  /** Continue the run in the folder (it may hold one). */
  resume?: boolean;
  /** Remove the run files in the folder first (other files stay). */
  overwrite?: boolean;
  /** Where messages go (a stale lock taken over, files removed). */
  log?: (line: string) => void;
}

/** An open run folder: the lock held, the stale temporary files removed. */
export interface RunFolder extends RunLock {
  /** The run folder. */
  readonly out: string;
}

/**
 * Opens a run folder for training: refuses an empty `out`, creates the folder, takes its lock, refuses
 * a folder that holds a run unless `resume` or `overwrite` says what to do with it (`overwrite` removes
 * the run's files, and only them), and removes stale temporary files.
 *
 * @param out the run folder
 * @param options `resume`, `overwrite`, `log`
 * @returns the folder with its lock; call `release()` when the run ends
 * @throws {ConfigError} for an empty `out`, both `resume` and `overwrite`, or a folder holding a run
 *   without either; {@linkcode lockRunFolder}'s error when another training holds it
 * @example
 * ```ts
 * import { openRunFolder } from "./run_folder.ts";
 * const dir = await Deno.makeTempDir();
 * const folder = await openRunFolder(dir);
 * folder.release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openRunFolder(out: string, options: OpenRunFolderOptions = {}): Promise<RunFolder> {
  checkOutPath(out);
  if (options.resume && options.overwrite) {
    throw new ConfigError("--resume continues the run in --out and --overwrite deletes it: pass one of them");
  }
  await Deno.mkdir(out, { recursive: true }).catch((error) => {
    throw new Error(`Cannot create the run folder "${out}": ${error.message}; pass a writable --out`, {
      cause: error,
    });
  });
  const lock = lockRunFolder(out, options);
  try {
    const existing = runFiles(out).filter((name) => !TEMP_SUFFIX.test(name));
    if (existing.length > 0 && !options.resume) {
      if (!options.overwrite) {
        throw new ConfigError(
          `The run folder "${out}" already holds a run (${existing.slice(0, 3).join(", ")}` +
            `${
              existing.length > 3 ? ", ..." : ""
            }): pass --resume to continue it, --overwrite to replace it, ` +
            "or a new --out",
        );
      }
      for (const name of existing) Deno.removeSync(join(out, name));
      options.log?.(`Removed the ${existing.length} files of the previous run in "${out}" (--overwrite)`);
    }
    const stale = removeStaleTempFiles(out);
    if (stale.length > 0) {
      options.log?.(`Removed ${stale.length} temporary files that interrupted writes left in "${out}"`);
    }
  } catch (error) {
    lock.release();
    throw error;
  }
  return { ...lock, out };
}
