/**
 * The train config's type: every setting of a run, and the shape of its rows in the flag table
 * (./config.ts).
 *
 * @module
 */

import type { FlagSpec } from "../cli/flags.ts";
import type { Device } from "../../ops/device.ts";
import type { Arch } from "../../models/dcgan/networks.ts";
import type { Augmentation } from "./augment.ts";
import type { GanLoss } from "./losses.ts";
import type { RecipeName } from "./recipes.ts";

/** Everything that configures a training run; saved into the run folder as config.json. */
export interface TrainConfig {
  /** The named set of defaults the other settings start from (see ./recipes.ts). */
  recipe: RecipeName;
  /** Image folder, `fashion-mnist`, or undefined for the default emoji set. */
  data?: string;
  /** Emoji category filter (e.g. "Smileys & Emotion"), default set only. */
  category?: string;
  /** Passes over the data. */
  epochs: number;
  /** Images per step. */
  batchSize: number;
  /** Side of the square images: 32, 64 or 128. */
  imageSize: number;
  /** Latent size. */
  nz: number;
  /** Generator width. */
  ngf: number;
  /** Discriminator width. */
  ndf: number;
  /** Adam learning rate of both networks (unless lrD / lrG say otherwise). */
  lr: number;
  /** D's Adam learning rate (TTUR); default lr. */
  lrD: number;
  /** G's Adam learning rate (TTUR); default lr. */
  lrG: number;
  /** Adam beta1 of both networks. */
  beta1: number;
  /** Adam beta2 of both networks. */
  beta2: number;
  /** The GAN loss. */
  loss: GanLoss;
  /** D (critic) updates per G update. */
  nCritic: number;
  /** D's target for real images with bce and lsgan: 1, or e.g. 0.9 (one-sided label smoothing). */
  labelSmoothing: number;
  /** Capacity of the replay buffer of past fakes shown to D (0: no replay). */
  replay: number;
  /** Decay of the moving average of G's weights used for the sample grids (0: none). */
  ema: number;
  /** Train a conditional DCGAN on the data set's class labels. */
  conditional: boolean;
  /** The networks: the DCGAN, or the seeds' MLP GAN or MNIST case-study networks (32x32). */
  arch: Arch;
  /** Spectral norm on every layer of D (which then has no BatchNorm). */
  spectralNorm: boolean;
  /** Spectral norm on every layer of G too. */
  spectralNormG: boolean;
  /** A SAGAN self-attention block in G and D at this resolution (0: none). */
  attention: number;
  /** ProGAN's minibatch standard deviation layer before D's last layer. */
  minibatchStd: boolean;
  /** Dropout probability after each of D's LeakyReLUs (0: none). */
  dDropout: number;
  /** DiffAugment's policy for every image D sees (empty: none). */
  augment: Augmentation[];
  /** Instance noise sigma on every image D sees, annealed linearly to 0 over the run (0: none). */
  instanceNoise: number;
  /** Probability of swapping each of D's targets (bce and lsgan; 0: none). */
  labelFlip: number;
  /** D's target for fakes with bce and lsgan: 0, or e.g. 0.1 (two-sided label smoothing). */
  fakeLabel: number;
  /** R1 penalty weight gamma on D's gradient at real images (0: none). */
  r1: number;
  /** R1 on every Nth D step only, weighted by N: StyleGAN2's lazy regularization (1: every step). */
  r1Every: number;
  /** G matches the mean of D's last hidden features on real images instead of fooling D. */
  featureMatching: boolean;
  /** StyleGAN2's ema_rampup: warm-up of the EMA of G for short runs (0: none). */
  emaRampup: number;
  /** Where the networks live. */
  device: Device;
  /** Lay out weights and images as channels_last (NHWC). */
  channelsLast: boolean;
  /** Autocast dtype of the networks, CPU or CUDA: "off", "bf16" or "fp16" (fp16 on the CPU: libtorch 2.4+). */
  amp: "off" | "bf16" | "fp16";
  /** Run each step as a replay of one captured CUDA graph. */
  cudaGraph: boolean;
  /** Run folder for checkpoints, grids, metrics. */
  out: string;
  /** Continue the run in `out` from its checkpoint. */
  resume: boolean;
  /** Remove the run files in `out` first (without it, a folder that holds a run is refused). */
  overwrite: boolean;
  /**
   * Start G from these weights (pytorch/examples' `--netG`): a run's generator.safetensors or
   * checkpoint.safetensors, a run folder, or PyTorch's state dict saved as safetensors; a new run only.
   */
  netG?: string;
  /** Start D from these weights (pytorch/examples' `--netD`), as {@linkcode TrainConfig.netG}. */
  netD?: string;
  /** Seed of weights, noise and shuffling. */
  seed: number;
  /** One step of one epoch, then stop (a smoke test). */
  dryRun: boolean;
  /** Stop after this many steps in all (0: no limit). */
  maxSteps: number;
  /** Print a log line every this many steps. */
  logEvery: number;
  /** Keep the sampling generator's weights of every this many epochs as generator_epoch_NNN.safetensors (0: none). */
  saveEvery: number;
  /** Score the sampling generator's FID and KID every this many steps (0: never); see ./train_eval.ts. */
  evalEvery: number;
  /** Samples (and real images) each eval scores. */
  evalSamples: number;
  /** Inception-v3 weights (safetensors) for the evals' features; undefined: the F-MNIST classifier. */
  inception?: string;
  /** Worker processes the launcher starts on this machine (torchrun's `--nproc-per-node`); 1: no launcher. */
  nprocPerNode: number;
  /** Machines in the job (torchrun's `--nnodes`). */
  nnodes: number;
  /** This machine's place among them, 0 to nnodes - 1 (torchrun's `--node-rank`). */
  nodeRank: number;
  /** Host of rank 0's rendezvous store (torchrun's `--master-addr`, MASTER_ADDR). */
  masterAddr: string;
  /** Its TCP port (torchrun's `--master-port`, MASTER_PORT). */
  masterPort: number;
  /** SyncBatchNorm: with several processes, BatchNorm uses the statistics of every rank's batch. */
  syncBn: boolean;
  /** Seconds a rank waits for the others (rendezvous, each collective) before the job fails. */
  distTimeout: number;
}

/**
 * What `--resume` does with a setting: `"checkpoint"` keeps the value saved with the run (the networks'
 * shapes, the data, the variant, the seed), `"flag"` takes the value of this command line (how long to
 * run, where, how fast).
 */
export type ResumeRule = "checkpoint" | "flag";

/** One row of {@linkcode TRAIN_FIELDS}: the setting's flag spec and its resume rule. */
export interface TrainField<T> extends FlagSpec<T, TrainConfig> {
  /** What `--resume` does with it. */
  readonly resume: ResumeRule;
}
