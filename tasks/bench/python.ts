/**
 * Runs PyTorch's side of a bench: a Python script whose stdout is the result, whose stderr is the
 * reason when it fails.
 *
 * @module
 */

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
 * import { runPython } from "./python.ts";
 * const { stdout } = await runPython("/usr/bin/python3", ["-c", "print(1)"], "the example");
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
