/**
 * Data-parallel runs of `deno task train`, torchrun's way. The launcher (`--nproc-per-node N`, with
 * `--nnodes`, `--node-rank`, `--master-addr`, `--master-port` across machines) starts N workers, each
 * `deno run -A tasks/cli/train.ts` with the same flags and torchrun's variables RANK, WORLD_SIZE,
 * LOCAL_RANK, MASTER_ADDR and MASTER_PORT. A process that finds WORLD_SIZE set is a worker: it joins the
 * Gloo group and trains its shard. Rank 0 writes the run; the other ranks write nothing (a `--resume`
 * reads rank 0's checkpoint in `--out` on every rank).
 *
 * Faults: a worker that exits with an error stops the others (SIGTERM, then SIGKILL after a grace) and
 * the launcher names it; one that hangs makes the others' exchange fail at `--dist-timeout`. SIGINT,
 * SIGTERM or SIGHUP on the launcher reach every worker as one SIGTERM (the workers ignore the terminal's
 * own SIGINT), and the ranks agree, step by step, on stopping: rank 0 saves its checkpoint at that step.
 *
 * @module
 */

import { join } from "node:path";
import { ConfigError, type TrainConfig } from "../gan/config.ts";
import { CHECKPOINT_FILE } from "../gan/run_checkpoint.ts";
import { initProcessGroup, type ProcessGroup } from "../../ops/distributed.ts";
import { tensor } from "../../ops/creation.ts";

/** A worker's place in the job, from torchrun's environment variables. */
export interface WorkerEnv {
  /** RANK. */
  rank: number;
  /** WORLD_SIZE. */
  worldSize: number;
  /** LOCAL_RANK: the rank among this machine's workers. */
  localRank: number;
  /** MASTER_ADDR. */
  masterAddr: string;
  /** MASTER_PORT. */
  masterPort: number;
}

/** Set by the launcher: its workers leave SIGINT and SIGHUP to it (a terminal sends them to all). */
const LAUNCHED = "DCGAN_LAUNCHED";
/** Seconds the workers get to end after a SIGTERM before SIGKILL (the checkpoint is written by then). */
const GRACE_S = Number(Deno.env.get("DCGAN_LAUNCH_GRACE_S") ?? 60);

function envInt(name: string, fallback?: number): number {
  const text = Deno.env.get(name);
  if (text === undefined && fallback !== undefined) return fallback;
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a non-negative integer, got ${text ?? "nothing"}`);
  }
  return value;
}

/**
 * This process's place in a data-parallel job, when torchrun's variables say it is a worker.
 *
 * @returns the variables, or undefined when WORLD_SIZE is not set
 * @throws {ConfigError} for a variable that is missing or not a number, or a RANK outside the world
 */
export function workerFromEnv(): WorkerEnv | undefined {
  if (Deno.env.get("WORLD_SIZE") === undefined) return undefined;
  const worldSize = envInt("WORLD_SIZE");
  const rank = envInt("RANK");
  if (worldSize < 1 || rank >= worldSize) {
    throw new ConfigError(`RANK ${rank} is outside 0..${worldSize - 1} for WORLD_SIZE ${worldSize}`);
  }
  return {
    rank,
    worldSize,
    localRank: envInt("LOCAL_RANK", rank),
    masterAddr: Deno.env.get("MASTER_ADDR") ?? "127.0.0.1",
    masterPort: envInt("MASTER_PORT", 29500),
  };
}

/** Whether this worker was started by {@linkcode launch} (which then owns SIGINT and SIGHUP). */
export function launchedWorker(): boolean {
  return Deno.env.get(LAUNCHED) === "1";
}

/**
 * Joins the worker's group, within `--dist-timeout`, over the network interface GLOO_SOCKET_IFNAME names
 * (PyTorch's variable), else the host name's address.
 *
 * @param worker the job's variables
 * @param config `distTimeout`
 * @returns the group
 */
export function joinGroup(worker: WorkerEnv, config: TrainConfig): ProcessGroup {
  const iface = Deno.env.get("GLOO_SOCKET_IFNAME");
  return initProcessGroup({ ...worker, timeoutMs: config.distTimeout * 1000, interface: iface });
}

/**
 * A stop that every rank takes at the same step: each step, the ranks sum their "asked to stop" flags.
 *
 * @param group the job's group
 * @param signal this rank's stop request
 * @returns the `shouldStop` hook for `train()`
 */
export function agreedStop(group: ProcessGroup, signal: AbortSignal): () => boolean {
  return () => {
    using flag = tensor(new Float32Array([signal.aborted ? 1 : 0]));
    group.allReduce([flag]);
    return flag.item() > 0;
  };
}

/**
 * The config of a rank other than 0: the same run without evals or snapshots. It writes nothing (rank 0
 * writes the run); with `--resume` it reads rank 0's checkpoint in `--out`, which must be on this machine.
 *
 * @param config the command line's config
 * @param rank this worker's rank
 * @returns the config
 * @throws {ConfigError} when `--resume` finds no checkpoint in `--out` on this machine
 */
export async function followerConfig(config: TrainConfig, rank: number): Promise<TrainConfig> {
  if (config.resume) {
    const checkpoint = join(config.out, CHECKPOINT_FILE);
    try {
      (await Deno.open(checkpoint)).close();
    } catch (error) {
      throw new ConfigError(
        `Rank ${rank} cannot read ${checkpoint} (${
          (error as Error).message
        }): every rank resumes from rank ` +
          "0's checkpoint; on several machines, copy it to the same --out on each",
      );
    }
  }
  return { ...config, overwrite: false, evalEvery: 0, saveEvery: 0 };
}

/** SIGINT and SIGHUP, which a terminal sends to every process of the job, are the launcher's to handle. */
export function leaveTerminalSignalsToLauncher(): void {
  for (const name of ["SIGINT", "SIGHUP"] as const) {
    try {
      Deno.addSignalListener(name, () => {});
    } catch { /* no such signal here */ }
  }
}

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Starts this machine's workers and waits for them, as torchrun does.
 *
 * @param args the command line, passed to every worker as it is
 * @param config the parsed config (`nprocPerNode`, `nnodes`, `nodeRank`, `masterAddr`, `masterPort`)
 * @returns the exit code: 0 when every worker succeeded; the first failed worker's code; 128 + the
 *   signal's number after a stop signal
 */
export async function launch(args: string[], config: TrainConfig): Promise<number> {
  const worldSize = config.nprocPerNode * config.nnodes;
  const script = new URL("./train.ts", import.meta.url).pathname;
  const workers = Array.from({ length: config.nprocPerNode }, (_, localRank) => {
    const rank = config.nodeRank * config.nprocPerNode + localRank;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...args],
      env: {
        RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        LOCAL_RANK: String(localRank),
        MASTER_ADDR: config.masterAddr,
        MASTER_PORT: String(config.masterPort),
        [LAUNCHED]: "1",
      },
      stdin: "null",
    }).spawn();
    return { rank, child, done: false };
  });
  console.log(
    `Started ranks ${workers.map((w) => `${w.rank} (pid ${w.child.pid})`).join(", ")} of ${worldSize}; ` +
      `rank 0's store at ${config.masterAddr}:${config.masterPort}`,
  );
  const kill = (signal: Deno.Signal) => {
    for (const w of workers) {
      if (w.done) continue;
      try {
        w.child.kill(signal);
      } catch { /* it has just ended */ }
    }
  };
  let stoppedBy: keyof typeof SIGNALS | undefined;
  const listeners: [keyof typeof SIGNALS, () => void][] = [];
  for (const name of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) {
    const listener = () => {
      stoppedBy ??= name;
      console.error(`${name}: stopping every rank (rank 0 saves its checkpoint)`);
      kill("SIGTERM"); // a second signal sends a second SIGTERM: the workers leave without the checkpoint
    };
    try {
      Deno.addSignalListener(name, listener);
      listeners.push([name, listener]);
    } catch { /* no such signal here */ }
  }
  let failure: { rank: number; code: number } | undefined;
  let killer: ReturnType<typeof setTimeout> | undefined;
  try {
    const pending = new Map(workers.map((w) => [w.rank, w.child.status.then((s) => ({ w, s }))]));
    while (pending.size > 0) {
      const { w, s } = await Promise.race(pending.values());
      pending.delete(w.rank);
      w.done = true;
      if (s.success || stoppedBy || failure) continue;
      failure = { rank: w.rank, code: s.code || 1 };
      const others = workers.filter((o) => !o.done).map((o) => o.rank);
      console.error(
        `error: rank ${w.rank} ${s.signal ? `was killed by ${s.signal}` : `exited with code ${s.code}`}` +
          (others.length > 0 ? `; stopping ranks ${others.join(", ")}` : ""),
      );
      kill("SIGTERM");
      killer = setTimeout(() => kill("SIGKILL"), GRACE_S * 1000);
    }
  } finally {
    clearTimeout(killer);
    for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
  }
  if (stoppedBy) return 128 + SIGNALS[stoppedBy];
  return failure?.code ?? 0;
}
