/**
 * The shim's C++ sources: beside this file in a checkout, or downloaded into the cache when the package
 * is loaded from JSR, each checked against the SHA-256 that the package records in source_hashes.ts.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { secureCacheDir, ShimBuildError, shimCacheRoot, usableCacheFile } from "./cache_dir.ts";
import { SOURCE_SHA256 } from "./source_hashes.ts";

const SHIM_URL = new URL(".", import.meta.url);
/** The sources compiled on every libtorch (headers count for the cache key). */
export const SHIM_SOURCES = [
  "shim.cpp",
  "shim.h",
  "shim_internal.h",
  "conv_fast.cpp",
  "conv_matmul.cpp",
  "diff_augment.cpp",
  "dist.cpp",
];
/** The CUDA-only source, compiled where libtorch has CUDA (see `cudaExtensionApplies` in build.ts). */
export const CUDA_SOURCE = "cuda.cpp";
/** Where the C++ sources are read from: this folder, or a download of them when loaded from JSR. */
let shimDir = SHIM_URL.protocol === "file:" ? dirname(new URL(import.meta.url).pathname) : "";

/**
 * The folder holding the sources, or `""` before {@linkcode prepareShimSources} has downloaded them.
 *
 * @returns the folder
 */
export function shimSourceDir(): string {
  return shimDir;
}

/**
 * The SHA-256 of `bytes` as 64 hex digits.
 *
 * @param bytes the data
 * @returns the digest
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether `bytes` are the source `name` as the package records it in source_hashes.ts. */
async function matchesRecordedHash(name: string, bytes: Uint8Array): Promise<boolean> {
  const expected = SOURCE_SHA256[name];
  if (!expected) {
    throw new ShimBuildError(
      `The package records no SHA-256 for the shim source ${name}; it is inconsistent: report it, or use a ` +
        "checkout of the repository",
    );
  }
  return await sha256Hex(bytes) === expected;
}

/**
 * Makes the shim's C++ sources available on disk. A checkout has them beside this file; a package
 * loaded from JSR has them on the registry, so they are downloaded once into the cache (the package
 * cannot ship a compiled shim for every libtorch). Each download, and each copy already in the cache,
 * must match the SHA-256 that the package records for it (ffi/source_hashes.ts) before it is compiled.
 *
 * @returns the folder holding the sources
 * @throws {ShimBuildError} when a source cannot be downloaded, or its bytes differ from the recorded hash
 * @example
 * ```ts
 * import { prepareShimSources } from "./shim_sources.ts";
 * console.log(await prepareShimSources());
 * ```
 */
export async function prepareShimSources(): Promise<string> {
  if (shimDir) return shimDir;
  const version = SHIM_URL.pathname.split("/").filter(Boolean).slice(-2, -1)[0] ?? "remote";
  const dir = secureCacheDir(shimCacheRoot(), "src", version.replace(/[^\w.-]/g, "_"));
  for (const name of [...SHIM_SOURCES, CUDA_SOURCE]) {
    const target = join(dir, name);
    if (usableCacheFile(target) && await matchesRecordedHash(name, Deno.readFileSync(target))) continue;
    const url = new URL(name, SHIM_URL);
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new ShimBuildError(`Cannot download the shim source ${url}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (response.status === 404 && name === CUDA_SOURCE) {
      await response.body?.cancel();
      try {
        Deno.removeSync(target); // a copy that failed its check must not be compiled either
      } catch { /* none was there */ }
      continue; // optional
    }
    if (!response.ok) {
      throw new ShimBuildError(`Cannot download the shim source ${url}: HTTP ${response.status}`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!await matchesRecordedHash(name, bytes)) {
      throw new ShimBuildError(
        `The downloaded shim source ${url} does not match the SHA-256 the package records for it ` +
          `(${SOURCE_SHA256[name]}), so it is not compiled: the download was altered, or the package ` +
          "is inconsistent; try again, or report it",
      );
    }
    const partial = `${target}.tmp-${crypto.randomUUID()}`;
    Deno.writeFileSync(partial, bytes, { mode: 0o600 });
    Deno.renameSync(partial, target);
  }
  shimDir = dir;
  return dir;
}

/**
 * The text of ffi/source_hashes.ts for the sources in `dir`: the SHA-256 of every shim source, which
 * {@linkcode prepareShimSources} checks downloads against. Regenerate it after changing a source with
 * `deno run -A ffi/build.ts --write-hashes`.
 *
 * @param dir the folder holding the sources (ffi/)
 * @returns the module's text
 * @example
 * ```ts
 * import { sourceHashesModule } from "./shim_sources.ts";
 * console.log(await sourceHashesModule(new URL(".", import.meta.url).pathname));
 * ```
 */
export async function sourceHashesModule(dir: string): Promise<string> {
  const rows: string[] = [];
  for (const name of [...SHIM_SOURCES, CUDA_SOURCE].sort()) {
    rows.push(`  "${name}": "${await sha256Hex(Deno.readFileSync(join(dir, name)))}",`);
  }
  return [
    "// Generated by `deno run -A ffi/build.ts --write-hashes` from the shim's C++ sources; do not edit.",
    "// A package loaded from JSR downloads the sources and compiles them only if they match.",
    "",
    "/** SHA-256 of each C++ source of the shim, by file name in ffi/. */",
    "export const SOURCE_SHA256: Readonly<Record<string, string>> = {",
    ...rows,
    "};",
    "",
  ].join("\n");
}
