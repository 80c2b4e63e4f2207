/**
 * What a training step gives back: its numbers as logged (`StepStats`), the device tensors they are read
 * from in one host read, and the divergence a non-finite loss raises.
 *
 * @module
 */

import { TorchError } from "../../ffi/ffi.ts";
import { full } from "../../ops/creation.ts";
import { stack } from "../../ops/combine.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** What one step measured, as the seed logs it. */
export interface StepStats {
  /** errD = errD_real + errD_fake (+ the gradient penalty with wgan-gp). */
  lossD: number;
  /** errG, the generator loss of the latest G update (every step unless nCritic > 1). */
  lossG: number;
  /** D(x): mean output on the real batch (a probability for bce, a raw score otherwise). */
  dx: number;
  /** D(G(z)) before D's update, over the current fakes (not the replayed ones). */
  dgz1: number;
  /** D(G(z)) after D's update, at the latest G update. */
  dgz2: number;
}

/** A loss became NaN or infinite; the message names the network and what to try. */
export class DivergenceError extends Error {
  /** "discriminator" or "generator". */
  readonly network: "discriminator" | "generator";
  /**
   * Reports a diverged network.
   *
   * @param network the network whose loss diverged
   * @param loss the offending value
   * @param step the global step
   */
  constructor(network: "discriminator" | "generator", loss: number, step: number) {
    super(
      `Training diverged at step ${step}: the ${network} loss is ${loss}. ` +
        "The last good checkpoint is kept; resume from it with a lower --lr or another --seed",
    );
    this.name = "DivergenceError";
    this.network = network;
  }
}

/** Whether every element of `x` is finite (one host read). */
export function allFinite(x: Tensor): boolean {
  return tidy(() => x.isfinite().to("float32").min().item() === 1);
}

/**
 * A loss as the seed's criterion computes it. libtorch's BCE rejects NaN probabilities with an
 * input-range error; that is a diverged network, reported as such.
 */
export function criterion(
  compute: () => Tensor,
  output: Tensor,
  blame: () => "discriminator" | "generator",
  step: number,
): Tensor {
  try {
    return compute();
  } catch (error) {
    if (error instanceof TorchError && !allFinite(output)) throw new DivergenceError(blame(), NaN, step);
    throw error;
  }
}

/** One step's results on the device, and, when the step was checked, as read back for the checks. */
export interface StepTensors {
  errD: Tensor;
  dx: Tensor;
  dgz1: Tensor;
  /** The G update's loss and D(G(z)), when G was updated. */
  generator?: { errG: Tensor; dgz2: Tensor };
  /** [lossD, D(x), D(G(z1))], read with the D check. */
  readD?: Float32Array;
  /** [lossG, D(G(z2))], read with the G check. */
  readG?: Float32Array;
}

/**
 * Scalars stacked into one float32 tensor, detached (a graph's static output must not hold the captured
 * step's autograd graph and its activations), so that one read brings them all back.
 */
export function stacked(scalars: Tensor[]): Tensor {
  return stack(scalars.map((x) => x.detach().to("float32")));
}

/** [lossD, lossG, D(x), D(G(z1)), D(G(z2))] in one float32 tensor (NaN where G was not updated): one read. */
export function statsTensor(t: StepTensors): Tensor {
  const nan = () => full([], NaN, { device: t.errD.device });
  return stacked([t.errD, t.generator?.errG ?? nan(), t.dx, t.dgz1, t.generator?.dgz2 ?? nan()]);
}

/** The latest generator update's numbers, carried over the D-only steps when nCritic > 1. */
export interface GeneratorStats {
  /** errG. */
  lossG: number;
  /** D(G(z)) after D's update. */
  dgz2: number;
}
