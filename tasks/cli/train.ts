/**
 * `deno task train`: parses the flags, trains, and shows it: log lines on stdout, a progress bar on a
 * terminal's stderr, a summary at the end; Ctrl-C stops with a checkpoint (twice: at once). Known errors
 * become a message and an exit code.
 *
 * @module
 */

import { ConfigError, parseTrainArgs, type TrainConfig, trainHelp } from "../gan/config.ts";
import { CHECKPOINT_FILE } from "../gan/run_checkpoint.ts";
import { train, type TrainHooks, type TrainResult } from "../gan/train.ts";
import { formatDuration, ProgressBar } from "./progress.ts";

/** The console side of a run: the hooks that print, draw the bar and listen for Ctrl-C. */
class ConsoleRun {
  #bar?: ProgressBar;
  #started = performance.now();
  #stopRequested = false;
  #listening = false;

  readonly #onSigint = () => {
    if (this.#stopRequested) Deno.exit(130); // a second Ctrl-C: leave now, the last checkpoint stays
    this.#stopRequested = true;
  };

  /** The hooks to pass to `train()`. */
  readonly hooks: TrainHooks = {
    log: (line) => {
      this.#bar?.clear();
      console.log(line);
    },
    onStart: ({ totalSteps, position }) => {
      this.#bar = new ProgressBar(totalSteps, position.globalStep);
      this.#started = performance.now();
      try {
        Deno.addSignalListener("SIGINT", this.#onSigint);
        this.#listening = true;
      } catch { /* no signal support here (e.g. Windows without a console) */ }
    },
    onStep: (stats, position) =>
      this.#bar?.update(
        position.globalStep,
        `Loss_D ${stats.lossD.toFixed(3)} Loss_G ${stats.lossG.toFixed(3)}`,
      ),
    shouldStop: () => this.#stopRequested,
  };

  /** The last line: how the run ended, how long it took and where it is. */
  summary(result: TrainResult): string {
    const seconds = (performance.now() - this.#started) / 1000;
    return `${result.reason === "interrupted" ? "Stopped" : "Finished"} after ${result.steps} steps in ${
      formatDuration(seconds)
    }. Run folder: ${result.out} (samples, generator.safetensors, ${CHECKPOINT_FILE}, metrics.jsonl)`;
  }

  /** Clears the bar and stops listening for Ctrl-C. */
  close(): void {
    this.#bar?.clear();
    if (this.#listening) Deno.removeSignalListener("SIGINT", this.#onSigint);
  }
}

/**
 * The command line: parses flags, trains, and turns known errors into a message and exit code.
 *
 * @param args command-line arguments
 * @returns the process exit code: 0, 130 when stopped by Ctrl-C, 2 for a bad flag, 1 for any other failure
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
  const run = new ConsoleRun();
  try {
    const result = await train(config, run.hooks);
    run.close();
    console.log(run.summary(result));
    return result.reason === "interrupted" ? 130 : 0;
  } catch (error) {
    run.close();
    console.error(`error: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
