/**
 * Training health: the failures a GAN run shows in its numbers, found while it trains and reported once
 * each, with what to try. Fed every step's numbers and, at each epoch's end, the fixed-noise grid; each
 * epoch gets the list of issues it showed (metrics.jsonl's `health` field on the epoch's last step). The
 * step rules hold when they hold on at least 90% of the last epoch's worth of steps (at least 10), so a
 * run that goes wrong early is reported one epoch after it does, whatever step that is.
 *
 * | issue        | seen as (on at least 90% of an epoch's worth of steps)                | losses            |
 * | ------------ | --------------------------------------------------------------------- | ----------------- |
 * | `d-wins`     | D(G(z)) at G's step below 0.01 and Loss_G above 8                     | bce               |
 * | `d-collapse` | Loss_D within 0.05 of its floor, D(x) within 0.02 of its real target | bce, lsgan, hinge |
 * | `g-collapse` | the grid's mean pairwise distance below 0.25 of a real batch's        | all               |
 * | `non-finite` | a NaN or infinite loss, D output or grid pixel                        | all               |
 *
 * `d-wins` is bce's vanishing gradient: G's loss `-log D(G(z))` is large because D rejects every fake.
 * The other losses do not saturate (lsgan's and hinge's G losses keep their slope as D(G(z)) falls, and
 * wgan-gp's critic scores have no scale), so the rule is bce's only, and not with `featureMatching`,
 * whose G loss is not D's. `d-collapse` is D's loss at its floor: every real and fake image separated
 * beyond doubt (bce's floor is the entropy of its targets, 0 without label smoothing; lsgan's and
 * hinge's is 0, hinge's reached once D(x) >= 1 and D(G(z)) <= -1 on every image); wgan-gp's critic loss
 * has no floor. `g-collapse` is mode collapse: the grid's images (in pixels, from different z) lie much
 * closer together than real images do. A non-finite loss also stops the run (`DivergenceError`).
 *
 * @module
 */

import type { ImageBatch } from "../data/types.ts";
import type { TrainConfig } from "./config.ts";
import type { StepStats } from "./trainer.ts";

/** The issues {@linkcode TrainingHealth} detects. */
export type HealthIssue = "d-wins" | "d-collapse" | "g-collapse" | "non-finite";

/** The share of an epoch's steps a step rule must hold on. */
export const HEALTH_EPOCH_SHARE = 0.9;
/** `d-wins`: D(G(z)) at G's step below this... */
export const D_WINS_DGZ = 0.01;
/** ...and Loss_G above this. */
export const D_WINS_LOSS_G = 8;
/** `d-collapse`: Loss_D within this of its floor. */
export const D_COLLAPSE_MARGIN = 0.05;
/**
 * `g-collapse`: the grid's mean pairwise distance below this share of a real batch's. Measured: the
 * stable recipe's F-MNIST grid after one epoch at 0.88; the seed recipe's emoji grids, every sample the
 * same noise texture, at 0.19 after its first epoch at 64x64, and at 0.29 and 0.22 after 30 and 60 steps
 * at 32x32.
 */
export const G_COLLAPSE_RATIO = 0.25;

/** The settings the rules depend on: the loss, D's targets and G's objective. */
export type HealthConfig = Pick<
  TrainConfig,
  | "loss"
  | "labelSmoothing"
  | "fakeLabel"
  | "featureMatching"
  | "recipe"
  | "spectralNorm"
  | "augment"
  | "lrD"
  | "minibatchStd"
>;

/** One issue found in one epoch. */
export interface HealthFinding {
  /** Which. */
  issue: HealthIssue;
  /** The epoch it was found in (0-based). */
  epoch: number;
  /** What was seen and what to try, with the flags that apply. */
  message: string;
}

/** Binary entropy in nats: the least BCE a target `t` allows. */
function entropy(t: number): number {
  return t <= 0 || t >= 1 ? 0 : -(t * Math.log(t) + (1 - t) * Math.log(1 - t));
}

/**
 * The mean pairwise Euclidean distance between the images of a batch, per pixel value (divided by the
 * square root of the values per image, so that sizes and channel counts compare).
 *
 * @param batch at least 2 images
 * @returns the mean over all pairs; NaN when a value is not finite
 * @throws {RangeError} when the batch has fewer than 2 images
 * @example
 * ```ts
 * import { meanPairwiseDistance } from "./health.ts";
 * const batch = { data: Float32Array.of(0, 0, 1, 1), shape: [2, 1, 1, 2] as [number, number, number, number] };
 * console.log(meanPairwiseDistance(batch)); // 1
 * ```
 */
export function meanPairwiseDistance(batch: ImageBatch): number {
  const [n, c, h, w] = batch.shape;
  if (n < 2) throw new RangeError(`A pairwise distance needs at least 2 images, got ${n}`);
  const per = c * h * w;
  const { data } = batch;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = i * per;
    for (let j = i + 1; j < n; j++) {
      const b = j * per;
      let squared = 0;
      for (let k = 0; k < per; k++) {
        const d = data[a + k]! - data[b + k]!;
        squared += d * d;
      }
      sum += Math.sqrt(squared / per);
    }
  }
  return sum / ((n * (n - 1)) / 2);
}

/** A flag to try, left out of the report when the run already has it. */
interface Remedy {
  flag: (config: HealthConfig) => string;
  applies: (config: HealthConfig) => boolean;
}

const remedy = (flag: string | ((config: HealthConfig) => string), applies: Remedy["applies"]): Remedy => ({
  flag: typeof flag === "string" ? () => flag : flag,
  applies,
});
const SMALL_DATA = remedy(
  "--recipe small-data (hinge loss, DiffAugment, lazy R1, EMA: the emoji default)",
  (c) => c.recipe === "seed",
);
const STABLE = remedy(
  "--recipe stable (spectral-norm D, hinge loss, DiffAugment, EMA)",
  (c) => c.recipe !== "stable",
);
const SPECTRAL_NORM = remedy("--spectral-norm", (c) => !c.spectralNorm);
const AUGMENT = remedy("--augment color,translation,cutout", (c) => c.augment.length === 0);
const SMOOTHING = remedy(
  "--label-smoothing 0.9",
  (c) => c.labelSmoothing === 1 && (c.loss === "bce" || c.loss === "lsgan"),
);
const LOWER_LR_D = remedy((c) => `a lower --lr-d (e.g. ${c.lrD / 2})`, () => true);
const MINIBATCH_STD = remedy("--minibatch-std", (c) => !c.minibatchStd);
const FEATURE_MATCHING = remedy("--feature-matching", (c) => !c.featureMatching);

function remedies(config: HealthConfig, list: Remedy[]): string {
  const flags = list.filter((r) => r.applies(config)).map((r) => r.flag(config));
  return flags.length === 0 ? "" : `; try ${flags.join(", or ")}`;
}

/** The last `size` steps' verdicts on one rule. */
class Window {
  readonly #hits: boolean[] = [];
  #count = 0;
  #next = 0;
  constructor(readonly size: number) {}

  /** Adds a step's verdict; true when the rule held on the share it must of a full window. */
  push(hit: boolean): boolean {
    if (this.#hits.length < this.size) this.#hits.push(hit);
    else {
      this.#count -= Number(this.#hits[this.#next]);
      this.#hits[this.#next] = hit;
      this.#next = (this.#next + 1) % this.size;
    }
    this.#count += Number(hit);
    return this.#hits.length === this.size && this.#count >= Math.ceil(HEALTH_EPOCH_SHARE * this.size - 1e-9);
  }
}

/** The fewest steps a step rule looks at: an epoch's, or this many when an epoch is shorter. */
export const HEALTH_MIN_WINDOW = 10;

/** Options of {@linkcode TrainingHealth}. */
export interface TrainingHealthOptions {
  /** Steps per epoch: the window of the step rules (at least {@linkcode HEALTH_MIN_WINDOW}). */
  batchesPerEpoch: number;
  /** Where each issue's report goes, once. */
  log?: (line: string) => void;
}

/**
 * Watches a run's numbers and reports each issue once (through `log`), with the flags that apply. The
 * step rules look at the last epoch's worth of steps, wherever it starts: a run that goes wrong in its
 * first epoch is reported as soon as one epoch of its steps shows it.
 *
 * @example
 * ```ts
 * import { TrainingHealth } from "@gan/dcgan/gan";
 * import { completeConfig } from "@gan/dcgan";
 * const health = new TrainingHealth(completeConfig({ recipe: "seed" }), { batchesPerEpoch: 10, log: console.log });
 * const stats = { lossD: 0.01, lossG: 9, dx: 0.99, dgz1: 0.002, dgz2: 0.001 };
 * for (let step = 1; step <= 10; step++) health.step(stats, { epoch: 0, globalStep: step });
 * console.log(health.endEpoch(0)); // ["d-wins", "d-collapse"], each logged when found
 * ```
 */
export class TrainingHealth {
  readonly #config: HealthConfig;
  readonly #log: (line: string) => void;
  readonly #dWins: Window;
  readonly #dCollapse: Window;
  /** The issues found in each epoch not yet ended. */
  readonly #epochs = new Map<number, Set<HealthIssue>>();
  readonly #grids = new Map<number, number>();
  #realDistance?: number;
  /** Every issue found so far, once per epoch it was found in, in order. */
  readonly findings: HealthFinding[] = [];

  /**
   * Starts watching a run.
   *
   * @param config the loss, D's targets, G's objective, and the stabilisers (left out of the remedies
   *   when already on)
   * @param options the steps per epoch (the step rules' window) and the log
   */
  constructor(config: HealthConfig, options: TrainingHealthOptions) {
    this.#config = config;
    this.#log = options.log ?? (() => {});
    const size = Math.max(options.batchesPerEpoch, HEALTH_MIN_WINDOW);
    this.#dWins = new Window(size);
    this.#dCollapse = new Window(size);
  }

  /**
   * A real batch, the yardstick of `g-collapse` (e.g. real_samples.png's images).
   *
   * @param batch at least 2 real images in [-1, 1]
   */
  setRealBatch(batch: ImageBatch): void {
    this.#realDistance = meanPairwiseDistance(batch);
  }

  /**
   * Takes one step's numbers; an issue they complete is reported now (the first time).
   *
   * @param stats the step's losses and D outputs
   * @param position the step's epoch (0-based) and global step
   */
  step(stats: StepStats, position: { epoch: number; globalStep: number }): void {
    const { lossD, lossG, dx, dgz1, dgz2 } = stats;
    const { epoch, globalStep: step } = position;
    const c = this.#config;
    if (![lossD, lossG, dx, dgz1, dgz2].every(Number.isFinite)) {
      this.#found(
        epoch,
        "non-finite",
        () =>
          `Non-finite values at step ${step}: a loss or D output is NaN or infinite; resume from the last ` +
          "checkpoint with a lower --lr" + remedies(c, [SMALL_DATA, STABLE]),
      );
      return;
    }
    const size = this.#dWins.size;
    const span = `in the ${size} steps to step ${step}${size > HEALTH_MIN_WINDOW ? " (an epoch)" : ""}`;
    const dWins = c.loss === "bce" && !c.featureMatching && dgz2 < D_WINS_DGZ && lossG > D_WINS_LOSS_G;
    if (this.#dWins.push(dWins)) {
      this.#found(
        epoch,
        "d-wins",
        () =>
          `D wins: ${span}, D(G(z)) stayed below ${D_WINS_DGZ} and Loss_G above ${D_WINS_LOSS_G}: D rejects ` +
          "every fake, and G's gradients fade" +
          remedies(c, [SMALL_DATA, STABLE, SMOOTHING, AUGMENT, LOWER_LR_D]),
      );
    }
    if (this.#dCollapse.push(this.#dCollapsed(lossD, dx))) {
      const target = c.loss === "hinge" ? "1 or above" : String(c.labelSmoothing);
      this.#found(
        epoch,
        "d-collapse",
        () =>
          `D collapse: ${span}, Loss_D stayed at its floor with D(x) near ${target}: D separates every real ` +
          "image from every fake, and G learns nothing from it" +
          remedies(c, [SPECTRAL_NORM, AUGMENT, SMOOTHING, LOWER_LR_D]),
      );
    }
  }

  #dCollapsed(lossD: number, dx: number): boolean {
    const { loss, labelSmoothing, fakeLabel } = this.#config;
    switch (loss) {
      case "bce":
        return lossD < entropy(labelSmoothing) + entropy(fakeLabel) + D_COLLAPSE_MARGIN &&
          dx > labelSmoothing - 0.02;
      case "lsgan":
        return lossD < D_COLLAPSE_MARGIN && dx > labelSmoothing - 0.02;
      case "hinge":
        return lossD < D_COLLAPSE_MARGIN && dx >= 1;
      case "wgan-gp":
        return false;
    }
  }

  /** Notes an issue in an epoch; the first time it is found at all, logs its report. */
  #found(epoch: number, issue: HealthIssue, describe: () => string): void {
    let issues = this.#epochs.get(epoch);
    if (!issues) this.#epochs.set(epoch, issues = new Set());
    if (issues.has(issue)) return;
    issues.add(issue);
    const first = !this.findings.some((f) => f.issue === issue);
    const message = describe();
    this.findings.push({ issue, epoch, message });
    if (first) this.#log(message);
  }

  /**
   * Takes an epoch's fixed-noise grid (before {@linkcode TrainingHealth.endEpoch} of that epoch).
   *
   * @param epoch the epoch the grid ends (0-based)
   * @param grid the grid's images in [-1, 1], at least 2
   */
  grid(epoch: number, grid: ImageBatch): void {
    this.#grids.set(epoch, meanPairwiseDistance(grid));
  }

  /**
   * Closes an epoch: checks its grid for G collapse, and gives every issue the epoch showed.
   *
   * @param epoch the epoch (0-based)
   * @returns its issues, in the order of {@linkcode HealthIssue} (empty for a healthy epoch)
   */
  endEpoch(epoch: number): HealthIssue[] {
    const distance = this.#grids.get(epoch);
    this.#grids.delete(epoch);
    const real = this.#realDistance;
    const e = epoch + 1;
    if (distance !== undefined && !Number.isFinite(distance)) {
      this.#found(
        epoch,
        "non-finite",
        () =>
          `Non-finite values in the samples of epoch ${e}: G makes NaN or infinite pixels; resume from the ` +
          "last checkpoint with a lower --lr" + remedies(this.#config, [SMALL_DATA, STABLE]),
      );
    } else if (distance !== undefined && real !== undefined && distance < G_COLLAPSE_RATIO * real) {
      this.#found(
        epoch,
        "g-collapse",
        () =>
          `G collapse: the fixed-noise samples of epoch ${e} differ ${(real / distance).toFixed(1)} times ` +
          `less than a real batch (mean pairwise distance ${distance.toFixed(3)} vs ${real.toFixed(3)}): G ` +
          "maps different z to the same images (mode collapse)" +
          remedies(this.#config, [SMALL_DATA, STABLE, MINIBATCH_STD, FEATURE_MATCHING]),
      );
    }
    const issues = this.#epochs.get(epoch) ?? new Set();
    this.#epochs.delete(epoch);
    const order: HealthIssue[] = ["d-wins", "d-collapse", "g-collapse", "non-finite"];
    return order.filter((issue) => issues.has(issue));
  }
}
