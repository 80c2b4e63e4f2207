/**
 * The shim's cache folder, kept where only this user can write: a compiled library is loaded into the
 * process, so a file another user could plant or swap there would run as us. The folder is chosen from
 * `DCGAN_CACHE`, `XDG_CACHE_HOME` or `HOME` (never a shared fallback such as `/tmp`), created with mode
 * 0700, and each folder on the way to a library must be ours and writable by nobody else; a library file
 * that is not ours (or is writable by others) is removed and rebuilt, never loaded.
 *
 * @module
 */

import { isAbsolute, join, resolve } from "node:path";

/** Raised when libtorch or a compiler is missing, the shim fails to compile, or its cache is unsafe. */
export class ShimBuildError extends Error {
  /**
   * Creates the error.
   *
   * @param message what failed and how to fix it
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ShimBuildError";
  }
}

/**
 * An environment variable, or undefined when unset, empty, or when the process has no `--allow-env`.
 *
 * @param name the variable
 * @returns its value
 */
export function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

/**
 * The shim's cache folder: `$DCGAN_CACHE`, else `$XDG_CACHE_HOME/gan-dcgan`, else `~/.cache/gan-dcgan`.
 * `XDG_CACHE_HOME` and `HOME` count only when absolute (a relative one would put the cache in whatever
 * folder the program runs from).
 *
 * @returns the absolute folder (it may not exist yet)
 * @throws {ShimBuildError} when none of the three is usable, naming `DCGAN_CACHE` as the fix
 * @example
 * ```ts
 * import { shimCacheRoot } from "./cache_dir.ts";
 * console.log(shimCacheRoot()); // e.g. /home/me/.cache/gan-dcgan
 * ```
 */
export function shimCacheRoot(): string {
  const explicit = env("DCGAN_CACHE");
  if (explicit) return resolve(explicit);
  const xdg = env("XDG_CACHE_HOME");
  if (xdg && isAbsolute(xdg)) return join(xdg, "gan-dcgan");
  const home = env("HOME");
  if (home && isAbsolute(home)) return join(home, ".cache", "gan-dcgan");
  throw new ShimBuildError(
    "Cannot choose a cache folder for the compiled libtorch shim: DCGAN_CACHE, XDG_CACHE_HOME and HOME " +
      "are unset (or not absolute paths); set DCGAN_CACHE to a folder only you can write",
  );
}

/** This process's user id, or undefined where the system has none (Windows) or it cannot be read. */
function currentUid(): number | undefined {
  try {
    return Deno.uid() ?? undefined;
  } catch {
    // no --allow-sys: /proc/self belongs to the process's effective user on Linux
    try {
      return Deno.statSync("/proc/self").uid ?? undefined;
    } catch {
      return undefined;
    }
  }
}

/** Why `info` is not safe to load from or build in, or undefined when it is ours and writable only by us. */
function unsafeBecause(info: Deno.FileInfo, uid: number | undefined): string | undefined {
  if (info.isSymlink) return "it is a symbolic link";
  if (uid !== undefined && info.uid !== null && info.uid !== uid) {
    return `it belongs to user id ${info.uid}, not to this user (${uid})`;
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    return `other users can write to it (mode ${(info.mode & 0o777).toString(8)})`;
  }
  return undefined;
}

/**
 * Creates `sub` (folders below `root`, one at a time, mode 0700) and checks that `root` and each of them
 * is a folder owned by this user that no one else can write to.
 *
 * @param root the cache folder (followed if it is a symbolic link: the user may point it elsewhere)
 * @param sub folder names below `root`
 * @returns the innermost folder
 * @throws {ShimBuildError} naming the first unsafe folder and the fix
 */
export function secureCacheDir(root: string, ...sub: string[]): string {
  const uid = currentUid();
  let dir = root;
  for (let i = 0; i <= sub.length; i++) {
    if (i > 0) dir = join(dir, sub[i - 1]!);
    try {
      Deno.mkdirSync(dir, { recursive: i === 0, mode: 0o700 });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new ShimBuildError(
          `Cannot create the shim cache folder "${dir}": ${(error as Error).message}; ` +
            "set DCGAN_CACHE to a folder you can write",
          { cause: error },
        );
      }
    }
    const info = i === 0 ? Deno.statSync(dir) : Deno.lstatSync(dir);
    const why = info.isDirectory || info.isSymlink ? unsafeBecause(info, uid) : "it is not a folder";
    if (why) {
      throw new ShimBuildError(
        `Cannot use the shim cache folder "${dir}": ${why}, so a library loaded from it could be ` +
          "planted by someone else; make it yours and private (chown, then chmod go-w), or set DCGAN_CACHE " +
          "to a folder only you can write",
      );
    }
  }
  return dir;
}

/**
 * Whether a file in a checked cache folder may be used as it is: a regular file, made by this user,
 * writable by nobody else. Anything else at `path` is removed so that it is rebuilt, not loaded.
 *
 * @param path the file
 * @returns true when it can be used; false when it is missing or was removed
 * @throws {ShimBuildError} when an unsafe file cannot be removed
 */
export function usableCacheFile(path: string): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return false;
  }
  if (info.isFile && !unsafeBecause(info, currentUid())) return true;
  try {
    Deno.removeSync(path, { recursive: info.isDirectory });
  } catch (error) {
    throw new ShimBuildError(
      `Cannot remove "${path}", which this user did not make, to rebuild it: ${(error as Error).message}; ` +
        "delete it, or set DCGAN_CACHE to a folder only you can write",
      { cause: error },
    );
  }
  return false;
}
