/**
 * `deno task eval`: how good a trained generator is. It prints the FID and KID of `--n` generated images
 * against the training data (Inception-v3 pool features, as pytorch-fid and torch-fidelity compute them)
 * and writes `eval.json`; with `--memorization` it also finds each of the first samples' nearest
 * training image in pixel space and saves the pairs as `memorization.png`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { loadInception } from "../../models/inception/inception.ts";
import type { Device } from "../../ops/device.ts";
import { cudaIsAvailable } from "../../ops/runtime.ts";
import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import { loadDataset } from "../data/load_dataset.ts";
import type { ImageBatch } from "../data/types.ts";
import type { EvalConfig } from "../cli/eval_config.ts";
import { inceptionFeatures } from "./features.ts";
import { featureStats, frechetDistance } from "./fid.ts";
import { generatedBatches, realBatches } from "./images.ts";
import { kernelInceptionDistance } from "./kid.ts";
import { type MemorizationReport, memorizationReport } from "./memorization.ts";
import { loadGenerator } from "../gan/generator_file.ts";
import { ConfigError } from "../gan/config.ts";

/** What `eval.json` holds. */
export interface EvalReport {
  /** The generator checkpoint evaluated. */
  checkpoint: string;
  /** The generator's shape. */
  generator: { nz: number; ngf: number; nc: number; imageSize: number };
  /** The Inception weights and variant used. */
  inception: { path: string; variant: string };
  /** The real data: `--data`, or the emoji set (with its category). */
  data: string;
  /** How many images of each kind went in, and at what size. */
  images: { generated: number; real: number; size: number; quantized: boolean };
  /** The seed of the latents, the real sample and the KID subsets. */
  seed: number;
  /** Fréchet Inception Distance: `fidTerms.mean + fidTerms.trace`. */
  fid: number;
  /** FID's two terms: `|mu_r - mu_g|^2` and `Tr(S_r + S_g - 2 sqrtm(S_r S_g))`. */
  fidTerms: { mean: number; trace: number };
  /** Kernel Inception Distance over random subsets. */
  kid: { mean: number; std: number; subsets: number; subsetSize: number };
  /** The nearest training image of the first samples, with `--memorization`. */
  memorization?: MemorizationReport & { grid: string };
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

/** `x` with `digits` decimals, without printing a rounding residue as "-0.000". */
function fixed(x: number, digits: number): string {
  return (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits);
}

/** KID-sized numbers: 5 decimals, or 4 significant digits below 0.001. */
function small(x: number): string {
  return x === 0 || Math.abs(x) >= 1e-3 ? x.toFixed(5) : x.toExponential(3);
}

function progress(label: string, total: number, log: (line: string) => void): (done: number) => void {
  let next = 0.25;
  return (done) => {
    if (done / total + 1e-9 < next && done < total) return;
    while (next <= done / total + 1e-9) next += 0.25;
    log(`  ${label}: ${done}/${total} images`);
  };
}

/**
 * Runs an evaluation: loads the Inception weights, the generator and the data, computes FID, KID and
 * (optionally) the memorization report, and writes `eval.json` (and `memorization.png`) into the out folder.
 *
 * @param config the parsed flags
 * @param log where progress lines go; default console.log
 * @returns the report, as written
 * @throws {ConfigError} for a device without CUDA, or a memorization check on mismatched channels
 * @throws {Error} naming the file when a checkpoint or the Inception weights cannot be loaded
 * @example
 * ```ts ignore
 * import { evaluate } from "./evaluate.ts";
 * import { parseEvalArgs } from "../cli/eval_config.ts";
 * const report = await evaluate(parseEvalArgs(["--checkpoint", "runs/emoji-1", "--inception", "pt_inception.safetensors"])!);
 * console.log(report.fid);
 * ```
 */
export async function evaluate(
  config: EvalConfig,
  log: (line: string) => void = (line) => console.log(line),
): Promise<EvalReport> {
  const started = performance.now();
  const device = config.device as Device;
  if (device !== "cpu" && !cudaIsAvailable()) {
    throw new ConfigError(`--device ${device}: no CUDA here; use --device cpu`);
  }
  using inception = await loadInception(config.inception, { variant: config.inceptionVariant, device });
  using netG = await loadGenerator(config.checkpoint, device);
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
  log(`Inception-v3 (${inception.variant}) features of ${realCount} real and ${config.n} generated images`);

  const real = (function* () {
    for (const { images } of realBatches(dataset, config.n, config)) yield images;
  })();
  using realFeatures = inceptionFeatures(inception, real, {
    device,
    onBatch: progress("real", realCount, log),
  });

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
  using fakeFeatures = inceptionFeatures(inception, generated, {
    device,
    onBatch: progress("generated", config.n, log),
  });

  using realStats = featureStats(realFeatures);
  using fakeStats = featureStats(fakeFeatures);
  const fid = frechetDistance(realStats, fakeStats);
  const kid = kernelInceptionDistance(realFeatures, fakeFeatures, {
    subsets: config.kidSubsets,
    subsetSize: config.kidSubsetSize,
    seed: config.seed,
  });

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
    inception: { path: config.inception, variant: inception.variant },
    data: config.data ?? (config.category ? `emoji "${config.category}"` : "emoji"),
    images: { generated: config.n, real: realCount, size: netG.imageSize, quantized: true },
    seed: config.seed,
    fid: fid.value,
    fidTerms: { mean: fid.meanTerm, trace: fid.traceTerm },
    kid: { mean: kid.mean, std: kid.std, subsets: kid.subsets, subsetSize: kid.subsetSize },
    memorization,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    createdAt: new Date().toISOString(),
  };
  const path = join(out, "eval.json");
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(report, null, 2) + "\n"));

  const images = `${config.n} generated vs ${realCount} real images`;
  log(`FID ${fixed(fid.value, 3)} (${images}, ${inception.variant} Inception)`);
  log(`KID ${small(kid.mean)} ± ${small(kid.std)} (${kid.subsets} subsets of ${kid.subsetSize})`);
  if (memorization) {
    const { minDistance, medianDistance, grid } = memorization;
    log(
      `Memorization: nearest training image of ${k} samples at L2 min ${fixed(minDistance, 3)}, ` +
        `median ${fixed(medianDistance, 3)} -> ${grid}`,
    );
  }
  log(`Report: ${path}`);
  return report;
}
