/**
 * PyTorch's side of the benches and tests: which Python runs it (one default, for the benches and the
 * tests alike) and how a bench runs a script whose stdout is the result, whose stderr is the reason when
 * it fails.
 *
 * @module
 */

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: the defaults below
  }
}

/**
 * The interpreter with PyTorch for the CPU references (benches and tests): `DCGAN_PYTHON`, else Debian's
 * /usr/bin/python3, whose python3-torch 1.13 is the same libtorch as ours. Not the `python3` first on
 * PATH: that may be another Python without torch.
 */
export const PYTHON: string = env("DCGAN_PYTHON") ?? "/usr/bin/python3";

/**
 * The interpreter with a CUDA PyTorch for the GPU bench and tests: `DCGAN_PYTHON`, else the `python3`
 * first on PATH (a GPU machine's pip PyTorch; Debian's python3-torch has no CUDA).
 */
export const CUDA_PYTHON: string = env("DCGAN_PYTHON") ?? "python3";

/**
 * Runs `python` with `args`, timing it.
 *
 * @param python the interpreter with torch
 * @param args the script and its arguments
 * @param what which bench, for the error
 * @returns its stdout and how long it ran, in seconds
 * @throws {Error} naming the bench, the interpreter and Python's stderr when it exits non-zero
 * @example
 * ```ts ignore
 * import { PYTHON, runPython } from "./python.ts";
 * const { stdout } = await runPython(PYTHON, ["-c", "print(1)"], "the example");
 * ```
 */
export async function runPython(
  python: string,
  args: string[],
  what: string,
): Promise<{ stdout: string; seconds: number }> {
  const start = performance.now();
  const out = await new Deno.Command(python, { args, stdout: "piped", stderr: "piped" }).output();
  const seconds = (performance.now() - start) / 1000;
  if (!out.success) {
    throw new Error(
      `PyTorch's side of ${what} failed in ${python}:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return { stdout: new TextDecoder().decode(out.stdout), seconds };
}
