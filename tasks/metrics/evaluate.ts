/**
 * `deno task eval`'s library half: how good a trained generator is. It scores `--n` generated images
 * against the training data (FID and KID as pytorch-fid and torch-fidelity compute them, the Inception
 * Score, improved precision and recall, and a conditional generator's accuracy) in the features of
 * Inception-v3 (`--inception`), of the shipped Fashion-MNIST classifier (`--data fashion-mnist`), or in
 * 16x16 pixels (`--pixel-features`, a crude score for data with neither), and
 * writes `eval.json`; with `--memorization` it also finds each of the first samples' nearest training
 * image in pixel space and saves the pairs as `memorization.png`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import type { Device } from "../../ops/device.ts";
import { cudaIsAvailable } from "../../ops/runtime.ts";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import { loadDataset } from "../data/load_dataset.ts";
import type { ImageBatch, ImageDataset } from "../data/types.ts";
import { type EvalConfig, FEATURES_CONFLICT } from "../cli/eval_config.ts";
import {
  openScoringNetwork,
  type ScoredSet,
  scoreImages,
  type ScoringNetwork,
  type ScoringNetworkInfo,
} from "./feature_network.ts";
import { generatedBatches, realBatches } from "./images.ts";
import { scoreSamples } from "./scores.ts";
import { type MemorizationReport, memorizationReport } from "./memorization.ts";
import { loadGenerator } from "../gan/generator_file.ts";
import { ConfigError } from "../gan/config.ts";

/** What `eval.json` holds. */
export interface EvalReport {
  /** The generator checkpoint evaluated. */
  checkpoint: string;
  /** The generator's shape. */
  generator: { nz: number; ngf: number; nc: number; imageSize: number };
  /** What scored the images: Inception-v3, the F-MNIST classifier, or 16x16 pixels. */
  network: ScoringNetworkInfo;
  /** The Inception weights and variant, with `--inception`. */
  inception?: { path: string; variant: string };
  /** The real data: `--data`, or the emoji set (with its category). */
  data: string;
  /** How many images of each kind went in, and at what size. */
  images: { generated: number; real: number; size: number; quantized: boolean };
  /** The seed of the latents, the real sample and the KID subsets. */
  seed: number;
  /**
   * What the FID is called: `FID` (Inception) or `FID (F-MNIST features)`, which is never comparable
   * with an Inception FID.
   */
  fidName: string;
  /** Fréchet distance of the features: `fidTerms.mean + fidTerms.trace`. */
  fid: number;
  /** FID's two terms: `|mu_r - mu_g|^2` and `Tr(S_r + S_g - 2 sqrtm(S_r S_g))`. */
  fidTerms: { mean: number; trace: number };
  /** Kernel Inception Distance over random subsets. */
  kid: { mean: number; std: number; subsets: number; subsetSize: number };
  /** Inception Score of the generated and of the real images (10 splits), where the network has logits. */
  inceptionScore?: { mean: number; std: number; splits: number; real: { mean: number; std: number } };
  /** Improved precision and recall (k nearest neighbours), when both sets have more than k images. */
  precisionRecall?: { precision: number; recall: number; k: number };
  /** A conditional generator's accuracy: how often the F-MNIST classifier sees the class asked for. */
  accuracy?: number;
  /** The nearest training image of the first samples, with `--memorization`. */
  memorization?: MemorizationReport & { grid: string };
  /**
   * With `--real-baseline`: a second real sample (the next images of the same seeded order, none shared)
   * scored as if generated, what a perfect generator would get on these sample sizes.
   */
  realBaseline?: {
    images: number;
    fid: number;
    kid: number;
    precisionRecall?: { precision: number; recall: number; k: number };
  };
  /** The folder that holds eval.json (and memorization.png). */
  out: string;
  /** Wall time of the whole evaluation. */
  seconds: number;
  /** When the report was made (ISO 8601). */
  createdAt: string;
}

async function defaultOut(checkpoint: string): Promise<string> {
  try {
    if ((await Deno.stat(checkpoint)).isDirectory) return join(checkpoint, "eval");
  } catch {
    // loadGenerator reports a missing checkpoint
  }
  return join(dirname(checkpoint), "eval");
}

function progress(label: string, total: number, log: (line: string) => void): (done: number) => void {
  let next = 0.25;
  return (done) => {
    if (done / total + 1e-9 < next && done < total) return;
    while (next <= done / total + 1e-9) next += 0.25;
    log(`  ${label}: ${done}/${total} images`);
  };
}

/** `--real-baseline`: the real sample (its first `realCount` images) against the next images of that order. */
function scoreRealBaseline(
  scorer: ScoringNetwork,
  dataset: ImageDataset,
  real: { set: ScoredSet; count: number },
  config: EvalConfig,
  log: (line: string) => void,
): EvalReport["realBaseline"] {
  const images = Math.min(config.n, dataset.count - real.count);
  const second = (function* () {
    for (const batch of realBatches(dataset, config.n, { ...config, skip: real.count })) yield batch.images;
  })();
  using secondSet = scoreImages(scorer, second, { onBatch: progress("second real", images, log) });
  const { fid, kid, precisionRecall } = scoreSamples(real.set, secondSet, config);
  return { images, fid: fid.value, kid: kid.mean, precisionRecall };
}

/**
 * Runs an evaluation: loads the scoring network (Inception-v3 with `inception`, else the shipped
 * Fashion-MNIST classifier), the generator and the data, computes FID, KID, IS, precision and recall (and
 * a conditional generator's accuracy, and optionally the memorization report), and writes `eval.json`
 * (and `memorization.png`) into the out folder.
 *
 * @param config the parsed flags
 * @param log where progress lines go; default nowhere
 * @returns the report, as written
 * @throws {ConfigError} for a device without CUDA, the classifier on data other than 1-channel
 *   Fashion-MNIST, or a memorization check on mismatched channels
 * @throws {Error} naming the file when a checkpoint or the Inception weights cannot be loaded
 * @example
 * ```ts ignore
 * import { evaluate } from "@gan/dcgan";
 * import { parseEvalArgs } from "@gan/dcgan";
 * const report = await evaluate(parseEvalArgs(["--checkpoint", "runs/emoji-1", "--inception", "pt_inception.safetensors"])!);
 * console.log(report.fid);
 * ```
 */
export async function evaluate(
  config: EvalConfig,
  log: (line: string) => void = () => {},
): Promise<EvalReport> {
  const started = performance.now();
  const device = config.device as Device;
  if (device !== "cpu" && !cudaIsAvailable()) {
    throw new ConfigError(`--device ${device}: no CUDA here; use --device cpu`);
  }
  if (config.inception !== undefined && config.pixelFeatures) {
    throw new ConfigError(FEATURES_CONFLICT);
  }
  if (config.inception === undefined && !config.pixelFeatures && config.data !== "fashion-mnist") {
    throw new ConfigError(
      "Without --inception only --data fashion-mnist has a feature network: pass --inception PATH, or " +
        "--pixel-features for a crude score in 16x16 pixels",
    );
  }
  using netG = await loadGenerator(config.checkpoint, device);
  if (config.inception === undefined && !config.pixelFeatures && netG.nc !== 1) {
    throw new ConfigError(
      `The F-MNIST classifier scores 1-channel images, but the generator makes ${netG.nc}-channel ones: ` +
        "pass --inception PATH",
    );
  }
  using scorer = await openScoringNetwork({ ...config, channels: netG.nc, device });
  const dataset = await loadDataset({
    data: config.data,
    category: config.category,
    imageSize: netG.imageSize,
  }, log);
  if (config.memorization && netG.nc !== dataset.channels) {
    throw new ConfigError(
      `--memorization compares pixels, but the generator makes ${netG.nc}-channel images and the data has ` +
        `${dataset.channels}: pass the data the generator was trained on`,
    );
  }
  const out = config.out ?? await defaultOut(config.checkpoint);
  await Deno.mkdir(out, { recursive: true });
  const realCount = Math.min(config.n, dataset.count);
  if (config.realBaseline && dataset.count - realCount < 2) {
    throw new ConfigError(
      `--real-baseline needs a second real sample, but the data has ${dataset.count} images and --n ` +
        `${config.n} takes ${realCount} of them: pass --n ${Math.floor(dataset.count / 2)} or less`,
    );
  }
  log(`${scorer.info.name} features of ${realCount} real and ${config.n} generated images`);

  const real = (function* () {
    for (const { images } of realBatches(dataset, config.n, config)) yield images;
  })();
  using realSet = scoreImages(scorer, real, { onBatch: progress("real", realCount, log) });

  const k = config.memorization ? Math.min(config.memorizationK, config.n) : 0;
  const kept: Float32Array[] = [];
  let keptCount = 0;
  const generated = (function* () {
    for (const batch of generatedBatches(netG, config.n, { ...config, device })) {
      if (keptCount < k) {
        const take = Math.min(k - keptCount, batch.shape[0]);
        kept.push(batch.data.slice(0, (batch.data.length / batch.shape[0]) * take));
        keptCount += take;
      }
      yield batch;
    }
  })();
  using fakeSet = scoreImages(scorer, generated, { onBatch: progress("generated", config.n, log) });
  const scores = scoreSamples(realSet, fakeSet, config);
  const realBaseline = config.realBaseline
    ? scoreRealBaseline(scorer, dataset, { set: realSet, count: realCount }, config, log)
    : undefined;
  const { fid, kid, inceptionScore: is, realInceptionScore: realIs, precisionRecall: pr } = scores;

  let memorization: EvalReport["memorization"];
  if (k > 0) {
    const data = new Float32Array(k * netG.nc * netG.imageSize * netG.imageSize);
    let offset = 0;
    for (const chunk of kept) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    const samples: ImageBatch = { data, shape: [k, netG.nc, netG.imageSize, netG.imageSize] };
    const grid = join(out, "memorization.png");
    memorization = { ...await memorizationReport(samples, dataset, grid), grid };
  }

  const report: EvalReport = {
    checkpoint: config.checkpoint,
    generator: { nz: netG.nz, ngf: netG.ngf, nc: netG.nc, imageSize: netG.imageSize },
    network: scorer.info,
    inception: scorer.info.variant ? { path: scorer.info.path, variant: scorer.info.variant } : undefined,
    data: config.data ?? (config.category ? `emoji "${config.category}"` : "emoji"),
    images: { generated: config.n, real: realCount, size: netG.imageSize, quantized: true },
    seed: config.seed,
    fidName: scorer.info.fidName,
    fid: fid.value,
    fidTerms: { mean: fid.meanTerm, trace: fid.traceTerm },
    kid: { mean: kid.mean, std: kid.std, subsets: kid.subsets, subsetSize: kid.subsetSize },
    inceptionScore: is && realIs
      ? { mean: is.mean, std: is.std, splits: is.values.length, real: { mean: realIs.mean, std: realIs.std } }
      : undefined,
    precisionRecall: pr,
    // the classifier's classes are F-MNIST's, the ones a conditional generator on --data fashion-mnist asks for
    accuracy: scorer.info.kind === "fashion-mnist-classifier" ? scores.accuracy : undefined,
    memorization,
    realBaseline,
    out,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    createdAt: new Date().toISOString(),
  };
  const path = join(out, "eval.json");
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(report, null, 2) + "\n"));
  return report;
}
