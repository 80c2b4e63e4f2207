/**
 * `deno task train`: parses the flags, trains, and turns known errors into a message and an exit code.
 *
 * @module
 */

import { ConfigError, parseTrainArgs, type TrainConfig, trainHelp } from "../gan/config.ts";
import { train } from "../gan/train.ts";
import { DivergenceError } from "../gan/trainer.ts";

/**
 * The command line: parses flags, trains, and turns known errors into a message and exit code.
 *
 * @param args command-line arguments
 * @returns the process exit code
 */
export async function main(args: string[]): Promise<number> {
  let config: TrainConfig | undefined;
  try {
    config = parseTrainArgs(args);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (!config) {
    console.log(trainHelp());
    return 0;
  }
  try {
    const result = await train(config);
    return result.reason === "interrupted" ? 130 : 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DivergenceError) {
      console.error(`error: ${error.message}`);
      return error instanceof ConfigError ? 2 : 1;
    }
    console.error(`error: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
