/**
 * One DCGAN training step, exactly the loop of pytorch/examples `dcgan/main.py`: (1) update D on a
 * real batch (label 1) and the detached fakes (label 0), one Adam step; (2) update G with the
 * non-saturating loss BCE(D(G(z)), 1), one Adam step.
 *
 * The variants of the train task's flags change only what they name: the loss (`lsgan`, `hinge`,
 * `wgan-gp` with its gradient penalty and LayerNorm critic, see ./losses.ts), the real target (one-sided
 * label smoothing), D steps per G step (`nCritic`: G is updated on steps 1, 1 + nCritic, ...), replayed
 * past fakes in D's fake batch (./replay.ts), an average of G's weights (./ema.ts), and class labels
 * (a conditional DCGAN, ../models/conditional.ts). With none of them the step is the seed's, op for op.
 *
 * @module
 */

import { TorchError } from "../ffi/ffi.ts";
import { Adam } from "../models/adam.ts";
import { ConditionalDiscriminator, ConditionalGenerator } from "../models/conditional.ts";
import { Discriminator, Generator } from "../models/dcgan.ts";
import { weightsInit } from "../models/init.ts";
import { noGrad } from "../ops/autograd.ts";
import type { Device } from "../ops/device.ts";
import { randn } from "../ops/creation.ts";
import { cat } from "../ops/functional.ts";
import { tidy } from "../ops/scope.ts";
import type { Tensor } from "../ops/tensor.ts";
import { emaCopy, emaUpdate } from "./ema.ts";
import {
  discriminatorFakeLoss,
  discriminatorRealLoss,
  type GanLoss,
  generatorLoss,
  GP_WEIGHT,
  gradientPenalty,
  usesSigmoid,
} from "./losses.ts";
import { ReplayBuffer } from "./replay.ts";

/** The seed's label for real images. */
export const REAL_LABEL = 1;
/** The seed's label for generated images. */
export const FAKE_LABEL = 0;

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

function allFinite(x: Tensor): boolean {
  return tidy(() => x.isfinite().to("float32").min().item() === 1);
}

/**
 * A loss as the seed's criterion computes it. libtorch's BCE rejects NaN probabilities with an
 * input-range error; that is a diverged network, reported as such.
 */
function criterion(
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

/** The networks' shapes, the optimizers' settings and the GAN variant. */
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
  /** Adam beta2; default 0.999. */
  beta2?: number;
  /** The GAN loss; default `"bce"` (the seed's). */
  loss?: GanLoss;
  /** D updates per G update; default 1. */
  nCritic?: number;
  /** D's target for real images with `bce` and `lsgan`; default 1, 0.9 for one-sided label smoothing. */
  realLabel?: number;
  /** Capacity of the replay buffer of past fakes; default 0 (no replay). */
  replay?: number;
  /** Decay of the average of G's weights; default 0 (no average). */
  ema?: number;
  /** Classes of a conditional DCGAN; default 0 (unconditional). */
  numClasses?: number;
  /** The gradient penalty's weight with `wgan-gp`; default 10. */
  gpWeight?: number;
}

/** The latest generator update's numbers, carried over the D-only steps when nCritic > 1. */
export interface GeneratorStats {
  /** errG. */
  lossG: number;
  /** D(G(z)) after D's update. */
  dgz2: number;
}

/**
 * The two networks, their optimizers and the step of the seed's loop, with the train task's variants.
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
  readonly netG: Generator | ConditionalGenerator;
  /** The discriminator (PyTorch's `netD`); the critic for `wgan-gp`. */
  readonly netD: Discriminator | ConditionalDiscriminator;
  /** The average of netG's weights, with `ema`; it makes the sample grids. */
  readonly netGEma?: Generator | ConditionalGenerator;
  /** Past fakes for D, with `replay`. */
  readonly replay?: ReplayBuffer;
  /** Adam over netG's parameters. */
  readonly optimizerG: Adam;
  /** Adam over netD's parameters. */
  readonly optimizerD: Adam;
  /** The networks' shapes and optimizer settings. */
  readonly spec: DcganSpec;
  /** Steps taken so far (for messages, and for when G is updated). */
  globalStep = 0;
  /** The latest G update's numbers (saved in run checkpoints, so a resumed run logs the same). */
  lastGenerator?: GeneratorStats;

  /**
   * Builds netG then netD, each initialized with `weightsInit` in the seed's order, so that after
   * `manualSeed(s)` the initial weights equal PyTorch's.
   *
   * @param spec shapes, optimizer settings, device and variant
   * @throws {RangeError} when nCritic or replay is not a positive integer, or ema or realLabel is out
   *   of range
   */
  constructor(spec: DcganSpec) {
    const nCritic = spec.nCritic ?? 1;
    if (!Number.isInteger(nCritic) || nCritic < 1) {
      throw new RangeError(`nCritic must be a positive integer, got ${nCritic}`);
    }
    const ema = spec.ema ?? 0;
    if (!(ema >= 0 && ema < 1)) throw new RangeError(`ema must be in [0, 1), got ${ema}`);
    const realLabel = spec.realLabel ?? 1;
    if (!(realLabel > 0 && realLabel <= 1)) {
      throw new RangeError(`realLabel must be in (0, 1], got ${realLabel}`);
    }
    this.spec = spec;
    const loss = spec.loss ?? "bce";
    const numClasses = spec.numClasses ?? 0;
    const shapeG = { nz: spec.nz, ngf: spec.ngf, nc: spec.nc, imageSize: spec.imageSize };
    const makeG = () =>
      numClasses > 0 ? new ConditionalGenerator({ ...shapeG, numClasses }) : new Generator(shapeG);
    this.netG = weightsInit(makeG());
    const shapeD = {
      ndf: spec.ndf,
      nc: spec.nc,
      imageSize: spec.imageSize,
      sigmoid: usesSigmoid(loss),
      norm: loss === "wgan-gp" ? "layer" as const : "batch" as const,
    };
    this.netD = weightsInit(
      numClasses > 0 ? new ConditionalDiscriminator({ ...shapeD, numClasses }) : new Discriminator(shapeD),
    );
    if (spec.device !== "cpu") {
      this.netG.to(spec.device);
      this.netD.to(spec.device);
    }
    if (ema > 0) this.netGEma = emaCopy(this.netG, () => makeG().to(spec.device));
    if ((spec.replay ?? 0) > 0) this.replay = new ReplayBuffer(spec.replay!);
    const betas: [number, number] = [spec.beta1, spec.beta2 ?? 0.999];
    this.optimizerD = new Adam(this.netD.parameters(), { lr: spec.lr, betas });
    this.optimizerG = new Adam(this.netG.parameters(), { lr: spec.lr, betas });
  }

  /** The GAN loss in use. */
  get loss(): GanLoss {
    return this.spec.loss ?? "bce";
  }

  /** Classes of a conditional DCGAN, 0 for an unconditional one. */
  get numClasses(): number {
    return this.spec.numClasses ?? 0;
  }

  #generate(net: Generator | ConditionalGenerator, noise: Tensor, labels?: Tensor): Tensor {
    return net instanceof ConditionalGenerator ? net.forward(noise, labels) : net.forward(noise);
  }

  #discriminate(images: Tensor, labels?: Tensor): Tensor {
    const net = this.netD;
    return net instanceof ConditionalDiscriminator ? net.forward(images, labels) : net.forward(images);
  }

  /**
   * Images for a sample grid, as the seed makes them: the generator (its average, with `ema`) in
   * training mode, without gradients.
   *
   * @param noise (N, nz, 1, 1) on the trainer's device
   * @param labels (N) int64 classes, for a conditional DCGAN
   * @returns (N, nc, imageSize, imageSize) in [-1, 1]
   */
  sampleImages(noise: Tensor, labels?: Tensor): Tensor {
    return noGrad(() => this.#generate(this.netGEma ?? this.netG, noise, labels));
  }

  /**
   * One step of the seed's loop on a real batch (with the spec's variant).
   *
   * @param real real images in [-1, 1], (N, nc, imageSize, imageSize), on the trainer's device
   * @param noise latent vectors (N, nz, 1, 1); drawn with `randn` when omitted, at the point where the
   *   seed draws them
   * @param labels the real images' classes (N) int64, for a conditional DCGAN; the fakes get the same
   * @returns the losses and D outputs, as the seed logs them
   * @throws {DivergenceError} when a loss is NaN or infinite, before that network's optimizer steps
   * @throws {TypeError} when the trainer is conditional and labels are missing
   */
  step(real: Tensor, noise?: Tensor, labels?: Tensor): StepStats {
    if (this.numClasses > 0 && labels === undefined) {
      throw new TypeError("This trainer is conditional: pass step(real, noise, labels) with int64 labels");
    }
    const step = ++this.globalStep;
    const updateG = (step - 1) % (this.spec.nCritic ?? 1) === 0;
    const { loss } = this;
    const realLabel = this.spec.realLabel ?? REAL_LABEL;
    return tidy(() => {
      const { netD, netG } = this;
      const batchSize = real.shape[0]!;
      // (1) Update D network: maximize log(D(x)) + log(1 - D(G(z))) (or the variant's loss)
      netD.zeroGrad();
      const outputReal = this.#discriminate(real, labels);
      const errDReal = criterion(
        () => discriminatorRealLoss(loss, outputReal, realLabel),
        outputReal,
        () => "discriminator",
        step,
      );
      errDReal.backward();
      const dx = outputReal.mean().item();
      const z = noise ?? randn([batchSize, this.spec.nz, 1, 1], { device: this.spec.device });
      // G's graph is only needed when G is updated in this step
      const fake = updateG ? this.#generate(netG, z, labels) : noGrad(() => this.#generate(netG, z, labels));
      const detached = fake.detach();
      const replayed = this.replay?.sample(Math.floor(batchSize / 2), this.spec.device);
      const fakeBatch = replayed ? cat([detached, replayed.images]) : detached;
      const fakeLabels = replayed?.labels && labels ? cat([labels, replayed.labels]) : labels;
      const outputFake = this.#discriminate(fakeBatch, fakeLabels);
      const blame = () => allFinite(fake) ? "discriminator" : "generator";
      const errDFake = criterion(() => discriminatorFakeLoss(loss, outputFake), outputFake, blame, step);
      errDFake.backward();
      const dgz1 = (replayed ? outputFake.slice(0, 0, batchSize) : outputFake).mean().item();
      let errD = errDReal.add(errDFake);
      if (loss === "wgan-gp") {
        const critic = (images: Tensor) => this.#discriminate(images, labels);
        const penalty = gradientPenalty(critic, real, detached, this.spec.gpWeight ?? GP_WEIGHT);
        penalty.backward();
        errD = errD.add(penalty);
      }
      const lossD = errD.item();
      if (!Number.isFinite(lossD)) throw new DivergenceError(blame(), lossD, step);
      this.optimizerD.step();
      this.replay?.push(detached, labels);
      if (updateG) {
        // (2) Update G network: maximize log(D(G(z))) (or the variant's loss)
        netG.zeroGrad();
        // D's weight gradients of this pass are never used (the seed zeroes them before D's next update),
        // so D's parameters stop recording here: backward then computes only what reaches G (~8% of a step)
        const dParameters = netD.parameters();
        dParameters.forEach((p) => p.requiresGrad_(false));
        let output: Tensor, errG: Tensor;
        try {
          output = this.#discriminate(fake, labels);
          errG = criterion(() => generatorLoss(loss, output), output, blame, step);
          errG.backward();
        } finally {
          dParameters.forEach((p) => p.requiresGrad_(true));
        }
        const dgz2 = output.mean().item();
        const lossG = errG.item();
        if (!Number.isFinite(lossG)) throw new DivergenceError("generator", lossG, step);
        this.optimizerG.step();
        if (this.netGEma) emaUpdate(this.netGEma, netG, this.spec.ema!);
        this.lastGenerator = { lossG, dgz2 };
      }
      const { lossG, dgz2 } = this.lastGenerator ?? { lossG: NaN, dgz2: NaN };
      return { lossD, lossG, dx, dgz1, dgz2 };
    });
  }

  /** Frees the networks, the optimizers' state, the average and the replay buffer. */
  dispose(): void {
    this.optimizerG.dispose();
    this.optimizerD.dispose();
    this.netG.dispose();
    this.netD.dispose();
    this.netGEma?.dispose();
    this.replay?.dispose();
  }
}
