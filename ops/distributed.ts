/**
 * A c10d process group (PyTorch's `torch.distributed`): libtorch's TCPStore rendezvous and its Gloo
 * backend, reached through the shim (ffi/dist.cpp). It carries the collectives that data-parallel
 * training needs: all-reduce, broadcast and barrier. The library never reads the environment: a program
 * passes torchrun's RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (see tasks/cli/train.ts).
 *
 * NCCL (CUDA tensors) is not wired: {@linkcode initProcessGroup} refuses `backend: "nccl"` with a message.
 *
 * @module
 */

import { lastError, shim, TorchError } from "../ffi/ffi.ts";
import { handles } from "./args.ts";
import { Tensor } from "./tensor.ts";

/** c10d's backends: Gloo runs on the CPU; NCCL (CUDA) is not available in this toolkit yet. */
export type DistributedBackend = "gloo" | "nccl";

/** Where and how a process joins its group (torchrun's variables, read by the program). */
export interface ProcessGroupOptions {
  /** `gloo` (default). */
  backend?: DistributedBackend;
  /** This process's rank, 0 to `worldSize - 1` (torchrun's RANK). */
  rank: number;
  /** Processes in the group (WORLD_SIZE). */
  worldSize: number;
  /** The host of rank 0's TCPStore (MASTER_ADDR); default `127.0.0.1`. */
  masterAddr?: string;
  /** Its port (MASTER_PORT); default 29500, torchrun's. */
  masterPort?: number;
  /**
   * How long joining and each collective may wait for the other ranks, in milliseconds; default 30
   * minutes (PyTorch's). A rank that died is noticed at once; one that hangs, after this.
   */
  timeoutMs?: number;
  /** The network interface Gloo uses (PyTorch's GLOO_SOCKET_IFNAME); default: the host name's address. */
  interface?: string;
}

/** torchrun's default MASTER_PORT. */
export const DEFAULT_MASTER_PORT = 29500;
/** PyTorch's default process-group timeout: 30 minutes. */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

const cString = (text: string) => new TextEncoder().encode(`${text}\0`);

/**
 * Whether the shim was built with c10d's Gloo backend (on Debian its headers come with libgloo-dev).
 *
 * @returns true when {@linkcode initProcessGroup} can work
 */
export function distributedAvailable(): boolean {
  return shim().dist_available() === 1;
}

/** What a failed rendezvous most likely means, for the message. */
function rendezvousHint(
  detail: string,
  o: Required<Omit<ProcessGroupOptions, "backend" | "interface">>,
): string {
  const where = `${o.masterAddr}:${o.masterPort}`;
  if (/address already in use/i.test(detail)) {
    return `: port ${o.masterPort} is in use on this machine; pass a free one with --master-port`;
  }
  if (/timed? ?out|timeout/i.test(detail)) {
    return o.rank === 0
      ? `: not every one of the ${o.worldSize} ranks reached ${where} in ${o.timeoutMs / 1000} s; ` +
        "start them all, with the same --master-addr, --master-port and world size"
      : `: cannot reach rank 0 at ${where} in ${o.timeoutMs / 1000} s; check --master-addr and ` +
        "--master-port, and that rank 0 is running";
  }
  return o.rank === 0
    ? ""
    : `: cannot reach rank 0 at ${where}; check --master-addr and --master-port, and that rank 0 is running`;
}

/**
 * A c10d process group; every rank must make the same collective calls in the same order.
 *
 * @example
 * ```ts ignore
 * import { initProcessGroup, ones } from "@gan/dcgan/ops";
 * using group = initProcessGroup({ rank: 0, worldSize: 1, masterPort: 29511 });
 * using x = ones([3]);
 * group.allReduce([x]);
 * ```
 */
export class ProcessGroup implements Disposable {
  /** This process's rank. */
  readonly rank: number;
  /** Processes in the group. */
  readonly worldSize: number;
  #handle: Deno.PointerValue;

  /** Use {@linkcode initProcessGroup}. */
  constructor(handle: Deno.PointerObject, rank: number, worldSize: number) {
    this.#handle = handle;
    this.rank = rank;
    this.worldSize = worldSize;
  }

  #group(op: string): Deno.PointerObject {
    if (this.#handle === null) throw new TorchError(op, "the process group was destroyed");
    return this.#handle;
  }

  #check(op: string, status: number): void {
    if (status < 0) throw new TorchError(op, `rank ${this.rank} of ${this.worldSize}: ${lastError()}`);
  }

  /**
   * Sums tensors over the ranks, in place (`dist.all_reduce(op=SUM)`), as one bucket per dtype.
   *
   * @param tensors CPU tensors; each is overwritten by the sum
   * @param options `scale`: multiply each rank's values by this first (`1 / worldSize` averages, as
   *   DDP does with gradients); default 1
   * @throws {TorchError} naming the rank when a peer died, the timeout passed, or the group was destroyed
   */
  allReduce(tensors: readonly Tensor[], options: { scale?: number } = {}): void {
    const group = this.#group("allReduce");
    for (const bucket of byDtype(tensors)) {
      this.#check(
        "allReduce",
        shim().dist_allreduce(group, handles(bucket), bucket.length, options.scale ?? 1),
      );
    }
  }

  /**
   * Copies rank `root`'s values to every rank, in place (`dist.broadcast`), as one bucket per dtype.
   *
   * @param tensors CPU tensors; overwritten on every rank but `root`
   * @param root the rank whose values win; default 0
   * @throws {TorchError} as {@linkcode ProcessGroup.allReduce} does
   */
  broadcast(tensors: readonly Tensor[], root = 0): void {
    const group = this.#group("broadcast");
    for (const bucket of byDtype(tensors)) {
      this.#check("broadcast", shim().dist_broadcast(group, handles(bucket), bucket.length, root));
    }
  }

  /**
   * SyncBatchNorm's training forward: batch norm of `input` with the statistics of every rank's batch
   * together, differentiable (the backward all-reduces too); the running statistics are updated by
   * `momentum` with the world's mean and unbiased variance. Every rank must call it at the same point.
   *
   * @param input (N, C, ...) CPU float tensor
   * @param runningMean (C) buffer, updated in place; undefined to keep none
   * @param runningVar (C) buffer, updated in place
   * @param options `weight`, `bias` (C), `momentum` (default 0.1), `eps` (default 1e-5)
   * @returns the normalized input, same shape
   * @throws {TorchError} as {@linkcode ProcessGroup.allReduce} does, or for an input without channels
   */
  batchNorm(
    input: Tensor,
    runningMean: Tensor | undefined,
    runningVar: Tensor | undefined,
    options: { weight?: Tensor; bias?: Tensor; momentum?: number; eps?: number } = {},
  ): Tensor {
    const handle = shim().dist_batch_norm(
      this.#group("batchNorm"),
      input.handle,
      options.weight?.handle ?? null,
      options.bias?.handle ?? null,
      runningMean?.handle ?? null,
      runningVar?.handle ?? null,
      options.momentum ?? 0.1,
      options.eps ?? 1e-5,
    );
    if (handle === null) {
      throw new TorchError("batchNorm", `rank ${this.rank} of ${this.worldSize}: ${lastError()}`);
    }
    return new Tensor(handle);
  }

  /** Returns once every rank has called it (`dist.barrier`); fails at the timeout. */
  barrier(): void {
    this.#check("barrier", shim().dist_barrier(this.#group("barrier")));
  }

  /** Leaves the group (`dist.destroy_process_group`); a second call does nothing. */
  dispose(): void {
    if (this.#handle === null) return;
    shim().dist_free(this.#handle);
    this.#handle = null;
  }

  /** Leaves the group at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The tensors grouped by dtype, in first-seen order (a bucket holds one dtype). */
function byDtype(tensors: readonly Tensor[]): Tensor[][] {
  const groups = new Map<string, Tensor[]>();
  for (const t of tensors) {
    const list = groups.get(t.dtype);
    if (list) list.push(t);
    else groups.set(t.dtype, [t]);
  }
  return [...groups.values()];
}

/**
 * Joins a process group (`dist.init_process_group`): rank 0 serves a TCPStore on `masterAddr:masterPort`
 * and returns once every rank has joined; the others connect to it.
 *
 * @param options rank, world size, rendezvous address and timeout
 * @returns the group; dispose it when done
 * @throws {RangeError} for a rank outside the world, a world size below 1, a port outside 1..65535, or
 *   the NCCL backend
 * @throws {TorchError} when the shim has no Gloo backend, the port is in use, rank 0 cannot be reached, or
 *   a rank is missing at the timeout; the message says which and what to check
 * @example
 * ```ts ignore
 * import { initProcessGroup } from "@gan/dcgan/ops";
 * using group = initProcessGroup({ rank: 0, worldSize: 1, masterPort: 29512 });
 * group.barrier();
 * ```
 */
export function initProcessGroup(options: ProcessGroupOptions): ProcessGroup {
  const o = {
    rank: options.rank,
    worldSize: options.worldSize,
    masterAddr: options.masterAddr ?? "127.0.0.1",
    masterPort: options.masterPort ?? DEFAULT_MASTER_PORT,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  if ((options.backend ?? "gloo") !== "gloo") {
    throw new RangeError(
      `The ${options.backend} backend is not available: only gloo (CPU) is; train on --device cpu, or ` +
        "with one process on the GPU",
    );
  }
  if (!Number.isInteger(o.worldSize) || o.worldSize < 1) {
    throw new RangeError(`World size must be a positive integer, got ${o.worldSize}`);
  }
  if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize) {
    throw new RangeError(`Rank must be an integer in 0..${o.worldSize - 1}, got ${o.rank}`);
  }
  if (!Number.isInteger(o.masterPort) || o.masterPort < 1 || o.masterPort > 65535) {
    throw new RangeError(`Master port must be an integer in 1..65535, got ${o.masterPort}`);
  }
  if (!(o.timeoutMs >= 1)) throw new RangeError(`Timeout must be at least 1 ms, got ${o.timeoutMs}`);
  if (!distributedAvailable()) {
    throw new TorchError(
      "initProcessGroup",
      "the shim was compiled without c10d's Gloo headers (torch/csrc/distributed/c10d/ProcessGroupGloo.hpp " +
        "and gloo/): on Debian, `apt-get install libgloo-dev` and run again (the shim is compiled again with " +
        "them); or use a PyTorch install that ships them",
    );
  }
  const handle = shim().dist_gloo_new(
    cString(o.masterAddr),
    o.masterPort,
    o.rank,
    o.worldSize,
    BigInt(Math.round(o.timeoutMs)),
    cString(options.interface ?? ""),
  );
  if (handle === null) {
    const detail = lastError();
    throw new TorchError(
      "initProcessGroup",
      `rank ${o.rank} of ${o.worldSize} could not join at ${o.masterAddr}:${o.masterPort}` +
        `${rendezvousHint(detail, o)} (${detail.trim()})`,
    );
  }
  return new ProcessGroup(handle, o.rank, o.worldSize);
}
