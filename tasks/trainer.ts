/**
 * One DCGAN training step, exactly the loop of pytorch/examples `dcgan/main.py`: (1) update D on a
 * real batch (label 1) and the detached fakes (label 0), one Adam step; (2) update G with the
 * non-saturating loss BCE(D(G(z)), 1), one Adam step.
 *
 * @module
 */

import { TorchError } from "../ffi/ffi.ts";
import { Adam } from "../models/adam.ts";
import { Discriminator, Generator } from "../models/dcgan.ts";
import { weightsInit } from "../models/init.ts";
import type { Device } from "../ops/device.ts";
import { full, randn } from "../ops/creation.ts";
import { binaryCrossEntropy } from "../ops/functional.ts";
import { tidy } from "../ops/scope.ts";
import type { Tensor } from "../ops/tensor.ts";

/** The seed's label for real images. */
export const REAL_LABEL = 1;
/** The seed's label for generated images. */
export const FAKE_LABEL = 0;

/** What one step measured, as the seed logs it. */
export interface StepStats {
  /** errD = errD_real + errD_fake. */
  lossD: number;
  /** errG, the non-saturating generator loss. */
  lossG: number;
  /** D(x): mean output on the real batch. */
  dx: number;
  /** D(G(z)) before D's update. */
  dgz1: number;
  /** D(G(z)) after D's update. */
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

function allFinite(x: Tensor): boolean {
  return tidy(() => x.isfinite().to("float32").min().item() === 1);
}

/**
 * BCE as the seed's criterion. libtorch rejects NaN probabilities with an input-range error; that is
 * a diverged network, reported as such.
 */
function criterion(
  output: Tensor,
  label: Tensor,
  blame: () => "discriminator" | "generator",
  step: number,
): Tensor {
  try {
    return binaryCrossEntropy(output, label);
  } catch (error) {
    if (error instanceof TorchError && !allFinite(output)) throw new DivergenceError(blame(), NaN, step);
    throw error;
  }
}

/** The networks' shapes and the optimizers' settings. */
export interface DcganSpec {
  /** Latent size. */
  nz: number;
  /** Generator width. */
  ngf: number;
  /** Discriminator width. */
  ndf: number;
  /** Image channels. */
  nc: number;
  /** Image side: 32, 64 or 128. */
  imageSize: number;
  /** Adam learning rate. */
  lr: number;
  /** Adam beta1. */
  beta1: number;
  /** Where the networks live. */
  device: Device;
}

/**
 * The two networks, their optimizers and the step of the seed's loop.
 *
 * @example
 * ```ts
 * import { DcganTrainer } from "./trainer.ts";
 * import { manualSeed, randn } from "../mod.ts";
 * manualSeed(0);
 * const trainer = new DcganTrainer({ nz: 8, ngf: 4, ndf: 4, nc: 3, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu" });
 * using real = randn([2, 3, 32, 32]).tanh();
 * console.log(trainer.step(real).lossD);
 * trainer.dispose();
 * ```
 */
export class DcganTrainer {
  /** The generator (PyTorch's `netG`). */
  readonly netG: Generator;
  /** The discriminator (PyTorch's `netD`). */
  readonly netD: Discriminator;
  /** Adam over netG's parameters. */
  readonly optimizerG: Adam;
  /** Adam over netD's parameters. */
  readonly optimizerD: Adam;
  /** The networks' shapes and optimizer settings. */
  readonly spec: DcganSpec;
  /** Steps taken so far (for messages). */
  globalStep = 0;

  /**
   * Builds netG then netD, each initialized with `weightsInit` in the seed's order, so that after
   * `manualSeed(s)` the initial weights equal PyTorch's.
   *
   * @param spec shapes, optimizer settings and device
   */
  constructor(spec: DcganSpec) {
    this.spec = spec;
    this.netG = weightsInit(
      new Generator({ nz: spec.nz, ngf: spec.ngf, nc: spec.nc, imageSize: spec.imageSize }),
    );
    this.netD = weightsInit(new Discriminator({ ndf: spec.ndf, nc: spec.nc, imageSize: spec.imageSize }));
    if (spec.device !== "cpu") {
      this.netG.to(spec.device);
      this.netD.to(spec.device);
    }
    const betas: [number, number] = [spec.beta1, 0.999];
    this.optimizerD = new Adam(this.netD.parameters(), { lr: spec.lr, betas });
    this.optimizerG = new Adam(this.netG.parameters(), { lr: spec.lr, betas });
  }

  /**
   * One step of the seed's loop on a real batch.
   *
   * @param real real images in [-1, 1], (N, nc, imageSize, imageSize), on the trainer's device
   * @param noise latent vectors (N, nz, 1, 1); drawn with `randn` when omitted, at the point where the
   *   seed draws them
   * @returns the losses and D outputs, as the seed logs them
   * @throws {DivergenceError} when a loss is NaN or infinite, before that network's optimizer steps
   */
  step(real: Tensor, noise?: Tensor): StepStats {
    const step = ++this.globalStep;
    return tidy(() => {
      const { netD, netG } = this;
      const batchSize = real.shape[0]!;
      // (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
      netD.zeroGrad();
      const label = full([batchSize], REAL_LABEL, { device: this.spec.device });
      const outputReal = netD.forward(real);
      const errDReal = criterion(outputReal, label, () => "discriminator", step);
      errDReal.backward();
      const dx = outputReal.mean().item();
      const z = noise ?? randn([batchSize, this.spec.nz, 1, 1], { device: this.spec.device });
      const fake = netG.forward(z);
      label.fill_(FAKE_LABEL);
      const outputFake = netD.forward(fake.detach());
      const blame = () => allFinite(fake) ? "discriminator" : "generator";
      const errDFake = criterion(outputFake, label, blame, step);
      errDFake.backward();
      const dgz1 = outputFake.mean().item();
      const lossD = errDReal.add(errDFake).item();
      if (!Number.isFinite(lossD)) throw new DivergenceError("discriminator", lossD, step);
      this.optimizerD.step();
      // (2) Update G network: maximize log(D(G(z)))
      netG.zeroGrad();
      label.fill_(REAL_LABEL); // fake labels are real for generator cost
      const output = netD.forward(fake);
      const errG = criterion(output, label, blame, step);
      errG.backward();
      const dgz2 = output.mean().item();
      const lossG = errG.item();
      if (!Number.isFinite(lossG)) throw new DivergenceError("generator", lossG, step);
      this.optimizerG.step();
      return { lossD, lossG, dx, dgz1, dgz2 };
    });
  }

  /** Frees both networks and both optimizers' state. */
  dispose(): void {
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    this.netG.dispose();
    this.netD.dispose();
  }
}
