/**
 * What the CPU offers beyond the baseline, for defaults that pay off only on some chips.
 *
 * @module
 */

let cached: boolean | undefined;

/**
 * Whether the CPU multiplies bfloat16 natively (x86's `avx512_bf16` or `amx_bf16`), so oneDNN's bf16
 * kernels run at about twice the fp32 rate; elsewhere they emulate bf16 and run slower than fp32.
 * Read from `/proc/cpuinfo` on Linux; false where that cannot be read (macOS, Windows, no permission).
 *
 * @param cpuinfo the text of `/proc/cpuinfo` (default: read it, once per process)
 * @returns true when every listed core has one of the flags
 * @example
 * ```ts
 * import { cpuHasNativeBf16 } from "@gan/dcgan/ops";
 * console.log(cpuHasNativeBf16("flags : fpu avx512f avx512_bf16\n")); // true
 * ```
 */
export function cpuHasNativeBf16(cpuinfo?: string): boolean {
  if (cpuinfo !== undefined) return parse(cpuinfo);
  if (cached === undefined) {
    try {
      cached = parse(Deno.readTextFileSync("/proc/cpuinfo"));
    } catch {
      cached = false;
    }
  }
  return cached;
}

function parse(cpuinfo: string): boolean {
  const flagLines = cpuinfo.split("\n").filter((line) => /^flags\s*:/.test(line));
  return flagLines.length > 0 &&
    flagLines.every((line) =>
      line.split(/\s+/).some((flag) => flag === "avx512_bf16" || flag === "amx_bf16")
    );
}
