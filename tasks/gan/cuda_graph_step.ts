/**
 * The whole DCGAN training step as one CUDA graph: D's and G's forward and backward passes, both Adam
 * steps (capturable: step count and lr on the GPU, so the bias correction is right on every replay),
 * the noise (drawn inside the graph, a new draw per replay) and BatchNorm's running statistics. Each
 * step copies the real batch into a static buffer and replays the graph: one launch instead of several
 * hundred, and no wait for the GPU except one read of the step's five numbers.
 *
 * The first `warmup` steps run eagerly on a side stream (they allocate gradients and Adam's state, which
 * must exist before capture); the next is captured and then replayed, like every later one.
 *
 * @module
 */

import { cudaExtensionLoaded, CudaGraph, CudaUnavailableError, onSideStream } from "../../ops/cuda.ts";
import { empty } from "../../ops/creation.ts";
import { keep, tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { type DcganTrainer, DivergenceError, type StepStats } from "./trainer.ts";

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.shape.join("x") === b.shape.join("x");
}

/** Options of {@linkcode CudaGraphStep}. */
export interface CudaGraphStepOptions {
  /** Eager steps before the capture; default 3, as PyTorch's whole-network capture example. */
  warmup?: number;
}

/**
 * Runs a {@linkcode DcganTrainer}'s steps as replays of one captured CUDA graph.
 *
 * @example
 * ```ts ignore
 * import { CudaGraphStep } from "@gan/dcgan/gan";
 * import { DcganTrainer } from "@gan/dcgan";
 * const trainer = new DcganTrainer({ nz: 128, ngf: 64, ndf: 64, nc: 3, imageSize: 64, lr: 2e-4, beta1: 0.5, device: "cuda" });
 * const graphed = new CudaGraphStep(trainer);
 * // for each batch on the GPU: const stats = graphed.step(real);
 * graphed.dispose();
 * ```
 */
export class CudaGraphStep {
  /** The trainer whose networks and optimizers the graph updates. */
  readonly trainer: DcganTrainer;
  #warmupLeft: number;
  #graph?: CudaGraph;
  #real?: Tensor;
  #stats?: Tensor;

  /**
   * Checks that the trainer's step can be captured.
   *
   * @param trainer a trainer on a CUDA device, without the variants that read values mid-step
   * @param options warm-up steps
   * @throws {CudaUnavailableError} when the shim has no CUDA part
   * @throws {RangeError} naming the option that cannot be captured
   */
  constructor(trainer: DcganTrainer, options: CudaGraphStepOptions = {}) {
    if (!cudaExtensionLoaded()) throw new CudaUnavailableError("--cuda-graph");
    const { spec } = trainer;
    const refuse = (what: string) => {
      throw new RangeError(
        `--cuda-graph cannot capture ${what}: leave it out, or train without --cuda-graph`,
      );
    };
    if (spec.device === "cpu") refuse("a CPU step (CUDA graphs run on the GPU; pass --device cuda)");
    if ((spec.nCritic ?? 1) !== 1) refuse("--n-critic above 1 (the step alternates between two shapes)");
    if (trainer.loss === "wgan-gp") refuse("--loss wgan-gp (its penalty's double backward)");
    if (trainer.replay) refuse("--replay (its buffer is filled on the host)");
    if (trainer.numClasses > 0) refuse("--conditional (its labels change per batch)");
    if (!trainer.optimizerD.capturable || !trainer.optimizerG.capturable) refuse("a non-capturable Adam");
    const warmup = options.warmup ?? 3;
    if (!Number.isInteger(warmup) || warmup < 1) {
      throw new RangeError(`CudaGraphStep warmup must be an integer >= 1, got ${warmup}`);
    }
    this.trainer = trainer;
    this.#warmupLeft = warmup;
  }

  /** Whether the graph has been captured (the warm-up is over). */
  get captured(): boolean {
    return this.#graph !== undefined;
  }

  /**
   * One training step on a real batch.
   *
   * @param real real images in [-1, 1], (N, nc, imageSize, imageSize); a batch of another size than the
   *   captured one runs eagerly
   * @returns the step's numbers, as {@linkcode DcganTrainer.step}
   * @throws {DivergenceError} when a loss is NaN or infinite (in a replay the update has then been applied;
   *   the last checkpoint on disk is the last good state)
   */
  step(real: Tensor): StepStats {
    if (this.#warmupLeft > 0 || (this.#real && !sameShape(this.#real, real))) {
      // warm-up, or a batch of another size (an epoch's last): eager, on a side stream as the graph runs
      this.#warmupLeft = Math.max(0, this.#warmupLeft - 1);
      return onSideStream(() => this.trainer.step(real));
    }
    if (this.#graph === undefined) this.#capture(real);
    else {
      this.#real!.copy_(real);
      this.trainer.globalStep++;
    }
    this.#graph!.replay();
    const [lossD, lossG, dx, dgz1, dgz2] = this.#stats!.toFloat32Array();
    const step = this.trainer.globalStep;
    if (!Number.isFinite(lossD)) throw new DivergenceError("discriminator", lossD!, step);
    if (!Number.isFinite(lossG)) throw new DivergenceError("generator", lossG!, step);
    this.trainer.lastGenerator = { lossG: lossG!, dgz2: dgz2! };
    return { lossD: lossD!, lossG: lossG!, dx: dx!, dgz1: dgz1!, dgz2: dgz2! };
  }

  /**
   * One training step that reads nothing back, as {@linkcode DcganTrainer.stepUnread}: the numbers stay
   * on the GPU (a copy of the graph's output, which the next replay overwrites) until read with
   * `StepReader` (./step_stats.ts), which checks them.
   *
   * @param real real images in [-1, 1], as for {@linkcode CudaGraphStep.step}
   * @returns a (5) float32 tensor: lossD, lossG, D(x), D(G(z)) before and after D's update
   */
  stepUnread(real: Tensor): Tensor {
    if (this.#warmupLeft > 0 || (this.#real && !sameShape(this.#real, real))) {
      this.#warmupLeft = Math.max(0, this.#warmupLeft - 1);
      return onSideStream(() => this.trainer.stepUnread(real));
    }
    if (this.#graph === undefined) this.#capture(real);
    else {
      this.#real!.copy_(real);
      this.trainer.globalStep++;
    }
    this.#graph!.replay();
    return this.#stats!.clone();
  }

  #capture(real: Tensor): void {
    const { spec } = this.trainer;
    const format = spec.channelsLast ? "channels_last" : "contiguous_format";
    this.#real = keep(
      tidy(() => empty(real.shape, { device: spec.device, dtype: real.dtype }).contiguous(format)),
    );
    this.#real.copy_(real);
    const graph = new CudaGraph();
    try {
      this.#stats = keep(graph.capture(() => this.trainer.stepStatsTensor(this.#real!)));
    } catch (error) {
      graph.dispose();
      this.trainer.globalStep--; // the captured step never ran
      throw error;
    }
    this.#graph = graph;
  }

  /** Frees the graph and its buffers (not the trainer). */
  dispose(): void {
    this.#graph?.dispose();
    this.#real?.dispose();
    this.#stats?.dispose();
    this.#graph = undefined;
  }

  /** Frees the graph at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
