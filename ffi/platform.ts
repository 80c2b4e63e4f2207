/**
 * Where the shim can be built, and what to install: build.ts compiles it with g++ and GNU ld into a
 * Linux `.so`, so Linux (x86-64, tested; arm64 with pip's torch) is supported and macOS and Windows are
 * not. On those, the messages say what works instead (a Linux container or WSL 2, or a shim the user
 * compiles with clang / MSVC and names with `DCGAN_SHIM`) rather than an `apt-get` line that cannot
 * run there. Every function takes the platform as a parameter, so tests can fake the OS.
 *
 * @module
 */

import { ShimBuildError } from "./cache_dir.ts";

/** An operating system and CPU, as `Deno.build` names them. */
export interface Platform {
  /** `linux`, `darwin`, `windows`, ... */
  os: typeof Deno.build.os;
  /** `x86_64` or `aarch64`. */
  arch: typeof Deno.build.arch;
}

/** The platform this process runs on. */
export function currentPlatform(): Platform {
  return { os: Deno.build.os, arch: Deno.build.arch };
}

const MACOS = (arch: string) =>
  `The libtorch shim is built on Linux only, and this is macOS (${arch}). ` +
  "Not supported on macOS: building the shim (build.ts compiles it with g++ and GNU ld into a .so), CUDA, " +
  "and Apple's GPU (MPS). What works: run @gan/dcgan in Linux, e.g. a Debian 12 container (Docker Desktop, " +
  "OrbStack) or VM (UTM), following the Linux steps there (g++, and Debian's libtorch-dev or pip's torch). " +
  "Unsupported but possible: " +
  "install PyTorch (`pip3 install torch`: headers in torch/include, libraries in torch/lib) and clang " +
  "(`xcode-select --install`), compile the .cpp files of ffi/ other than cuda.cpp into a .dylib with " +
  "`clang++ -std=c++17 -shared -fPIC`, and set DCGAN_SHIM to its path";

const WINDOWS = (arch: string) =>
  `The libtorch shim is built on Linux only, and this is Windows (${arch}). ` +
  "Not supported natively: building the shim (build.ts compiles it with g++ into a .so). What works: " +
  "WSL 2 (`wsl --install -d Debian`), with Deno for Linux inside it, where libtorch installs as on any " +
  "Linux (and CUDA works with pip's CUDA build of torch). Unsupported but possible: compile the .cpp files of " +
  "ffi/ other than cuda.cpp into a .dll with MSVC (`cl.exe` from Visual Studio's Build Tools) against " +
  "libtorch's Windows zip or `pip install torch`, and set DCGAN_SHIM to its path";

/**
 * Why the shim cannot be built on a platform, with what to do instead; undefined on Linux.
 *
 * @param platform the OS and CPU (default: this one)
 * @returns the message for macOS, Windows and other systems
 * @example
 * ```ts
 * import { unsupportedPlatform } from "./platform.ts";
 * console.log(unsupportedPlatform({ os: "darwin", arch: "aarch64" })); // "The libtorch shim is built on Linux only, ..."
 * ```
 */
export function unsupportedPlatform(platform: Platform = currentPlatform()): string | undefined {
  switch (platform.os) {
    case "linux":
      return undefined;
    case "darwin":
      return MACOS(platform.arch);
    case "windows":
      return WINDOWS(platform.arch);
    default:
      return `The libtorch shim is built on Linux only, and this is ${platform.os} (${platform.arch}): ` +
        "run @gan/dcgan on Linux (a VM or container), or compile ffi/shim.cpp against libtorch yourself " +
        "and set DCGAN_SHIM to the library";
  }
}

/**
 * Refuses to build the shim where build.ts cannot: anywhere but Linux.
 *
 * @param platform the OS and CPU (default: this one)
 * @throws {ShimBuildError} with {@linkcode unsupportedPlatform}'s message
 * @example
 * ```ts
 * import { checkPlatform } from "./platform.ts";
 * checkPlatform({ os: "linux", arch: "x86_64" }); // fine; { os: "windows", ... } throws
 * ```
 */
export function checkPlatform(platform: Platform = currentPlatform()): void {
  const message = unsupportedPlatform(platform);
  if (message) throw new ShimBuildError(message);
}

/**
 * How to install what the shim's build lacks: libtorch or the C++ compiler. On Linux these are apt and
 * pip commands; elsewhere the build is not supported and the answer is {@linkcode unsupportedPlatform}'s.
 *
 * @param need `libtorch` or `compiler`
 * @param platform the OS and CPU (default: this one)
 * @returns the fix, a clause to follow a colon
 * @example
 * ```ts
 * import { installHint } from "./platform.ts";
 * console.log(installHint("compiler", { os: "linux", arch: "x86_64" })); // "install it with `apt-get install -y g++` ..."
 * ```
 */
export function installHint(need: "libtorch" | "compiler", platform: Platform = currentPlatform()): string {
  const unsupported = unsupportedPlatform(platform);
  if (unsupported) return unsupported;
  if (need === "compiler") {
    return "install it with `apt-get install -y g++` (Debian, Ubuntu) or your distribution's g++ package";
  }
  const packages = platform.arch === "x86_64"
    ? "`apt-get install -y libtorch-dev` (Debian 12, Ubuntu) or `pip install torch`"
    : "`pip install torch` (its wheel carries libtorch's headers; Debian's libtorch-dev is found on x86-64 only)";
  return `install it with ${packages}, or set LIBTORCH to an unpacked libtorch folder`;
}
