/**
 * The training run's checkpoint: one safetensors file holding everything `--resume` needs (both
 * networks, both optimizers, the CPU generator's RNG state, the fixed noise, and with the variants the
 * average of G's weights `netG_ema.*` and the replay buffer `replay.images`/`replay.labels`) with the
 * position, config and the latest G update's numbers as metadata. One file, written atomically, so a kill at any moment leaves either the old or
 * the new checkpoint, never a mix.
 *
 * @module
 */

import type { AdamParamGroup, AdamStateDict } from "../../models/optim/adam.ts";
import { type TensorEntry, writeSafetensors } from "../../models/io/safetensors.ts";
import { loadCheckpoint, stateDictEntries } from "../../models/io/state_dict_file.ts";
import type { Module } from "../../models/nn/module.ts";
import type { Device } from "../../ops/device.ts";
import { getRngState, setRngState } from "../../ops/runtime.ts";
import { cudaExtensionLoaded, getCudaRngState, setCudaRngState } from "../../ops/cuda.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { TrainConfig } from "./config.ts";
import { checkRunMetadata } from "./run_metadata.ts";
import type { DcganTrainer } from "./trainer.ts";

/** The checkpoint's file name inside a run folder. */
export const CHECKPOINT_FILE = "checkpoint.safetensors";

/** The format tag in the checkpoint's metadata; bumped when the layout changes. */
const FORMAT = "gan-dcgan-run/1";

/** Where a run is: the next batch to train is `batch` of `epoch` (both 0-based). */
export interface RunPosition {
  /** The epoch in progress (0-based). */
  epoch: number;
  /** Batches of `epoch` already trained. */
  batch: number;
  /** Steps trained in all. */
  globalStep: number;
}

/** What {@linkcode saveRunCheckpoint} stores. */
export interface RunState {
  /** The networks and optimizers. */
  trainer: DcganTrainer;
  /** The fixed noise of the sample grids. */
  fixedNoise: Tensor;
  /** Where the run is. */
  position: RunPosition;
  /** The run's config. */
  config: TrainConfig;
}

/** A checkpoint read back: its config and position, and a function that restores the rest. */
export interface LoadedRun {
  /** The config the run was started with. */
  config: TrainConfig;
  /** Where the run stopped. */
  position: RunPosition;
  /**
   * Loads the networks and optimizers into `trainer` (built from `config`), restores the RNG state,
   * frees the file's tensors, and returns the fixed noise on `device`.
   */
  restore(trainer: DcganTrainer, device: Device): Tensor;
}

/** The networks a checkpoint holds, by key prefix. */
function networks(trainer: DcganTrainer): [string, Module][] {
  const out: [string, Module][] = [["netG", trainer.netG], ["netD", trainer.netD]];
  if (trainer.netGEma) out.push(["netG_ema", trainer.netGEma]);
  return out;
}

function optimizerTensors(prefix: string, state: AdamStateDict, into: Record<string, Tensor>): number[] {
  const steps: number[] = [];
  for (const [index, s] of Object.entries(state.state)) {
    into[`${prefix}.state.${index}.exp_avg`] = s.exp_avg;
    into[`${prefix}.state.${index}.exp_avg_sq`] = s.exp_avg_sq;
    steps[Number(index)] = s.step;
  }
  return steps;
}

/**
 * Writes the run's checkpoint atomically.
 *
 * @param path the file, usually `<out>/checkpoint.safetensors`
 * @param run the trainer, fixed noise, position and config
 * @returns a promise that resolves once the file is in place
 */
export async function saveRunCheckpoint(path: string, run: RunState): Promise<void> {
  const { entries, metadata } = runCheckpointSnapshot(run);
  await writeSafetensors(path, entries, metadata);
}

/** A run checkpoint copied to host memory: the file's tensors and metadata, as of the call. */
export interface RunCheckpointSnapshot {
  /** The tensors by key (`netG.*`, `netD.*`, `optimizerG.state.*`, `rng_state`, ...), on the host. */
  entries: Record<string, TensorEntry>;
  /** The format, config, position, optimizer settings and latest G numbers. */
  metadata: Record<string, string>;
}

/**
 * What {@linkcode saveRunCheckpoint} writes, copied to host memory at once, so that it can be written
 * in the background while training goes on (`writeSafetensors(path, entries, metadata)`).
 *
 * @param run the trainer, fixed noise, position and config
 * @returns the checkpoint's entries and metadata
 */
export function runCheckpointSnapshot(run: RunState): RunCheckpointSnapshot {
  const { trainer } = run;
  const tensors: Record<string, Tensor> = {};
  const owned: Tensor[] = [];
  try {
    for (const [prefix, module] of networks(trainer)) {
      for (const [key, t] of Object.entries(module.stateDict())) {
        tensors[`${prefix}.${key}`] = t;
        owned.push(t);
      }
    }
    const optimizers: Record<string, { steps: number[]; group: AdamParamGroup }> = {};
    for (
      const [prefix, optimizer] of [["optimizerG", trainer.optimizerG], [
        "optimizerD",
        trainer.optimizerD,
      ]] as const
    ) {
      const state = optimizer.stateDict();
      for (const s of Object.values(state.state)) owned.push(s.exp_avg, s.exp_avg_sq);
      optimizers[prefix] = { steps: optimizerTensors(prefix, state, tensors), group: state.param_groups[0] };
    }
    const rng = getRngState();
    owned.push(rng);
    tensors.rng_state = rng;
    if (trainer.spec.device !== "cpu" && cudaExtensionLoaded()) {
      // the noise of a GPU run comes from the GPU's generator (torch.cuda.get_rng_state)
      const cudaRng = getCudaRngState();
      owned.push(cudaRng);
      tensors.cuda_rng_state = cudaRng;
    }
    tensors.fixed_noise = run.fixedNoise;
    const replay = trainer.replay?.state();
    if (replay) {
      tensors["replay.images"] = replay.images;
      owned.push(replay.images);
      if (replay.labels) {
        tensors["replay.labels"] = replay.labels;
        owned.push(replay.labels);
      }
    }
    const metadata: Record<string, string> = {
      format: FORMAT,
      config: JSON.stringify(run.config),
      position: JSON.stringify(run.position),
      optimizers: JSON.stringify(optimizers),
    };
    if (trainer.lastGenerator) metadata.generator_stats = JSON.stringify(trainer.lastGenerator);
    return { entries: stateDictEntries(tensors), metadata };
  } finally {
    for (const t of owned) t.dispose();
  }
}

/**
 * Reads a run checkpoint written by {@linkcode saveRunCheckpoint}.
 *
 * @param path the checkpoint file
 * @returns its config and position, and a `restore` function
 * @throws {Error} naming the file when it is missing, malformed, or not a run checkpoint, and naming the
 *   field when a metadata value is not one the run could have written (see run_metadata.ts)
 */
export async function loadRunCheckpoint(path: string): Promise<LoadedRun> {
  try {
    await Deno.stat(path);
  } catch {
    throw new Error(
      `Cannot resume: no checkpoint at "${path}"; pass --out with the folder of the run to continue, ` +
        "or start a run that never saved one again with --overwrite",
    );
  }
  const { tensors, metadata } = await loadCheckpoint(path);
  const free = () => Object.values(tensors).forEach((t) => t.dispose());
  try {
    if (metadata.format !== FORMAT) {
      throw new TypeError(`Cannot resume from "${path}": format "${metadata.format}" is not ${FORMAT}`);
    }
    const { config, position, optimizers, generatorStats } = checkRunMetadata(path, metadata);
    for (const key of ["rng_state", "fixed_noise"]) {
      if (!tensors[key]) throw new TypeError(`Cannot resume from "${path}": tensor "${key}" is missing`);
    }
    const noiseShape = tensors.fixed_noise!.shape;
    if (
      noiseShape.length !== 4 || noiseShape[1] !== config.nz || noiseShape[2] !== 1 || noiseShape[3] !== 1
    ) {
      throw new TypeError(
        `Cannot resume from "${path}": tensor "fixed_noise" has shape [${noiseShape}], expected [N,${config.nz},1,1]`,
      );
    }
    return {
      config,
      position,
      restore(trainer: DcganTrainer, device: Device): Tensor {
        try {
          for (const [prefix, module] of networks(trainer)) {
            if (!Object.keys(tensors).some((key) => key.startsWith(`${prefix}.`))) {
              throw new TypeError(
                `Cannot resume from "${path}": it has no ${prefix} tensors, which this run's config needs`,
              );
            }
            const dict: Record<string, Tensor> = {};
            for (const [key, t] of Object.entries(tensors)) {
              if (key.startsWith(`${prefix}.`)) dict[key.slice(prefix.length + 1)] = t;
            }
            module.loadStateDict(dict);
          }
          for (
            const [prefix, optimizer] of [["optimizerG", trainer.optimizerG], [
              "optimizerD",
              trainer.optimizerD,
            ]] as const
          ) {
            const saved = optimizers[prefix];
            if (!saved) throw new TypeError(`Cannot resume from "${path}": no state for ${prefix}`);
            const state: AdamStateDict["state"] = {};
            saved.steps.forEach((step, index) => {
              if (step === null || step === undefined) return;
              const expAvg = tensors[`${prefix}.state.${index}.exp_avg`];
              const expAvgSq = tensors[`${prefix}.state.${index}.exp_avg_sq`];
              if (!expAvg || !expAvgSq) {
                throw new TypeError(`Cannot resume from "${path}": ${prefix} state ${index} is incomplete`);
              }
              state[index] = { step, exp_avg: expAvg, exp_avg_sq: expAvgSq };
            });
            optimizer.loadStateDict({ state, param_groups: [saved.group] });
          }
          const images = tensors["replay.images"];
          if (trainer.replay && images) {
            using onDevice = images.to({ device, dtype: "float32" });
            trainer.replay.load({ images: onDevice, labels: tensors["replay.labels"] });
          }
          if (generatorStats) trainer.lastGenerator = generatorStats;
          setRngState(tensors.rng_state!);
          if (tensors.cuda_rng_state && device !== "cpu" && cudaExtensionLoaded()) {
            setCudaRngState(tensors.cuda_rng_state);
          }
          return tensors.fixed_noise!.to({ device, dtype: "float32" });
        } finally {
          free();
        }
      },
    };
  } catch (error) {
    free();
    throw error;
  }
}
