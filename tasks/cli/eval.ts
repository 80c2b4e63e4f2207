/**
 * `deno task eval`: parses the flags, evaluates a generator, and turns known errors into a message and an
 * exit code.
 *
 * @module
 */

import { ConfigError } from "../gan/config.ts";
import { evaluate } from "../metrics/evaluate.ts";
import { evalHelp, parseEvalArgs } from "./eval_config.ts";

/**
 * The command line: parses flags, evaluates, and turns known errors into a message and exit code.
 *
 * @param args command-line arguments
 * @returns the process exit code: 0, 2 for a bad flag, 1 for any other failure
 * @example
 * ```ts ignore
 * import { main } from "./eval.ts";
 * Deno.exit(await main(["--checkpoint", "runs/emoji-1", "--inception", "pt_inception.safetensors"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const config = parseEvalArgs(args);
    if (!config) {
      console.log(evalHelp());
      return 0;
    }
    await evaluate(config);
    return 0;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
