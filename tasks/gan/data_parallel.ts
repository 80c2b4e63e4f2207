/**
 * Data-parallel training with PyTorch's DistributedDataParallel semantics over a c10d process group
 * (ops/distributed.ts). The trainer calls these hooks (its `sync` setting, ./trainer_settings.ts):
 *
 * - `start`: rank 0's parameters and buffers broadcast to every rank once the networks are built (DDP's
 *   constructor does the same);
 * - `buffers`: rank 0's buffers (BatchNorm's running statistics) broadcast before every forward of a
 *   network inside a step, DDP's default `broadcast_buffers=True`. BatchNorm normalises with each
 *   process's own batch statistics, as under DDP, or with the world's with `syncBatchNorm`
 *   (PyTorch's SyncBatchNorm: the per-channel sums all-reduced in forward, their gradients in backward);
 * - `gradients`: before a network's optimizer steps, its gradients multiplied by 1/world size and summed
 *   over the ranks in one bucket. DDP all-reduces after each backward instead (twice for D in the seed's
 *   step, real then fake); the sum is linear, so averaging the accumulated gradient once gives the same
 *   update with half of D's traffic. It does not overlap the backward pass (DDP does, bucket by bucket).
 *
 * @module
 */

import { checkStatus, shim } from "../../ffi/ffi.ts";
import type { Module } from "../../models/nn/module.ts";
import { BatchNormNd } from "../../models/nn/norm.ts";
import type { ProcessGroup } from "../../ops/distributed.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { ConfigError } from "../cli/flags.ts";
import type { StepSync } from "./trainer_settings.ts";

/**
 * The trainer's {@linkcode StepSync} over a process group.
 *
 * @example
 * ```ts ignore
 * import { initProcessGroup } from "../../ops/distributed.ts";
 * import { DataParallel } from "./data_parallel.ts";
 * import { DcganTrainer } from "./trainer.ts";
 * using group = initProcessGroup({ rank: 0, worldSize: 1, masterPort: 29513 });
 * const sync = new DataParallel(group);
 * const trainer = new DcganTrainer({ nz: 8, ngf: 4, ndf: 4, nc: 1, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu", sync });
 * ```
 */
export class DataParallel implements StepSync {
  readonly #group: ProcessGroup;
  readonly #syncBatchNorm: boolean;
  /** Inside a training step: where SyncBatchNorm exchanges (never in a sample grid made by one rank). */
  #stepping = false;

  /**
   * Trains over `group`, which stays the caller's to dispose.
   *
   * @param group the joined process group
   * @param options `syncBatchNorm`: the networks' BatchNorm layers normalize in training steps with the
   *   statistics of every rank's batch (PyTorch's `SyncBatchNorm.convert_sync_batchnorm`); default false
   */
  constructor(group: ProcessGroup, options: { syncBatchNorm?: boolean } = {}) {
    this.#group = group;
    this.#syncBatchNorm = options.syncBatchNorm ?? false;
  }

  /** Runs one training step; SyncBatchNorm exchanges only inside it. */
  step<T>(run: () => T): T {
    this.#stepping = true;
    try {
      return run();
    } finally {
      this.#stepping = false;
    }
  }

  /** Makes `net`'s BatchNorm layers SyncBatchNorm layers in training steps (outside them, as they were). */
  #convertSyncBatchNorm(net: Module): void {
    for (const [, layer] of net.namedModules()) {
      if (!(layer instanceof BatchNormNd)) continue;
      const bn = layer;
      const plain = bn.forward.bind(bn);
      bn.forward = (input: Tensor): Tensor => {
        if (!this.#stepping || !bn.training) return plain(input);
        // as BatchNormNd.forward: num_batches_tracked += 1, then the momentum it gives
        checkStatus("SyncBatchNorm", shim().t_add_int_(bn.num_batches_tracked.handle, 1n));
        const momentum = bn.momentum ?? 1 / bn.num_batches_tracked.item();
        return this.#group.batchNorm(input, bn.running_mean, bn.running_var, {
          weight: bn.weight,
          bias: bn.bias,
          momentum,
          eps: bn.eps,
        });
      };
    }
  }

  /** This process's rank. */
  get rank(): number {
    return this.#group.rank;
  }

  /** Processes training together. */
  get worldSize(): number {
    return this.#group.worldSize;
  }

  /**
   * Rank 0's parameters and buffers to every rank (and, with `syncBatchNorm`, the layers converted).
   *
   * @throws {ConfigError} for networks on a GPU (NCCL is not wired)
   */
  start(nets: readonly Module[]): void {
    if (this.worldSize === 1) return;
    for (const net of nets) {
      const device = net.parameters()[0]?.device ?? "cpu";
      if (device !== "cpu") {
        throw new ConfigError(
          `Data-parallel training runs on the CPU (Gloo), and this network is on ${device}: NCCL is not ` +
            "wired yet; pass --device cpu, or train with one process on the GPU",
        );
      }
      if (this.#syncBatchNorm) this.#convertSyncBatchNorm(net);
      this.#group.broadcast([...net.parameters(), ...net.namedBuffers().map(([, b]) => b)], 0);
    }
  }

  /** Rank 0's buffers of `net` to every rank (none to send: nothing happens). */
  buffers(net: Module): void {
    if (this.worldSize === 1) return;
    const buffers = net.namedBuffers().map(([, b]) => b);
    if (buffers.length > 0) this.#group.broadcast(buffers, 0);
  }

  /**
   * `net`'s gradients averaged over the ranks, in place.
   *
   * @throws {Error} naming a parameter without a gradient (DDP refuses unused parameters too)
   */
  gradients(net: Module): void {
    if (this.worldSize === 1) return;
    const grads: Tensor[] = [];
    try {
      for (const [name, p] of net.namedParameters()) {
        const grad = p.grad;
        if (!grad) {
          throw new Error(
            `Parameter ${name} has no gradient on rank ${this.rank}: data-parallel training needs every ` +
              "parameter to take part in the loss",
          );
        }
        grads.push(grad);
      }
      this.#group.allReduce(grads, { scale: 1 / this.worldSize });
    } finally {
      for (const g of grads) g.dispose();
    }
  }
}

/**
 * Each rank's images per step: the batch split evenly among the ranks, as DDP users size it.
 *
 * @param batchSize the world's batch (`--batch-size`)
 * @param worldSize processes training together
 * @returns `batchSize / worldSize`
 * @throws {ConfigError} when the batch does not divide evenly
 */
export function rankBatchSize(batchSize: number, worldSize: number): number {
  if (batchSize % worldSize !== 0) {
    throw new ConfigError(
      `--batch-size ${batchSize} does not divide among ${worldSize} processes: pass a multiple of ${worldSize}`,
    );
  }
  return batchSize / worldSize;
}
