/**
 * The bench's "train end to end" rows: what a user of `deno task train` gets. The real `train()` runs on
 * the emoji set for a few epochs, and the rate counts every image trained from the end of the first
 * step (or of the first read of a GPU run's numbers) to the end of the last, so everything the run does
 * between and around the steps (batches, logging, metrics, grids, checkpoints at each epoch's end) is
 * in it; dividing by the step rate of the same config says how much of the step's speed reaches users.
 *
 * @module
 */

import { join } from "node:path";
import { loadDataset } from "../data/load_dataset.ts";
import { parseTrainArgs } from "../gan/config.ts";
import { train } from "../gan/train.ts";
import type { BenchRow } from "./bench.ts";
import type { StepConfig } from "./gpu.ts";

/** Options of {@linkcode trainEndToEnd}. */
export interface EndToEndOptions {
  /** Epochs to train (the issue asks for at least 3). */
  epochs: number;
  /** `--device`; default cpu. */
  device?: "cpu" | "cuda";
  /** An emoji category (a smaller data set, for `--quick`); default the whole set. */
  category?: string;
  /** More `train` flags, e.g. `["--cuda-graph", "--channels-last", "--amp", "bf16"]`. */
  flags?: string[];
}

/** What {@linkcode trainEndToEnd} measured. */
export interface EndToEndRate {
  /** Images trained per second, from the end of the first measured step to the end of the last. */
  imgPerS: number;
  /** Steps the run took in all. */
  steps: number;
  /** The timed span, seconds. */
  seconds: number;
}

/**
 * Runs `train()` as `deno task train` would (the seed recipe, 64x64 emoji) in a temporary run folder,
 * and times it.
 *
 * @param cfg batch size and network widths, as the step rows use them
 * @param options epochs, device, category and extra flags
 * @returns the end-to-end rate
 */
export async function trainEndToEnd(cfg: StepConfig, options: EndToEndOptions): Promise<EndToEndRate> {
  const out = await Deno.makeTempDir({ prefix: "dcgan-bench-train-" });
  try {
    const args = [
      ...["--recipe", "seed", "--image-size", "64", "--epochs", String(options.epochs)],
      ...["--batch-size", String(cfg.batch), "--nz", String(cfg.nz), "--ngf", String(cfg.ngf)],
      ...["--ndf", String(cfg.ndf), "--device", options.device ?? "cpu", "--out", join(out, "run")],
      ...(options.category ? ["--category", options.category] : []),
      ...(options.flags ?? []),
    ];
    const config = parseTrainArgs(args)!;
    const { count } = await loadDataset(config, () => {}); // cached: what train() loads next
    let batchesPerEpoch = 0;
    let start: number | undefined;
    let firstRead = false; // a GPU run reads many steps at once: the first read's steps are before the start
    let end = 0;
    let images = 0;
    const result = await train(config, {
      onStart: (s) => batchesPerEpoch = s.batchesPerEpoch,
      onStep: (_, position) => {
        const now = performance.now();
        if (start === undefined) {
          [start, firstRead] = [now, true];
          queueMicrotask(() => firstRead = false); // after the read's last onStep
        }
        if (firstRead) return;
        end = now;
        const lastBatch = position.batch === batchesPerEpoch;
        images += lastBatch ? count - (batchesPerEpoch - 1) * cfg.batch : cfg.batch;
      },
    });
    if (start === undefined || end === 0) {
      throw new Error(`train end to end took ${result.steps} steps: too few to time`);
    }
    const seconds = (end - start) / 1000;
    return { imgPerS: images / seconds, steps: result.steps, seconds };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

/**
 * The bench row of {@linkcode trainEndToEnd}: img/s, and as its ratio that rate divided by `stepRate`,
 * the same config's training step alone.
 *
 * @param cfg batch size and network widths
 * @param options as {@linkcode trainEndToEnd}, and the step rate to compare with
 * @returns the row, named `train end to end ...`
 */
export async function endToEndRow(
  cfg: StepConfig,
  options: EndToEndOptions & { stepRate: number },
): Promise<BenchRow> {
  const rate = await trainEndToEnd(cfg, options);
  const data = options.category ? `emoji "${options.category}"` : "emoji";
  const flags = options.flags?.length ? ` ${options.flags.join(" ")}` : "";
  return {
    name:
      `train end to end bs ${cfg.batch}, ${options.epochs} epochs of ${data}${flags} (ratio: to the step)`,
    unit: "img/s",
    ours: rate.imgPerS,
    ratio: rate.imgPerS / options.stepRate,
  };
}
