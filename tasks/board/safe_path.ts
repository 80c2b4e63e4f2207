/**
 * Turning a path that a web page sent into a file inside the runs folder, or a refusal. The page may
 * only name files under the folder: an absolute path, a `..` or `.` segment, a backslash, a NUL byte,
 * or a symbolic link that leads outside (checked on the real, resolved path) is refused.
 *
 * @module
 */

import { isAbsolute, join, sep } from "node:path";

/** A path that a request named lies outside the runs folder or is malformed; the board answers 403. */
export class OutsideRootError extends Error {
  /**
   * Refuses a path.
   *
   * @param message which path and why
   */
  constructor(message: string) {
    super(message);
    this.name = "OutsideRootError";
  }
}

/**
 * The real path of `relativePath` under `root`, refused unless it stays inside `root` once every
 * symbolic link is resolved.
 *
 * @param root the runs folder
 * @param relativePath a `/`-separated path relative to `root`, as a request gave it (`.` is `root`)
 * @returns the resolved absolute path
 * @throws {OutsideRootError} for a path that is absolute, has `..`, `.` or empty segments, a backslash or
 *   a NUL byte, or leads outside `root` through a link
 * @throws {Deno.errors.NotFound} when the path does not exist
 * @example
 * ```ts
 * import { resolveInside } from "./safe_path.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/a.json`, "{}");
 * console.log(await resolveInside(root, "a.json")); // the real path of root/a.json
 * // resolveInside(root, "../etc/passwd") throws OutsideRootError
 * ```
 */
export async function resolveInside(root: string, relativePath: string): Promise<string> {
  const shown = JSON.stringify(relativePath);
  if (relativePath !== ".") {
    if (relativePath === "" || isAbsolute(relativePath) || /[\\\0]/.test(relativePath)) {
      throw new OutsideRootError(`Refused path ${shown}: give a path relative to the runs folder`);
    }
    if (relativePath.split("/").some((part) => part === "" || part === "." || part === "..")) {
      throw new OutsideRootError(`Refused path ${shown}: it has an empty, "." or ".." segment`);
    }
  }
  const realRoot = await Deno.realPath(root);
  const real = await Deno.realPath(join(realRoot, relativePath));
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) {
    throw new OutsideRootError(`Refused path ${shown}: it leads outside the runs folder`);
  }
  return real;
}
