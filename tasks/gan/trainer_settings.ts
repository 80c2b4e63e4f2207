/**
 * What the trainer is built from: the train config plus what the data brings ({@linkcode DcganSpec}),
 * filled in and checked once by the train table ({@linkcode settingsOf}).
 *
 * @module
 */

import type { Module } from "../../models/nn/module.ts";
import { autocast, type AutocastDType } from "../../ops/cuda.ts";
import { checkTrainConfig, completeConfig, type TrainConfig } from "./config.ts";
import { GP_WEIGHT } from "./losses.ts";
import { checkStabilisers, type StabiliserOptions } from "./stabilisers.ts";

/**
 * The trainer's settings: any fields of the train config ({@linkcode TrainConfig}; the trainer reads the
 * networks', optimizers' and variant's ones), the seven that have no default, and what the data and the
 * library add. Settings left out take the train table's defaults for the seed's loop (`--loss bce`),
 * whatever the loss: beta2 0.999, nCritic 1, labelSmoothing 1, no replay, no average, contiguous layout.
 */
export type DcganSpec =
  & Partial<TrainConfig>
  & Pick<TrainConfig, "nz" | "ngf" | "ndf" | "imageSize" | "lr" | "beta1" | "device">
  & DcganExtras
  & StabiliserOptions;

/** What a {@linkcode DcganSpec} has beyond the train config: from the data set, or for library callers. */
export interface DcganExtras {
  /** Image channels (from the data set). */
  nc: number;
  /** Classes of a conditional DCGAN (from the data set); default 0 (unconditional). */
  numClasses?: number;
  /** The gradient penalty's weight with `wgan-gp`; default 10. */
  gpWeight?: number;
  /** PyTorch's name (`real_label`) for `labelSmoothing`, D's target for real images; either may be given. */
  realLabel?: number;
  /**
   * Run the networks under autocast in this dtype (`torch.autocast(device, dtype)`, CPU or CUDA), the
   * losses in float32 outside it. Default: the config's `amp` (off).
   */
  autocast?: AutocastDType;
  /**
   * Data-parallel training's collectives (./data_parallel.ts), as PyTorch's DistributedDataParallel
   * places them; default none (one process).
   */
  sync?: StepSync;
}

/**
 * Where a data-parallel step talks to the other ranks: the trainer calls these, every rank in the same
 * order, and draws each step's noise for the whole batch, keeping its rank's share.
 */
export interface StepSync {
  /** This process's rank. */
  readonly rank: number;
  /** Processes training together. */
  readonly worldSize: number;
  /** Once, after the networks are built: rank 0's parameters and buffers to every rank. */
  start(nets: readonly Module[]): void;
  /** Before each forward of `net` in a step: rank 0's buffers to every rank (DDP's broadcast_buffers). */
  buffers(net: Module): void;
  /** Before `net`'s optimizer steps: its gradients averaged over the ranks. */
  gradients(net: Module): void;
  /** Runs one training step (the collectives of SyncBatchNorm happen only inside one). */
  step<T>(run: () => T): T;
}

/** A spec with every setting filled in, as the trainer holds it. */
export type DcganSettings =
  & TrainConfig
  & Required<Omit<DcganExtras, "autocast" | "realLabel" | "sync">>
  & Pick<DcganExtras, "autocast" | "sync">
  & StabiliserOptions;

/** The autocast dtype of each `amp` setting. */
const AUTOCAST: Record<TrainConfig["amp"], AutocastDType | undefined> = {
  off: undefined,
  bf16: "bfloat16",
  fp16: "float16",
};

/**
 * Fills in a spec's missing settings and checks them with the table's checks. A library caller's spec
 * starts from the seed recipe (the seed loop's defaults, whatever the loss) unless it names a recipe.
 */
export function settingsOf(spec: DcganSpec): DcganSettings {
  const labelSmoothing = spec.realLabel ?? spec.labelSmoothing;
  const seed = completeConfig({ ...spec, recipe: spec.recipe ?? "seed", loss: undefined, labelSmoothing });
  const settings: DcganSettings = {
    ...spec,
    ...seed,
    loss: spec.loss ?? seed.loss,
    numClasses: spec.numClasses ?? 0,
    gpWeight: spec.gpWeight ?? GP_WEIGHT,
    autocast: spec.autocast ?? AUTOCAST[seed.amp],
  };
  checkTrainConfig(settings);
  checkStabilisers({ ...settings, realLabel: settings.labelSmoothing }, settings.loss);
  // an empty region, so that a dtype libtorch lacks there (float16 on the CPU before 2.4) fails here
  if (settings.autocast) autocast(settings.autocast, () => {}, { device: settings.device });
  return settings;
}
