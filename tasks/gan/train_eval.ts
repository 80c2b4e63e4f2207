/**
 * Eval while training (`--eval-every N`): every N steps, the FID and KID of the sampling generator (the
 * average of G's weights with `ema`) against real images, in the features of the shipped Fashion-MNIST
 * classifier (`--data fashion-mnist`) or of Inception-v3 (`--inception`); the best generator by FID is
 * kept as generator_best.safetensors.
 *
 * The numbers are those of `deno task eval --checkpoint <generator> --n <evalSamples>` with its defaults
 * (seed 0 for the latents, the real sample and KID's subsets; images rounded to 8 bits): the real
 * images' features are computed once per run and cached in the run folder
 * (eval_real_features.safetensors, recomputed when the network's weights or the data differ). An eval
 * never changes the training numbers: the generator runs in eval mode (BatchNorm reads its running
 * statistics, spectral norm skips its power iteration: no state changes) and gets its training modes
 * back, and the random generators' states (CPU, and the GPU's on CUDA) are restored after its latents.
 *
 * @module
 */

import { join } from "node:path";
import type { GeneratorNetwork } from "../../models/dcgan/networks.ts";
import { readSafetensors } from "../../models/io/safetensors.ts";
import { saveStateDict } from "../../models/io/state_dict_file.ts";
import { keptRng } from "./rng_kept.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { ImageDataset } from "../data/types.ts";
import { cachedFeatures, type FeatureIdentity, fileSha256, sha256Hex } from "../metrics/feature_cache.ts";
import { openScoringNetwork, type ScoringNetwork } from "../metrics/feature_network.ts";
import { imageFeatures } from "../metrics/features.ts";
import { type FeatureStats, featureStats, frechetDistance } from "../metrics/fid.ts";
import { generatedBatches, realBatches } from "../metrics/images.ts";
import { kernelInceptionDistance } from "../metrics/kid.ts";
import { ConfigError, evalRefusal, type TrainConfig } from "./config.ts";

/** The real images' features, cached in the run folder. */
export const EVAL_REAL_FEATURES_FILE = "eval_real_features.safetensors";

/** The generator with the lowest FID so far. */
export const BEST_GENERATOR_FILE = "generator_best.safetensors";

/** The seed of the latents, the real sample and KID's subsets (`deno task eval`'s default). */
export const EVAL_SEED = 0;

/**
 * Images per batch through the generator and the feature network: 250 for the small classifier (a
 * third of batch 50's time on the CPU), 50 (`deno task eval`'s default) for Inception at 299x299.
 */
const evalBatch = (config: Pick<TrainConfig, "inception">) => config.inception === undefined ? 250 : 50;

/** The settings an eval reads. */
export type TrainEvalConfig = Pick<
  TrainConfig,
  "data" | "category" | "imageSize" | "evalSamples" | "inception" | "device"
>;

/** One eval's numbers. */
export interface TrainEvalResult {
  /** The global step it scored. */
  step: number;
  /** The Fréchet distance of the features. */
  fid: number;
  /** KID's mean and standard deviation over its subsets. */
  kid: { mean: number; std: number };
  /** Whether this generator is the best so far, and was saved as generator_best.safetensors. */
  best: boolean;
  /** Wall time of the eval. */
  seconds: number;
}

function describeSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Scores a training run's generator every few steps; open it once per run.
 *
 * @example
 * ```ts ignore
 * import { TrainEvaluator } from "@gan/dcgan/gan";
 * using evaluator = await TrainEvaluator.open(config, { out: "runs/fm", dataset, log: console.log });
 * const result = await evaluator.evaluate(trainer.netGEma ?? trainer.netG, 500);
 * ```
 */
export class TrainEvaluator implements Disposable {
  readonly #scorer: ScoringNetwork;
  readonly #real: Tensor;
  readonly #realStats: FeatureStats;
  readonly #identity: FeatureIdentity;
  readonly #config: TrainEvalConfig;
  readonly #out: string;
  readonly #log: (line: string) => void;
  #best: number;

  private constructor(
    parts: { scorer: ScoringNetwork; real: Tensor; identity: FeatureIdentity; best: number },
    config: TrainEvalConfig,
    options: { out: string; log: (line: string) => void },
  ) {
    this.#scorer = parts.scorer;
    this.#real = parts.real;
    this.#realStats = featureStats(parts.real);
    this.#identity = parts.identity;
    this.#best = parts.best;
    this.#config = config;
    this.#out = options.out;
    this.#log = options.log;
  }

  /**
   * Loads the feature network and the real images' features (from the run folder's cache, or computed
   * and cached), and the FID of the run's generator_best.safetensors when it was scored the same way.
   *
   * @param config the data, the sample count, the Inception weights (if any) and the device
   * @param options `out` (the run folder), `dataset` (the training images), `log` (cost lines)
   * @returns the evaluator; dispose it when the run ends
   * @throws {ConfigError} for data without a feature network (see `evalRefusal` in ./config.ts), or the
   *   F-MNIST classifier on images that are not 1-channel
   * @throws {Error} naming the file when the Inception weights cannot be loaded
   */
  static async open(
    config: TrainEvalConfig,
    options: { out: string; dataset: ImageDataset; log?: (line: string) => void },
  ): Promise<TrainEvaluator> {
    const log = options.log ?? (() => {});
    const refusal = evalRefusal(config);
    if (refusal) throw new ConfigError(refusal);
    const { dataset, out } = options;
    if (config.inception === undefined && dataset.channels !== 1) {
      throw new ConfigError(
        `The F-MNIST classifier scores 1-channel images, and this data has ${dataset.channels}: pass --inception PATH`,
      );
    }
    const started = performance.now();
    // building the network draws its initial weights: the training run's random stream is given back
    const scorer = await keepingRng(
      config.device,
      () => openScoringNetwork({ inception: config.inception, device: config.device }),
    );
    try {
      const n = Math.min(config.evalSamples, dataset.count);
      const identity: FeatureIdentity = {
        network: `${scorer.info.kind} ${scorer.info.variant ?? ""} ${await fileSha256(scorer.info.path)}`,
        data:
          `${config.data ?? "emoji"} ${
            config.category ?? ""
          } ${dataset.count}x${dataset.channels}x${dataset.size} ` +
          (await sha256Hex(dataset.images)),
        sample: `${n} images, seed ${EVAL_SEED}`,
      };
      const { features: real, cached } = await cachedFeatures(
        join(out, EVAL_REAL_FEATURES_FILE),
        identity,
        () => {
          const batches = realBatches(dataset, n, { batchSize: evalBatch(config), seed: EVAL_SEED });
          return imageFeatures(
            scorer.net,
            (function* () {
              for (const { images } of batches) yield images;
            })(),
            { device: config.device },
          );
        },
      );
      const best = await bestSoFar(join(out, BEST_GENERATOR_FILE), identity, log);
      log(
        `Eval: ${scorer.info.fidName} and KID of ${config.evalSamples} samples vs ${n} real images ` +
          `(${scorer.info.name}); real features ${cached ? "read from" : "computed and cached in"} ` +
          `${EVAL_REAL_FEATURES_FILE} (${describeSeconds(performance.now() - started)})`,
      );
      return new TrainEvaluator({ scorer, real, identity, best }, config, { out, log });
    } catch (error) {
      scorer[Symbol.dispose]();
      throw error;
    }
  }

  /** The lowest FID so far (Infinity before the first eval). */
  get best(): number {
    return this.#best;
  }

  /**
   * Scores a generator: `evalSamples` images from seeded latents, in eval mode, against the real
   * features; saves it as generator_best.safetensors (atomically) when its FID is the lowest so far.
   * The generator's training modes and the random generators' states are as they were afterwards.
   *
   * @param netG the sampling generator (the average of G's weights with `ema`)
   * @param step the global step, for the log and the best file's metadata
   * @returns FID, KID, whether it is the best, and the time taken
   */
  async evaluate(netG: GeneratorNetwork, step: number): Promise<TrainEvalResult> {
    const started = performance.now();
    using fake = await withEvalState(netG, this.#config.device, () =>
      imageFeatures(
        this.#scorer.net,
        generatedBatches(netG, this.#config.evalSamples, {
          batchSize: evalBatch(this.#config),
          seed: EVAL_SEED,
          device: this.#config.device,
        }),
        { device: this.#config.device },
      ));
    using fakeStats = featureStats(fake);
    const fid = frechetDistance(this.#realStats, fakeStats).value;
    const { mean, std } = kernelInceptionDistance(this.#real, fake, { seed: EVAL_SEED });
    const best = fid < this.#best;
    if (best) {
      this.#best = fid;
      await saveStateDict(netG, join(this.#out, BEST_GENERATOR_FILE), {
        metadata: { fid: String(fid), step: String(step), identity: JSON.stringify(this.#identity) },
      });
    }
    const seconds = (performance.now() - started) / 1000;
    this.#log(
      `Eval at step ${step}: ${this.#scorer.info.fidName} ${fid.toFixed(3)}, KID ${mean.toFixed(5)} ± ` +
        `${std.toFixed(5)} (${this.#config.evalSamples} samples, ${seconds.toFixed(1)} s)` +
        (best ? `; best so far, saved ${BEST_GENERATOR_FILE}` : ""),
    );
    return { step, fid, kid: { mean, std }, best, seconds };
  }

  /** Frees the network and the real features. */
  dispose(): void {
    this.#scorer[Symbol.dispose]();
    this.#real.dispose();
    this.#realStats.dispose();
  }

  /** Frees the network and the real features, at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The FID a run's generator_best.safetensors was saved with, when scored the same way; else Infinity. */
async function bestSoFar(path: string, identity: FeatureIdentity, log: (line: string) => void) {
  let metadata: Record<string, string>;
  try {
    ({ metadata } = await readSafetensors(path));
  } catch {
    return Infinity;
  }
  const fid = Number(metadata.fid);
  if (metadata.identity === JSON.stringify(identity) && Number.isFinite(fid)) return fid;
  log(`${path} was scored with other features or data; the next eval replaces it`);
  return Infinity;
}

/** Runs `fn` and gives the random generators (CPU, and the GPU's on CUDA) their states back afterwards. */
async function keepingRng<T>(device: TrainConfig["device"], fn: () => T | Promise<T>): Promise<T> {
  using _kept = keptRng(device);
  return await fn();
}

/**
 * Runs `fn` with `net` in eval mode and the random generators' states kept, then puts back every
 * module's mode (parents first, as `namedModules` lists them).
 */
function withEvalState<T>(net: GeneratorNetwork, device: TrainConfig["device"], fn: () => T): Promise<T> {
  const modes = net.namedModules().map(([, module]) => [module, module.training] as const);
  return keepingRng(device, () => {
    try {
      net.eval();
      return fn();
    } finally {
      for (const [module, training] of modes) module.train(training);
    }
  });
}
