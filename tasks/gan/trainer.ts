/**
 * One DCGAN training step, exactly the loop of pytorch/examples `dcgan/main.py`: (1) update D on a
 * real batch (label 1) and the detached fakes (label 0), one Adam step; (2) update G with the
 * non-saturating loss BCE(D(G(z)), 1), one Adam step.
 *
 * The variants of the train task's flags change only what they name: the loss (`lsgan`, `hinge`,
 * `wgan-gp` with its gradient penalty and LayerNorm critic, see ./losses.ts), the real target (one-sided
 * label smoothing), D steps per G step (`nCritic`: G is updated on steps 1, 1 + nCritic, ...), replayed
 * past fakes in D's fake batch (./replay.ts), an average of G's weights (./ema.ts), and class labels
 * (a conditional DCGAN, models/dcgan/conditional.ts). With none of them the step is the seed's, op for op.
 *
 * @module
 */

import { Adam } from "../../models/optim/adam.ts";
import { createDiscriminator, createGenerator } from "../../models/dcgan/factory.ts";
import type { DiscriminatorNetwork, GeneratorNetwork } from "../../models/dcgan/networks.ts";
import { weightsInit } from "../../models/dcgan/weights_init.ts";
import { updateBn } from "../../models/optim/swa_utils.ts";
import { noGrad } from "../../ops/autograd.ts";
import { randint, randn } from "../../ops/creation.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { cat } from "../../ops/combine.ts";
import { autocast, cudaExtensionLoaded } from "../../ops/cuda.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { emaCopy, emaUpdate } from "./ema.ts";
import { keptRng } from "./rng_kept.ts";
import { discriminatorSettings, generatorSettings } from "./network_settings.ts";
import { type FeatureDiscriminator, featureMatchingLoss, r1Penalty } from "./regularizers.ts";
import { discriminatorInput, discriminatorTarget, stepEmaDecay } from "./stabilisers.ts";
import {
  discriminatorFakeLoss,
  discriminatorRealLoss,
  type GanLoss,
  generatorLoss,
  gradientPenalty,
} from "./losses.ts";
import { ReplayBuffer } from "./replay.ts";
import {
  allFinite,
  criterion,
  DivergenceError,
  type GeneratorStats,
  stacked,
  statsTensor,
  type StepStats,
  type StepTensors,
} from "./step_results.ts";
import { type DcganSettings, type DcganSpec, settingsOf } from "./trainer_settings.ts";

export type { DcganExtras, DcganSettings, DcganSpec, StepSync } from "./trainer_settings.ts";
export { DivergenceError, type GeneratorStats, type StepStats } from "./step_results.ts";

/** The seed's label for real images. */
export const REAL_LABEL = 1;

/** Latent vectors {@linkcode DcganTrainer.updateEmaBatchNorm} runs through the average of G by default. */
export const EMA_BN_IMAGES = 2048;

/** The batch size of those forward passes. */
export const EMA_BN_BATCH = 256;

/** The seed of those latent vectors (fixed, so a resumed run saves the same statistics). */
const EMA_BN_SEED = 2048;

/** What a step is given: real batch, noise, labels, whether G is updated, its number, whether checked. */
type StepArgs = [Tensor, Tensor | undefined, Tensor | undefined, boolean, number, boolean];

/**
 * The two networks, their optimizers and the step of the seed's loop, with the train task's variants.
 *
 * @example
 * ```ts
 * import { DcganTrainer } from "@gan/dcgan";
 * import { manualSeed, randn } from "@gan/dcgan";
 * manualSeed(0);
 * const trainer = new DcganTrainer({ nz: 8, ngf: 4, ndf: 4, nc: 3, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu" });
 * using real = randn([2, 3, 32, 32]).tanh();
 * console.log(trainer.step(real).lossD);
 * trainer.dispose();
 * ```
 */
export class DcganTrainer {
  /** The generator (PyTorch's `netG`). */
  readonly netG: GeneratorNetwork;
  /** The discriminator (PyTorch's `netD`); the critic for `wgan-gp`. */
  readonly netD: DiscriminatorNetwork;
  /** The average of netG's weights, with `ema`; it makes the sample grids. */
  readonly netGEma?: GeneratorNetwork;
  /** Past fakes for D, with `replay`. */
  readonly replay?: ReplayBuffer;
  /** Adam over netG's parameters. */
  readonly optimizerG: Adam;
  /** Adam over netD's parameters. */
  readonly optimizerD: Adam;
  /** The settings, every one filled in. */
  readonly spec: DcganSettings;
  /** Steps taken so far (for messages, and for when G is updated). */
  globalStep = 0;
  /** The latest G update's numbers (saved in run checkpoints, so a resumed run logs the same). */
  lastGenerator?: GeneratorStats;

  /**
   * Builds netG then netD, each initialized with `weightsInit` in the seed's order, so that after
   * `manualSeed(s)` the initial weights equal PyTorch's.
   *
   * @param spec shapes, optimizer settings, device and variant
   * @throws {RangeError} for a setting the train table refuses (`nCritic must be a positive integer, got
   *   0`)
   * @throws {TorchError} for an autocast dtype that libtorch lacks on the device (float16 on the CPU
   *   before libtorch 2.4)
   */
  constructor(spec: DcganSpec) {
    const s = settingsOf(spec);
    this.spec = s;
    const makeG = () => createGenerator(generatorSettings(s));
    this.netG = weightsInit(makeG());
    this.netD = weightsInit(createDiscriminator(discriminatorSettings(s)));
    if (
      s.featureMatching &&
      typeof (this.netD as Partial<FeatureDiscriminator>).forwardWithFeatures !== "function"
    ) {
      throw new RangeError(
        "featureMatching needs a discriminator with forwardWithFeatures (see ./regularizers.ts)",
      );
    }
    if (s.device !== "cpu") {
      this.netG.to(s.device);
      this.netD.to(s.device);
    }
    if (s.channelsLast) {
      this.netG.to({ memoryFormat: "channels_last" });
      this.netD.to({ memoryFormat: "channels_last" });
    }
    s.sync?.start([this.netG, this.netD]); // DDP's broadcast of rank 0's initial state
    if (s.ema > 0) this.netGEma = emaCopy(this.netG, () => makeG().to(s.device));
    if (s.replay > 0) this.replay = new ReplayBuffer(s.replay);
    const betas: [number, number] = [s.beta1, s.beta2];
    // On the GPU, libtorch's fused kernel with the step count on the device: one launch per network, and
    // the step can be captured in a CUDA graph
    const capturable = s.device !== "cpu" && cudaExtensionLoaded();
    this.optimizerD = new Adam(this.netD.parameters(), { lr: s.lrD, betas, capturable });
    this.optimizerG = new Adam(this.netG.parameters(), { lr: s.lrG, betas, capturable });
  }

  /** The GAN loss in use. */
  get loss(): GanLoss {
    return this.spec.loss;
  }

  /** Classes of a conditional DCGAN, 0 for an unconditional one. */
  get numClasses(): number {
    return this.spec.numClasses;
  }

  #generate(net: GeneratorNetwork, noise: Tensor, labels?: Tensor): Tensor {
    const run = () => net.forward(noise, labels);
    return this.spec.autocast ? autocast(this.spec.autocast, run, { device: this.spec.device }) : run();
  }

  /** D's output, in float32 (under autocast D runs in its dtype and the losses take float32, as in PyTorch). */
  #discriminate(images: Tensor, labels?: Tensor): Tensor {
    const net = this.netD;
    const seen = discriminatorInput(images, this.spec, this.globalStep - 1);
    const input = this.spec.channelsLast ? seen.contiguous("channels_last") : seen;
    this.spec.sync?.buffers(net);
    const run = () => net.forward(input, labels);
    return this.spec.autocast
      ? autocast(this.spec.autocast, run, { device: this.spec.device }).to("float32")
      : run();
  }

  /** D's output and last hidden features, in float32, for feature matching. */
  #discriminateWithFeatures(images: Tensor, labels?: Tensor): { output: Tensor; features: Tensor } {
    const net = this.netD as DiscriminatorNetwork & FeatureDiscriminator;
    const seen = discriminatorInput(images, this.spec, this.globalStep - 1);
    const input = this.spec.channelsLast ? seen.contiguous("channels_last") : seen;
    this.spec.sync?.buffers(net);
    const run = () => net.forwardWithFeatures(input, labels);
    if (!this.spec.autocast) return run();
    const { output, features } = autocast(this.spec.autocast, run, { device: this.spec.device });
    return { output: output.to("float32"), features: features.to("float32") };
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
    return noGrad(() => tidy(() => this.#generate(this.netGEma ?? this.netG, noise, labels).to("float32")));
  }

  /**
   * Gives the average of G (with `ema`) BatchNorm statistics of its own, as `torch.optim.swa_utils.update_bn`
   * does for averaged weights: each update copies G's statistics, which describe G's activations, not the
   * average's, so the average sampled in eval mode (`deno task sample`, `eval`) normalised with the wrong
   * ones (Fashion-MNIST FID 2-4 points worse, docs/recipes.md). Runs `images` latent vectors of a fixed
   * seed through it; the random generators are given back their states, so the run's numbers do not change,
   * and the next update copies G's statistics again. Nothing to do without `ema` or BatchNorm in G.
   *
   * @param images how many latent vectors (in batches of {@linkcode EMA_BN_BATCH})
   */
  updateEmaBatchNorm(images: number = EMA_BN_IMAGES): void {
    if (!this.netGEma) return;
    const batches = this.#fixedLatents(images);
    try {
      updateBn(batches, this.netGEma);
    } finally {
      batches.flat().forEach((t) => t.dispose());
    }
  }

  /** `images` latent vectors (and labels, when conditional) of {@linkcode EMA_BN_SEED}, the run's RNG kept. */
  #fixedLatents(images: number): Tensor[][] {
    const { nz, device, numClasses } = this.spec;
    using _kept = keptRng(device);
    manualSeed(EMA_BN_SEED);
    const batches: Tensor[][] = [];
    for (let start = 0; start < images; start += EMA_BN_BATCH) {
      const n = Math.min(EMA_BN_BATCH, images - start);
      const batch = [tidy(() => randn([n, nz, 1, 1]).to(device))];
      if (numClasses > 0) batch.push(tidy(() => randint(0, numClasses, [n]).to(device)));
      batches.push(batch);
    }
    return batches;
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
    this.#checkLabels(labels);
    const step = ++this.globalStep;
    const updateG = (step - 1) % this.spec.nCritic === 0;
    return tidy(() => {
      // a checked step has read its numbers with the checks: two reads, one per network
      const { readD, readG } = this.#stepTensors(real, noise, labels, updateG, step, true);
      const [lossD, dx, dgz1] = readD!;
      if (readG) this.lastGenerator = { lossG: readG[0]!, dgz2: readG[1]! };
      const last = this.lastGenerator ?? { lossG: NaN, dgz2: NaN };
      return { lossD: lossD!, lossG: last.lossG, dx: dx!, dgz1: dgz1!, dgz2: last.dgz2 };
    });
  }

  /**
   * One step that reads nothing back: the same ops and numbers as {@linkcode step}, which reads twice
   * (each loss checked before its optimizer steps), but the numbers stay on the device until read, so
   * the GPU never waits for the host. Read and check them with `StepReader` (./step_stats.ts): a NaN is
   * then found after the optimizers stepped, and the generator is not told apart from the discriminator
   * when the discriminator's loss is the one that diverged.
   *
   * @param real real images in [-1, 1], (N, nc, imageSize, imageSize), on the trainer's device
   * @param noise latent vectors, as for {@linkcode step}
   * @param labels the real images' classes, for a conditional DCGAN
   * @returns a (5) float32 tensor: lossD, lossG, D(x), D(G(z)) before and after D's update (lossG and
   *   the second D(G(z)) are NaN on a step without a G update, with `nCritic` > 1)
   */
  stepUnread(real: Tensor, noise?: Tensor, labels?: Tensor): Tensor {
    this.#checkLabels(labels);
    const step = ++this.globalStep;
    const updateG = (step - 1) % this.spec.nCritic === 0;
    return tidy(() => statsTensor(this.#stepTensors(real, noise, labels, updateG, step, false)));
  }

  /**
   * One step that never waits for the GPU, for capture in a CUDA graph (see ./cuda_graph_step.ts): the
   * same ops as {@linkcode step}, but the numbers stay on the device and nothing checks them for NaN.
   * Needs `nCritic` 1 (G is updated every step).
   *
   * @param real real images in [-1, 1], (N, nc, imageSize, imageSize), on the trainer's device
   * @param labels the real images' classes, for a conditional DCGAN
   * @returns a (5) float32 tensor: lossD, lossG, D(x), D(G(z)) before and after D's update
   */
  stepStatsTensor(real: Tensor, labels?: Tensor): Tensor {
    this.#checkLabels(labels);
    if (this.spec.nCritic !== 1) throw new RangeError("stepStatsTensor needs nCritic 1");
    if (this.spec.instanceNoise || this.spec.emaRampup || this.spec.r1) {
      throw new RangeError(
        "stepStatsTensor cannot run instance noise, the EMA warm-up or R1 (values change per step)",
      );
    }
    const step = ++this.globalStep;
    return tidy(() => statsTensor(this.#stepTensors(real, undefined, labels, true, step, false)));
  }

  /**
   * A step's noise. With `sync`, every rank draws the noise of the whole batch (the world's) and keeps
   * its rank's rows: the ranks' generators stay equal, and the world's noise is one process's.
   */
  #noise(batchSize: number): Tensor {
    const { nz, device, sync } = this.spec;
    if (!sync) return randn([batchSize, nz, 1, 1], { device });
    const all = randn([batchSize * sync.worldSize, nz, 1, 1], { device });
    return all.slice(0, sync.rank * batchSize, (sync.rank + 1) * batchSize);
  }

  #checkLabels(labels?: Tensor): void {
    if (this.numClasses > 0 && labels === undefined) {
      throw new TypeError("This trainer is conditional: pass step(real, noise, labels) with int64 labels");
    }
  }

  /** The step (#stepBody), inside `sync`'s step when training data-parallel. */
  #stepTensors(...args: StepArgs): StepTensors {
    const sync = this.spec.sync;
    return sync ? sync.step(() => this.#stepBody(...args)) : this.#stepBody(...args);
  }

  /**
   * The seed's step as tensors. With `checked`, each network's numbers are read (one wait for the device)
   * and its loss checked before its optimizer steps, as the seed's loop reads them; without, nothing waits.
   */
  #stepBody(
    real: Tensor,
    noise: Tensor | undefined,
    labels: Tensor | undefined,
    updateG: boolean,
    step: number,
    checked: boolean,
  ): StepTensors {
    const { loss, netG } = this;
    const realLabel = this.spec.labelSmoothing;
    const batchSize = real.shape[0]!;
    // (1) Update D network: maximize log(D(x)) + log(1 - D(G(z))) (or the variant's loss)
    this.optimizerD.zeroGrad(); // the optimizers hold exactly the networks' parameters
    const { r1: gamma = 0, r1Every = 1 } = this.spec;
    const r1 = (step - 1) % r1Every === 0 ? gamma * r1Every : 0; // lazy R1: every r1Every-th step, weighted
    const realInput = r1 > 0 ? real.detach().requiresGrad_(true) : real; // R1 differentiates D(x) in x
    const outputReal = this.#discriminate(realInput, labels);
    const errDReal = criterion(
      () =>
        discriminatorRealLoss(
          loss,
          outputReal,
          discriminatorTarget({ ...this.spec, realLabel }, true, outputReal),
        ),
      outputReal,
      () => "discriminator",
      step,
    );
    const penaltyR1 = r1 > 0 ? r1Penalty(outputReal, realInput, r1) : undefined;
    (penaltyR1 ? errDReal.add(penaltyR1) : errDReal).backward();
    const dx = outputReal.mean();
    const z = noise ?? this.#noise(batchSize);
    this.spec.sync?.buffers(netG);
    // G's graph is only needed when G is updated in this step
    const fake = updateG ? this.#generate(netG, z, labels) : noGrad(() => this.#generate(netG, z, labels));
    const detached = fake.detach();
    const replayed = this.replay?.sample(Math.floor(batchSize / 2), this.spec.device);
    const fakeBatch = replayed ? cat([detached, replayed.images]) : detached;
    const fakeLabels = replayed?.labels && labels ? cat([labels, replayed.labels]) : labels;
    const outputFake = this.#discriminate(fakeBatch, fakeLabels);
    const blame = () => allFinite(fake) ? "discriminator" : "generator";
    const errDFake = criterion(
      () => discriminatorFakeLoss(loss, outputFake, discriminatorTarget(this.spec, false, outputFake)),
      outputFake,
      blame,
      step,
    );
    errDFake.backward();
    const dgz1 = (replayed ? outputFake.slice(0, 0, batchSize) : outputFake).mean();
    let errD = errDReal.add(errDFake);
    if (penaltyR1) errD = errD.add(penaltyR1);
    if (loss === "wgan-gp") {
      const critic = (images: Tensor) => this.#discriminate(images, labels);
      const penalty = gradientPenalty(critic, real, detached, this.spec.gpWeight);
      penalty.backward();
      errD = errD.add(penalty);
    }
    const readD = checked ? stacked([errD, dx, dgz1]).toFloat32Array() : undefined;
    if (readD && !Number.isFinite(readD[0])) throw new DivergenceError(blame(), readD[0]!, step);
    this.spec.sync?.gradients(this.netD);
    this.optimizerD.step();
    this.replay?.push(detached, labels);
    if (!updateG) return { errD, dx, dgz1, readD };
    // (2) Update G network: maximize log(D(G(z))) (or the variant's loss)
    this.optimizerG.zeroGrad();
    // D's weight gradients of this pass are never used (the seed zeroes them before D's next update),
    // so D's parameters stop recording here: backward then computes only what reaches G (~8% of a step)
    const dParameters = this.optimizerD.params;
    dParameters.forEach((p) => p.requiresGrad_(false));
    let output: Tensor, errG: Tensor;
    try {
      if (this.spec.featureMatching) {
        const realFeatures = noGrad(() => this.#discriminateWithFeatures(real, labels).features);
        const seen = this.#discriminateWithFeatures(fake, labels);
        output = seen.output;
        errG = featureMatchingLoss(realFeatures, seen.features);
      } else {
        output = this.#discriminate(fake, labels);
        errG = criterion(() => generatorLoss(loss, output), output, blame, step);
      }
      errG.backward();
    } finally {
      dParameters.forEach((p) => p.requiresGrad_(true));
    }
    const dgz2 = output.mean();
    const readG = checked ? stacked([errG, dgz2]).toFloat32Array() : undefined;
    if (readG && !Number.isFinite(readG[0])) throw new DivergenceError("generator", readG[0]!, step);
    this.spec.sync?.gradients(netG);
    this.optimizerG.step();
    if (this.netGEma) {
      const updates = (step - 1) / this.spec.nCritic; // generator updates before this one
      emaUpdate(this.netGEma, netG, stepEmaDecay(this.spec, this.spec.ema, updates));
    }
    return { errD, dx, dgz1, readD, generator: { errG, dgz2 }, readG };
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
