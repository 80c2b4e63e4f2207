/**
 * The train table's rows for data-parallel training, with torchrun's flag names: how many worker
 * processes on this machine, how many machines, this machine's place, and where rank 0's rendezvous
 * store listens (see docs/distributed.md). The launcher (tasks/cli/launch.ts) reads them; a worker takes
 * its rank from torchrun's environment variables instead.
 *
 * @module
 */

import { integerIn, POSITIVE_INTEGER, SWITCH, TEXT } from "../cli/flags.ts";
import type { TrainConfig, TrainField } from "./config_type.ts";

/** The most worker processes one machine or one job may have. */
const MAX_PROCESSES = 1024;

/** Processes in the whole job. */
function worldOf(config: Pick<TrainConfig, "nprocPerNode" | "nnodes">): number {
  return config.nprocPerNode * config.nnodes;
}

/** The train table's data-parallel rows (torchrun's flags). */
export const DISTRIBUTED_FIELDS = {
  nprocPerNode: {
    flag: "nproc-per-node",
    kind: integerIn(1, MAX_PROCESSES),
    default: 1,
    help: "data-parallel worker processes on this machine (torchrun's); --batch-size is split among all",
    resume: "flag",
    conflict: (n: number, config: TrainConfig, name: (field: string) => string) => {
      const world = n * config.nnodes;
      if (world === 1) return undefined;
      if (config.batchSize % world !== 0) {
        return `${name("batchSize")} ${config.batchSize} does not divide among ${world} processes ` +
          `(${name("nprocPerNode")} x ${name("nnodes")}): pass a multiple of ${world}`;
      }
      if (config.device !== "cpu") {
        return `data-parallel training runs on the CPU (Gloo): NCCL is not wired yet; pass ${
          name("device")
        } ` +
          `cpu, or train on one GPU without ${name("nprocPerNode")}`;
      }
      return undefined;
    },
  },
  nnodes: {
    flag: "nnodes",
    kind: integerIn(1, MAX_PROCESSES),
    default: 1,
    help: "machines in the job, each running the same command with its --node-rank",
    resume: "flag",
    conflict: (n: number, config: TrainConfig, name: (field: string) => string) =>
      worldOf(config) > MAX_PROCESSES
        ? `${name("nprocPerNode")} x ${name("nnodes")} is over ${MAX_PROCESSES} processes`
        : config.nodeRank >= n
        ? `${name("nodeRank")} ${config.nodeRank} is outside 0..${n - 1} for ${name("nnodes")} ${n}`
        : undefined,
  },
  nodeRank: {
    flag: "node-rank",
    kind: integerIn(0, MAX_PROCESSES - 1),
    default: 0,
    help: "this machine's place among --nnodes, 0 on the machine of --master-addr",
    resume: "flag",
  },
  masterAddr: {
    flag: "master-addr",
    kind: TEXT,
    default: "127.0.0.1",
    help: "address of node 0, where rank 0's rendezvous store listens",
    resume: "flag",
  },
  masterPort: {
    flag: "master-port",
    kind: integerIn(1, 65535),
    default: 29500,
    help: "TCP port of that store on node 0 (free on it)",
    resume: "flag",
  },
  syncBn: {
    flag: "sync-bn",
    kind: SWITCH,
    help: "with several processes, BatchNorm uses the statistics of every rank's batch (SyncBatchNorm)",
    resume: "flag",
  },
  distTimeout: {
    flag: "dist-timeout",
    kind: POSITIVE_INTEGER,
    default: 1800,
    help: "seconds a rank waits for the others (joining, each step's exchange) before the job stops",
    resume: "flag",
  },
} as const satisfies { readonly [K in keyof TrainConfig]?: TrainField<TrainConfig[K]> };
