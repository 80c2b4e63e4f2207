/**
 * `deno task train`: parses the flags, trains, and shows it: log lines on stdout, a progress bar on a
 * terminal's stderr, a summary at the end. Ctrl-C (SIGINT), SIGTERM (`timeout`, systemd, `docker stop`)
 * and SIGHUP (a closed terminal) stop with a checkpoint at the current batch and exit 128 + the signal's
 * number; a second signal leaves without that checkpoint, once the files queued before the first are
 * written (every file is written atomically, so the last complete checkpoint stays), a third at once.
 * Known errors become a message and an exit code.
 *
 * @module
 */

import { ConfigError, parseTrainArgs, type TrainConfig, trainHelp } from "../gan/config.ts";
import { settingsGiven } from "../gan/resume_notes.ts";
import { CHECKPOINT_FILE } from "../gan/run_checkpoint.ts";
import { settleRunWriters } from "../gan/run_writer.ts";
import { train, type TrainHooks, type TrainResult } from "../gan/train.ts";
import { DataParallel } from "../gan/data_parallel.ts";
import {
  agreedStop,
  followerConfig,
  joinGroup,
  launch,
  launchedWorker,
  leaveTerminalSignalsToLauncher,
  type WorkerEnv,
  workerFromEnv,
} from "./launch.ts";
import { formatDuration, ProgressBar } from "./progress.ts";

/** The signals that stop a run with a checkpoint, and their numbers (the exit code is 128 + it). */
const STOP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/** The console side of a run: the hooks that print, draw the bar and listen for stop signals. */
class ConsoleRun {
  #bar?: ProgressBar;
  #started = performance.now();
  readonly #stop = new AbortController();
  /** The first stop signal received. */
  #signal?: StopSignal;
  /** The files queued before the first stop signal, written (the epochs' checkpoints). */
  #queued?: Promise<void>;
  readonly #listeners: [StopSignal, () => void][] = [];

  /**
   * Starts listening for SIGINT, SIGTERM and SIGHUP (before training, so none kills a run unsaved); a
   * launched worker for SIGTERM only (its launcher owns the others).
   */
  constructor(readonly explicit: ReadonlySet<string>, signals = Object.keys(STOP_SIGNALS) as StopSignal[]) {
    for (const name of signals) {
      const listener = () => this.#onSignal(name);
      try {
        Deno.addSignalListener(name, listener);
        this.#listeners.push([name, listener]);
      } catch { /* no such signal here (Windows has SIGINT only) */ }
    }
  }

  #onSignal(name: StopSignal): void {
    const code = 128 + STOP_SIGNALS[name];
    if (this.#queued) {
      // a second signal: leave once the checkpoints queued before the first are on disk; a third: now
      const queued = this.#queued;
      this.#queued = Promise.resolve();
      void queued.finally(() => Deno.exit(code));
      return;
    }
    this.#queued = settleRunWriters();
    this.#signal = name;
    this.#bar?.clear();
    console.error(
      `${name}: stopping after this step and saving a checkpoint (${name === "SIGINT" ? "Ctrl-C" : name} ` +
        "again leaves without it)",
    );
    this.#stop.abort(name);
  }

  /** The exit code of a run stopped by a signal: 128 + its number (130 for Ctrl-C). */
  get stoppedCode(): number {
    return 128 + STOP_SIGNALS[this.#signal ?? "SIGINT"];
  }

  /** The hooks to pass to `train()`. */
  get hooks(): TrainHooks {
    return {
      log: (line) => {
        this.#bar?.clear();
        console.log(line);
      },
      onStart: ({ totalSteps, position }) => {
        this.#bar = new ProgressBar(totalSteps, position.globalStep);
        this.#started = performance.now();
      },
      onStep: (stats, position) =>
        this.#bar?.update(
          position.globalStep,
          `Loss_D ${stats.lossD.toFixed(3)} Loss_G ${stats.lossG.toFixed(3)}`,
        ),
      signal: this.#stop.signal,
      explicit: this.explicit,
    };
  }

  /**
   * The last lines: how the run ended, how long it took, every file in the run folder, and after a stop
   * the command that continues it.
   */
  summary(result: TrainResult): string {
    const seconds = (performance.now() - this.#started) / 1000;
    const lines = [
      `${result.reason === "interrupted" ? "Stopped" : "Finished"} after ${result.steps} steps in ${
        formatDuration(seconds)
      }. Run folder: ${result.out}`,
      `  ${runFiles(result.out).join(", ")}`,
    ];
    if (result.reason === "interrupted") {
      lines.push(`Continue it with: deno task train --out ${shellWord(result.out)} --resume`);
    }
    return lines.join("\n");
  }

  /** Clears the bar and stops listening for the stop signals. */
  close(): void {
    this.#bar?.clear();
    for (const [name, listener] of this.#listeners) Deno.removeSignalListener(name, listener);
    this.#listeners.length = 0;
  }
}

/** The run folder's files (the epoch grids as one pattern), sorted. */
function runFiles(out: string): string[] {
  const names: string[] = [];
  try {
    for (const entry of Deno.readDirSync(out)) if (entry.isFile) names.push(entry.name);
  } catch {
    return [CHECKPOINT_FILE];
  }
  const grids = names.filter((name) => /^fake_samples_epoch_\d+\.png$/.test(name));
  const rest = names.filter((name) => !grids.includes(name) && !name.endsWith(".lock")).sort();
  return grids.length > 0 ? [...rest, `fake_samples_epoch_NNN.png (${grids.length})`] : rest;
}

/** A path as one shell word. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line: parses flags, trains, and turns known errors into a message and exit code.
 *
 * @param args command-line arguments
 * @returns the process exit code: 0; 128 + the signal's number when stopped by one (130 for Ctrl-C, 143
 *   for SIGTERM, 129 for SIGHUP); 2 for a bad flag; 1 for any other failure
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
  let worker: WorkerEnv | undefined;
  try {
    worker = workerFromEnv();
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  if (worker) return await trainWorker(args, config, worker);
  if (config.nprocPerNode * config.nnodes > 1) return await launch(args, config);
  const run = new ConsoleRun(settingsGiven(args));
  try {
    const result = await train(config, run.hooks);
    run.close();
    console.log(run.summary(result));
    return result.reason === "interrupted" ? run.stoppedCode : 0;
  } catch (error) {
    run.close();
    console.error(`error: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

/**
 * One rank of a data-parallel job (./launch.ts): joins the group, then trains its shard; rank 0 shows
 * and writes the run, the others write nothing and print only their errors.
 */
async function trainWorker(args: string[], config: TrainConfig, worker: WorkerEnv): Promise<number> {
  const { rank } = worker;
  if (launchedWorker()) leaveTerminalSignalsToLauncher();
  const run = new ConsoleRun(settingsGiven(args), launchedWorker() ? ["SIGTERM"] : undefined);
  try {
    const ownConfig = rank === 0 ? config : await followerConfig(config, rank);
    using group = joinGroup(worker, config);
    const hooks = rank === 0 ? run.hooks : { explicit: run.explicit };
    const result = await train(ownConfig, {
      ...hooks,
      signal: undefined, // the ranks stop together, at the step they agree on
      shouldStop: agreedStop(group, run.hooks.signal!),
      parallel: new DataParallel(group, { syncBatchNorm: ownConfig.syncBn }),
    });
    run.close();
    if (rank === 0) console.log(run.summary(result));
    return result.reason === "interrupted" ? run.stoppedCode : 0;
  } catch (error) {
    run.close();
    console.error(`error: rank ${rank}: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
