/**
 * `deno task bench --device cuda`: the full DCGAN training step on the GPU, ours against PyTorch in
 * one run on the same GPU and libtorch. PyTorch runs the seed loop as eager, channels_last, bf16
 * autocast and torch.compile; ours runs eager, channels_last, bf16 autocast and the whole step as one
 * CUDA graph (alone and with the other two). Printed as a table of img/s with ratios to PyTorch eager
 * and to torch.compile, peak CUDA memory beside, and written as JSON; then `train` end to end with the
 * fastest variant (3 epochs of the emoji set), img/s and its ratio to that variant's step.
 *
 * @module
 */

import { join } from "node:path";
import { rand } from "../../ops/creation.ts";
import { cudaExtensionLoaded, cudaMemoryStats, resetPeakMemoryStats, synchronize } from "../../ops/cuda.ts";
import { cudaIsAvailable, manualSeed, setCudnn } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import { CUDA_PYTHON, runPython } from "./python.ts";
import { endToEndRow } from "./end_to_end.ts";
import { CudaGraphStep } from "../gan/cuda_graph_step.ts";
import { DcganTrainer } from "../gan/trainer.ts";
import { ConfigError, formatHelp, parseFlags, PATH, SWITCH } from "../cli/flags.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** One configuration of the DCGAN step (both benches): batch and network widths. */
export interface StepConfig {
  /** Images per step. */
  batch: number;
  /** Latent size. */
  nz: number;
  /** Generator width. */
  ngf: number;
  /** Discriminator width. */
  ndf: number;
  /** Image channels. */
  nc: number;
}

/** What one variant of ours turns on. */
export interface GpuVariant {
  /** Row label. */
  name: string;
  /** channels_last weights and images. */
  channelsLast: boolean;
  /** bf16 autocast. */
  bf16: boolean;
  /** The whole step as one CUDA graph. */
  graph: boolean;
}

/** Ours, in the order the table shows them. */
export const OUR_VARIANTS: GpuVariant[] = [
  { name: "eager", channelsLast: false, bf16: false, graph: false },
  { name: "channels_last", channelsLast: true, bf16: false, graph: false },
  { name: "bf16 autocast", channelsLast: false, bf16: true, graph: false },
  { name: "CUDA graph", channelsLast: false, bf16: false, graph: true },
  { name: "CUDA graph + channels_last", channelsLast: true, bf16: false, graph: true },
  { name: "CUDA graph + bf16", channelsLast: false, bf16: true, graph: true },
  { name: "CUDA graph + channels_last + bf16", channelsLast: true, bf16: true, graph: true },
];

/** PyTorch's variants (tasks/bench/torch_gpu.py). */
export const TORCH_VARIANTS = ["eager", "channels_last", "bf16", "compile"];

/** One measured row. */
export interface GpuRow {
  /** Who ran it. */
  side: "ours" | "PyTorch";
  /** Images per step. */
  batch: number;
  /** The variant's label. */
  variant: string;
  /** Training throughput. */
  imgPerS: number;
  /** Peak CUDA memory allocated during the run, MiB. */
  peakMiB: number;
}

/**
 * Our training throughput for one variant, after `warmup` steps (which include the graph's capture).
 *
 * @param cfg batch and widths
 * @param variant what to turn on
 * @param steps timed steps
 * @param warmup untimed steps first (at least 4 with a graph: 3 eager, then the capture)
 * @returns img/s and peak CUDA memory
 */
export function ourStepRate(
  cfg: StepConfig,
  variant: GpuVariant,
  steps: number,
  warmup: number,
): { imgPerS: number; peakMiB: number } {
  manualSeed(0);
  using real = tidy(() => rand([cfg.batch, cfg.nc, 64, 64], { device: "cuda" }).mul(2).sub(1));
  resetPeakMemoryStats();
  const trainer = new DcganTrainer({
    ...cfg,
    imageSize: 64,
    lr: 2e-4,
    beta1: 0.5,
    device: "cuda",
    channelsLast: variant.channelsLast,
    autocast: variant.bf16 ? "bfloat16" : undefined,
  });
  const graphed = variant.graph ? new CudaGraphStep(trainer) : undefined;
  try {
    const step = () => graphed ? graphed.step(real) : trainer.step(real);
    for (let i = 0; i < warmup; i++) step();
    synchronize();
    const start = performance.now();
    for (let i = 0; i < steps; i++) step();
    synchronize();
    const seconds = (performance.now() - start) / 1000;
    return { imgPerS: (cfg.batch * steps) / seconds, peakMiB: cudaMemoryStats().peakAllocated / 2 ** 20 };
  } finally {
    graphed?.dispose();
    trainer.dispose();
  }
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/**
 * Runs the GPU bench and prints the table.
 *
 * @param options quick (tiny widths, few steps) and where to write the JSON
 * @returns every measured row
 * @throws {Error} when no GPU or no CUDA shim is available, saying what is needed
 */
export async function benchGpu(options: { quick: boolean; json: string }): Promise<GpuRow[]> {
  if (!cudaIsAvailable() || !cudaExtensionLoaded()) {
    throw new Error(
      "bench --device cuda needs a GPU and a shim built against a CUDA libtorch (PyTorch >= 2.4): " +
        "run it on a GPU machine, or drop --device cuda",
    );
  }
  const { quick } = options;
  setCudnn({ benchmark: true }); // as the seed's main.py (`cudnn.benchmark = True`), on both sides
  const configs: StepConfig[] = quick
    ? [{ batch: 16, nz: 16, ngf: 8, ndf: 8, nc: 3 }]
    : [64, 128].map((batch) => ({ batch, nz: 128, ngf: 64, ndf: 64, nc: 3 }));
  const steps = quick ? 5 : 200;
  const warmup = quick ? 5 : 20;
  const torchVariants = quick ? ["eager", "channels_last", "bf16"] : TORCH_VARIANTS;
  console.error(`bench (GPU): ${quick ? "quick" : "full DCGAN 64x64"}; PyTorch runs first`);
  const { stdout } = await runPython(
    CUDA_PYTHON,
    [
      join(HERE, "torch_gpu.py"),
      "bench",
      JSON.stringify({ configs, variants: torchVariants, steps, warmup }),
    ],
    "the GPU bench",
  );
  const torchSide = JSON.parse(stdout);
  const rows: GpuRow[] = torchSide.rows.map((r: Record<string, number | string>) => ({
    side: "PyTorch",
    batch: r.batch,
    variant: r.variant,
    imgPerS: r.img_per_s,
    peakMiB: r.peak_mib,
  }));
  for (const cfg of configs) {
    for (const variant of OUR_VARIANTS) {
      const { imgPerS, peakMiB } = ourStepRate(cfg, variant, steps, warmup);
      rows.push({ side: "ours", batch: cfg.batch, variant: variant.name, imgPerS, peakMiB });
    }
  }
  // what users get: the real train() with the fastest variant, against that variant's step alone
  const trained = configs.at(-1)!;
  const fastest = OUR_VARIANTS.at(-1)!;
  const endToEnd = await endToEndRow(trained, {
    epochs: 3,
    device: "cuda",
    category: quick ? "Activities" : undefined,
    flags: ["--cuda-graph", "--channels-last", "--amp", "bf16"],
    stepRate: rows.find((r) => r.side === "ours" && r.batch === trained.batch && r.variant === fastest.name)!
      .imgPerS,
  });
  const lines = [
    `GPU: ${torchSide.gpu}, PyTorch ${torchSide.torch}`,
    "| batch | who | variant | img/s | vs PyTorch eager | vs torch.compile | peak CUDA MiB |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const base = (variant: string) =>
      rows.find((r) => r.side === "PyTorch" && r.batch === row.batch && r.variant === variant)?.imgPerS;
    const eager = base("eager");
    const compiled = base("compile");
    const ratio = (b?: number) => b ? `${(row.imgPerS / b).toFixed(2)}x` : "-";
    lines.push(
      `| ${row.batch} | ${row.side} | ${row.variant} | ${fmt(row.imgPerS)} | ${ratio(eager)} | ${
        ratio(compiled)
      } | ${row.peakMiB.toFixed(0)} |`,
    );
  }
  lines.push("", `${endToEnd.name}: ${fmt(endToEnd.ours)} img/s, ${endToEnd.ratio!.toFixed(2)}x the step`);
  console.log(lines.join("\n"));
  rows.push({
    side: "ours",
    batch: trained.batch,
    variant: endToEnd.name,
    imgPerS: endToEnd.ours,
    peakMiB: NaN,
  });
  const result = {
    date: new Date().toISOString(),
    gpu: torchSide.gpu,
    torch: torchSide.torch,
    quick,
    rows,
    endToEnd,
  };
  await Deno.writeTextFile(options.json, JSON.stringify(result, null, 2) + "\n");
  console.error(`bench (GPU): results in ${options.json}`);
  return rows;
}

const GPU_BENCH_FLAGS = {
  quick: { flag: "quick", short: "q", kind: SWITCH, help: "a smoke run: one batch size, few steps" },
  json: {
    flag: "json",
    short: "o",
    kind: PATH,
    default: "bench_gpu_results.json",
    help: "where to write the results",
  },
} as const;

if (import.meta.main) {
  try {
    const values = parseFlags(GPU_BENCH_FLAGS, Deno.args);
    if (values) await benchGpu(values);
    else {
      console.log(formatHelp(GPU_BENCH_FLAGS, {
        usage: "deno run -A tasks/bench/gpu.ts [flags]",
        description: "Times the DCGAN step on the GPU, ours against PyTorch eager and torch.compile.",
      }));
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`error: ${error.message}`);
    Deno.exit(2);
  }
}
