/**
 * A training loop's step numbers, read from the device in one read for many steps: each step leaves its
 * five numbers there ({@linkcode DcganTrainer.stepUnread}), and {@linkcode StepReader.read} brings every
 * pending step's back at once, checks each loss, and carries the latest G update's numbers over the
 * D-only steps, as {@linkcode DcganTrainer.step} does. On the CPU a read costs a copy (the step has
 * already run); on a GPU it waits for every queued step, so reading every few steps keeps the GPU fed.
 *
 * @module
 */

import { stack } from "../../ops/combine.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { type DcganTrainer, DivergenceError, type StepStats } from "./trainer.ts";

/** A step read back: its numbers and what the caller tagged it with. */
export interface ReadStep<T> {
  /** The caller's tag (e.g. the run position after the step). */
  tag: T;
  /** The step's numbers, as {@linkcode DcganTrainer.step} returns them. */
  stats: StepStats;
}

/**
 * Holds steps' numbers on the device until they are read.
 *
 * @example
 * ```ts
 * import { DcganTrainer } from "@gan/dcgan";
 * import { StepReader } from "./step_stats.ts";
 * import { manualSeed, randn } from "@gan/dcgan";
 * manualSeed(0);
 * const trainer = new DcganTrainer({ nz: 8, ngf: 4, ndf: 4, nc: 3, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu" });
 * using real = randn([2, 3, 32, 32]).tanh();
 * using reader = new StepReader<number>(trainer);
 * for (let i = 1; i <= 3; i++) reader.push(trainer.stepUnread(real), i);
 * const { steps } = reader.read(); // one read for three steps
 * console.log(steps.map((s) => s.stats.lossD));
 * trainer.dispose();
 * ```
 */
export class StepReader<T> implements Disposable {
  readonly #trainer: DcganTrainer;
  #pending: { stats: Tensor; step: number; tag: T }[] = [];

  /** @param trainer the trainer whose steps are read (its `lastGenerator` is kept up to date) */
  constructor(trainer: DcganTrainer) {
    this.#trainer = trainer;
  }

  /** Steps waiting to be read. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Adds the step just taken.
   *
   * @param stats its (5) numbers from `stepUnread` (the reader frees them)
   * @param tag anything the caller wants back with the step
   */
  push(stats: Tensor, tag: T): void {
    this.#pending.push({ stats, step: this.#trainer.globalStep, tag });
  }

  /**
   * Reads every pending step's numbers (one read) and checks each step's losses in order.
   *
   * @returns the steps up to the first that diverged, in order, and that step's error, if any (the
   *   caller logs the good steps, then throws it)
   */
  read(): { steps: ReadStep<T>[]; error?: DivergenceError } {
    const pending = this.#pending;
    this.#pending = [];
    if (pending.length === 0) return { steps: [] };
    let values: Float32Array;
    try {
      using all = stack(pending.map((p) => p.stats));
      values = all.toFloat32Array();
    } finally {
      for (const p of pending) p.stats.dispose();
    }
    const trainer = this.#trainer;
    const steps: ReadStep<T>[] = [];
    for (const [k, { step, tag }] of pending.entries()) {
      const [lossD, lossG, dx, dgz1, dgz2] = values.subarray(5 * k, 5 * k + 5);
      if (!Number.isFinite(lossD)) {
        return { steps, error: new DivergenceError("discriminator", lossD!, step) };
      }
      if ((step - 1) % trainer.spec.nCritic === 0) {
        if (!Number.isFinite(lossG)) return { steps, error: new DivergenceError("generator", lossG!, step) };
        trainer.lastGenerator = { lossG: lossG!, dgz2: dgz2! };
      }
      const last = trainer.lastGenerator ?? { lossG: NaN, dgz2: NaN };
      steps.push({ tag, stats: { lossD: lossD!, lossG: last.lossG, dx: dx!, dgz1: dgz1!, dgz2: last.dgz2 } });
    }
    return { steps };
  }

  /** Frees the numbers of steps never read. */
  dispose(): void {
    for (const p of this.#pending) p.stats.dispose();
    this.#pending = [];
  }

  /** Frees the numbers of steps never read, at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
