/**
 * Finds libtorch and compiles the C++ shim into a per-user cache, once per shim source and libtorch.
 *
 * libtorch is looked for in this order: the `LIBTORCH` folder (with `include/` and `lib/`), a PyTorch
 * install whose `torch/` folder carries headers and libraries (as pip's wheels do), then Debian's
 * system install (`apt-get install -y libtorch-dev`). `DCGAN_SHIM` names a prebuilt library and skips
 * all of this. The build runs on Linux only; on macOS and Windows it says what to do instead (platform.ts).
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import { env, secureCacheDir, ShimBuildError, shimCacheRoot, usableCacheFile } from "./cache_dir.ts";
import {
  CUDA_SOURCE,
  prepareShimSources,
  SHIM_SOURCES,
  shimSourceDir,
  sourceHashesModule,
} from "./shim_sources.ts";
import { checkPlatform, installHint } from "./platform.ts";

export { env, prepareShimSources, ShimBuildError };

/** Where a libtorch install keeps its headers and libraries. */
export interface Libtorch {
  /** How it was found, for messages: `LIBTORCH`, `PyTorch`, or `Debian`. */
  source: string;
  /** Header folders to pass with `-I`. */
  includeDirs: string[];
  /** Folder holding libtorch.so, libtorch_cpu.so and libc10.so. */
  libDir: string;
  /** The version from torch/version.h, e.g. `1.13.0`. */
  version: string;
  /** Whether libtorch_cuda is present beside libtorch_cpu. */
  cuda: boolean;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function readVersion(includeDirs: string[]): string {
  for (const dir of includeDirs) {
    for (const rel of ["torch/csrc/api/include/torch/version.h", "torch/version.h"]) {
      const path = join(dir, rel);
      if (!exists(path)) continue;
      const text = Deno.readTextFileSync(path);
      const match = text.match(/TORCH_VERSION\s+\\?\s*"([^"]+)"/);
      if (match?.[1]) return match[1];
      // newer headers spell it as numbers only: TORCH_VERSION_MAJOR 2, _MINOR 11, _PATCH 0
      const part = (name: string) => text.match(new RegExp(`TORCH_VERSION_${name}\\s+(\\d+)`))?.[1];
      if (part("MAJOR") && part("MINOR")) return `${part("MAJOR")}.${part("MINOR")}.${part("PATCH") ?? 0}`;
    }
  }
  return "unknown";
}

/**
 * The libtorch with headers in `include` and libraries in `libDir`, if both are there; a PyTorch install's
 * `version.py` (`__version__ = '2.11.0+cu130'`) names the version when the headers do not.
 */
function fromDirs(source: string, include: string, libDir: string, versionPy?: string): Libtorch | undefined {
  if (!exists(join(include, "ATen/ATen.h")) || !exists(join(libDir, "libtorch_cpu.so"))) return undefined;
  const includeDirs = [include, join(include, "torch/csrc/api/include")];
  let version = readVersion(includeDirs);
  if (version === "unknown" && versionPy && exists(versionPy)) {
    const match = Deno.readTextFileSync(versionPy).match(/__version__\s*=\s*['"]([\d.]+)/);
    if (match?.[1]) version = match[1];
  }
  return { source, includeDirs, libDir, version, cuda: exists(join(libDir, "libtorch_cuda.so")) };
}

/** A libtorch folder laid out as pip's `torch/` and the libtorch zip: `include/`, `lib/`. */
function fromRoot(source: string, root: string): Libtorch | undefined {
  return fromDirs(source, join(root, "include"), join(root, "lib"), join(root, "version.py"));
}

function siteTorchDirs(): string[] {
  // where pip and Debian put torch/, found without starting Python (importing torch takes a second)
  const roots = ["/usr/local/lib", "/usr/lib"];
  const home = env("HOME");
  if (home && isAbsolute(home)) roots.push(join(home, ".local/lib")); // never a folder relative to here
  for (const prefix of [env("VIRTUAL_ENV"), env("CONDA_PREFIX")]) {
    if (prefix) roots.unshift(join(prefix, "lib"));
  }
  const dirs: string[] = [];
  for (const root of roots) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(root)];
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.name.startsWith("python3")) continue;
      for (const site of ["site-packages", "dist-packages"]) dirs.push(join(root, entry.name, site, "torch"));
    }
  }
  return dirs;
}

/**
 * The folder of the `torch` package that Python imports, asked of `python3` (then `/usr/bin/python3`)
 * when no site folder holds torch's headers. Python runs isolated (`-I`: no current folder, user site or
 * PYTHON* variables on its path) from the root folder, so a `torch.py` where the program runs is never
 * imported.
 *
 * @returns the torch folder, when an interpreter imports torch and it carries headers
 * @example
 * ```ts
 * import { pythonTorchRoot } from "./build.ts";
 * console.log(pythonTorchRoot()); // e.g. /usr/lib/python3/dist-packages/torch
 * ```
 */
export function pythonTorchRoot(): string | undefined {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const out = new Deno.Command(python, {
        args: ["-I", "-c", "import torch,os;print(os.path.dirname(torch.__file__))"],
        cwd: "/",
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      if (out.success) {
        const root = new TextDecoder().decode(out.stdout).trim();
        if (exists(join(root, "include/ATen/ATen.h"))) return root;
      }
    } catch {
      // that interpreter is missing or not runnable: try the next one
    }
  }
  return undefined;
}

/** A site folder's torch with headers, else the one Python imports. */
function torchRoot(): string | undefined {
  for (const dir of siteTorchDirs()) if (exists(join(dir, "include/ATen/ATen.h"))) return dir;
  return pythonTorchRoot();
}

/**
 * Finds a libtorch install: `LIBTORCH`, then a PyTorch install, then Debian's.
 *
 * @returns where the headers and libraries are
 * @throws {ShimBuildError} when none is found, naming what to install
 * @example
 * ```ts
 * import { findLibtorch } from "./build.ts";
 * console.log(findLibtorch().version);
 * ```
 */
export function findLibtorch(): Libtorch {
  const tried: string[] = [];
  const explicit = env("LIBTORCH");
  if (explicit) {
    const found = fromRoot("LIBTORCH", explicit);
    if (found) return found;
    throw new ShimBuildError(
      `LIBTORCH is set to "${explicit}" but it holds no include/ATen/ATen.h and lib/libtorch_cpu.so: ` +
        "point it at an unpacked libtorch folder, or unset it",
    );
  }
  tried.push("LIBTORCH (unset)");
  const root = torchRoot();
  if (root) {
    const found = fromRoot("PyTorch", root);
    if (found) return found;
  }
  tried.push("a PyTorch install with headers");
  const debian = fromDirs("Debian", "/usr/include", "/usr/lib/x86_64-linux-gnu");
  if (debian) return debian;
  tried.push("Debian's /usr/include/ATen and /usr/lib/x86_64-linux-gnu/libtorch_cpu.so");
  throw new ShimBuildError(`Cannot find libtorch (tried ${tried.join(", ")}): ${installHint("libtorch")}`);
}

/**
 * Whether the CUDA-only source (graphs, streams, autocast, capturable Adam) can be compiled: libtorch
 * has CUDA, is PyTorch 2.4 or newer (its device-typed autocast API and tensor-lr fused Adam), and CUDA's
 * headers are found (`$CUDA_HOME/include`, else `/usr/local/cuda/include`).
 *
 * @param torch the libtorch in use
 * @returns the CUDA header folder, or undefined when the CUDA part is left out
 */
export function cudaExtensionApplies(torch: Libtorch): string | undefined {
  if (!torch.cuda) return undefined;
  const [major, minor] = torch.version.split(".").map(Number);
  if (!(major! > 2 || (major === 2 && minor! >= 4))) return undefined;
  for (const root of [env("CUDA_HOME"), env("CUDA_PATH"), "/usr/local/cuda"]) {
    if (root && exists(join(root, "include", "cuda_runtime_api.h"))) return join(root, "include");
  }
  return undefined;
}

function compileArgs(
  torch: Libtorch,
  sources: string[],
  cudaInclude: string | undefined,
  output: string,
): string[] {
  const args = ["-O2", "-shared", "-fPIC", "-std=c++17", "-w"];
  if (torch.source !== "Debian") args.push("-D_GLIBCXX_USE_CXX11_ABI=1");
  for (const dir of torch.includeDirs) args.push(`-I${dir}`);
  if (cudaInclude) args.push(`-I${cudaInclude}`);
  // headers are in `sources` for the cache key only; g++ compiles the .cpp files
  args.push(
    ...sources.filter((source) => source.endsWith(".cpp")),
    "-o",
    output,
    `-L${torch.libDir}`,
    "-Wl,--no-as-needed",
  );
  args.push("-ltorch", "-ltorch_cpu", "-lc10");
  if (torch.cuda) args.push("-ltorch_cuda", "-lc10_cuda");
  args.push(`-Wl,-rpath,${torch.libDir}`);
  return args;
}

/** What a shim build takes: the libtorch, the sources to compile and the library's place in the cache. */
interface ShimPlan {
  torch: Libtorch;
  sources: string[];
  cudaInclude: string | undefined;
  root: string;
  key: string;
}

function planShim(): ShimPlan {
  checkPlatform(); // g++, GNU ld and a .so: Linux only
  const root = shimCacheRoot(); // first: without a safe cache folder there is nothing to do
  const torch = findLibtorch();
  const shimDir = shimSourceDir();
  if (!shimDir) {
    throw new ShimBuildError(
      "The shim's C++ sources are not downloaded yet: await prepareShimSources() first",
    );
  }
  const sources = SHIM_SOURCES.map((name) => join(shimDir, name)).filter(exists);
  const cudaInclude = cudaExtensionApplies(torch);
  if (cudaInclude && exists(join(shimDir, CUDA_SOURCE))) sources.push(join(shimDir, CUDA_SOURCE));
  return { torch, sources, cudaInclude, root, key: keyOf(torch, sources) };
}

/** The library's file name in its cache folder. */
const LIBRARY = "libdcgan_shim.so";

/**
 * Where {@linkcode ensureShim} keeps the compiled shim for the installed libtorch and these sources:
 * `<cache>/shim/<libtorch version>-<hash of sources and libtorch>/libdcgan_shim.so`. Nothing is created.
 *
 * @returns the library's path (it may not exist yet)
 * @throws {ShimBuildError} when no cache folder or libtorch is found
 * @example
 * ```ts
 * import { shimLibraryPath } from "./build.ts";
 * console.log(shimLibraryPath());
 * ```
 */
export function shimLibraryPath(): string {
  const plan = planShim();
  return join(plan.root, "shim", plan.key, LIBRARY);
}

/**
 * Returns the path of a compiled shim for the installed libtorch, compiling it on first use.
 *
 * The library lands in `$DCGAN_CACHE` (default `$XDG_CACHE_HOME/gan-dcgan`, else `~/.cache/gan-dcgan`)
 * under a key made of the shim's sources and the libtorch version, so a second call with the same
 * inputs does not compile. The cache folders must belong to this user and be writable by nobody else;
 * a library file there that this user did not make is rebuilt, never returned.
 *
 * @param options.quiet no progress message on stderr while compiling
 * @returns the absolute path of the shared library
 * @throws {ShimBuildError} when libtorch or g++ is missing, compilation fails, no cache folder is set
 *   (no DCGAN_CACHE, XDG_CACHE_HOME or HOME) or a cache folder is not private to this user
 * @example
 * ```ts
 * import { ensureShim } from "./build.ts";
 * const path = ensureShim();
 * ```
 */
export function ensureShim(options: { quiet?: boolean } = {}): string {
  const prebuilt = env("DCGAN_SHIM");
  if (prebuilt) return prebuilt;
  const { torch, sources, cudaInclude, root, key } = planShim();
  const dir = secureCacheDir(root, "shim", key);
  const output = join(dir, LIBRARY);
  if (usableCacheFile(output)) return output;
  const partial = `${output}.tmp-${crypto.randomUUID()}`;
  if (!options.quiet) {
    console.error(`Compiling the libtorch shim for libtorch ${torch.version} (${torch.source}); once, ~20 s`);
  }
  let result: Deno.CommandOutput;
  try {
    result = new Deno.Command("g++", {
      args: compileArgs(torch, sources, cudaInclude, partial),
      stderr: "piped",
    })
      .outputSync();
  } catch (error) {
    throw new ShimBuildError(`Cannot run g++ to compile the libtorch shim: ${installHint("compiler")}`, {
      cause: error,
    });
  }
  if (!result.success) {
    try {
      Deno.removeSync(partial);
    } catch { /* nothing was written */ }
    const log = new TextDecoder().decode(result.stderr).split("\n").slice(0, 30).join("\n");
    throw new ShimBuildError(`Compiling the libtorch shim against libtorch ${torch.version} failed:\n${log}`);
  }
  Deno.renameSync(partial, output);
  return output;
}

/** Headers dist.cpp compiles against only where present (`__has_include`): Gloo's, from libgloo-dev on Debian. */
const OPTIONAL_HEADERS = ["gloo/context.h", "torch/csrc/distributed/c10d/ProcessGroupGloo.hpp"];

function optionalHeadersFound(torch: Libtorch): string[] {
  const dirs = [...torch.includeDirs, "/usr/local/include", "/usr/include"];
  return OPTIONAL_HEADERS.filter((header) => dirs.some((dir) => exists(join(dir, header))));
}

/**
 * The optional headers g++ finds for the installed libtorch. They are part of the shim's cache key, so
 * installing them after a first build (`apt-get install libgloo-dev`) builds a shim with c10d's Gloo
 * process group instead of reusing the one without it.
 *
 * @returns the headers found, as `#include` paths
 * @throws {ShimBuildError} when no libtorch is found
 * @example
 * ```ts
 * import { shimOptionalHeaders } from "./build.ts";
 * console.log(shimOptionalHeaders()); // e.g. [ "gloo/context.h", "torch/csrc/distributed/c10d/ProcessGroupGloo.hpp" ]
 * ```
 */
export function shimOptionalHeaders(): string[] {
  return optionalHeadersFound(findLibtorch());
}

function keyOf(torch: Libtorch, sources: string[]): string {
  // two 32-bit FNV-1a hashes over the sources and libtorch's identity: cheap and synchronous
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
  const feed = (bytes: Uint8Array) => {
    for (const byte of bytes) {
      a = Math.imul(a ^ byte, 0x01000193) >>> 0;
      b = Math.imul(b ^ byte, 0x5bd1e995) >>> 0;
    }
  };
  for (const source of sources) feed(Deno.readFileSync(source));
  const optional = optionalHeadersFound(torch);
  feed(
    new TextEncoder().encode(
      JSON.stringify([torch.source, torch.version, torch.libDir, torch.cuda, optional]),
    ),
  );
  return `${torch.version}-${a.toString(16).padStart(8, "0")}${b.toString(16).padStart(8, "0")}`;
}

if (import.meta.main) {
  if (Deno.args.includes("--write-hashes")) {
    const path = join(shimSourceDir(), "source_hashes.ts");
    Deno.writeTextFileSync(path, await sourceHashesModule(shimSourceDir()));
    console.log(path);
    Deno.exit(0);
  }
  await prepareShimSources();
  const path = ensureShim();
  console.log(path);
}
