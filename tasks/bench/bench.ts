/**
 * `deno task bench`: ours against PyTorch on the same machine, libtorch and thread count, in one
 * run, printed as a table of ratios and written as JSON. Rows: a tiny op's call overhead, the full
 * DCGAN training step (img/s at batch 64 and 128, as the seed runs it and with bf16 autocast +
 * channels_last, on both sides), `train` end to end (3 epochs of the emoji set, img/s against the step's),
 * one process against `--nproc-per-node 2` (./data_parallel.ts; not with `--quick`), this CPU's
 * measured peak (a large float32 and bfloat16 matmul), the cold start of `sample`, the data pipeline and
 * peak memory. `--quick` runs small configs (a smoke test, not a measurement).
 *
 * @module
 */

import { join } from "node:path";
import { Generator } from "../../models/dcgan/networks.ts";
import { saveStateDict } from "../../models/io/state_dict_file.ts";
import { weightsInit } from "../../models/dcgan/weights_init.ts";
import { ones, rand, randn } from "../../ops/creation.ts";
import { conv2d } from "../../ops/conv.ts";
import { getNumThreads, liveTensorCount, manualSeed } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import { measureDecode } from "./data_throughput.ts";
import { measureBatchPaths } from "./batch_paths.ts";
import { endToEndRow } from "./end_to_end.ts";
import { dataParallelRows } from "./data_parallel.ts";
import { type CpuVariant, dcganStepFlopsPerImage, matmulGflops, trainStepRate } from "./cpu_step.ts";
import { emojiFiles } from "../data/emoji.ts";
import { benchGpu, type StepConfig } from "./gpu.ts";
import { PYTHON, runPython } from "./python.ts";
import { DcganTrainer } from "../gan/trainer.ts";
import { ConfigError, formatHelp, oneOf, parseFlags, PATH, SWITCH } from "../cli/flags.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** One row of the bench table. */
export interface BenchRow {
  /** What was measured. */
  name: string;
  /** Unit of the two numbers. */
  unit: string;
  /** Ours. */
  ours: number;
  /** PyTorch's, when there is a counterpart. */
  torch?: number;
  /** How many times better ours is (higher is better, whatever the unit). */
  ratio?: number;
}

function peakRssMb(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = status.match(/VmHWM:\s+(\d+) kB/);
    if (match) return Number(match[1]) / 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss / 2 ** 20;
}

function addOverheadUs(inScope: boolean, n = 200_000): number {
  using a = ones([1]);
  using b = ones([1]);
  const run = () => {
    for (let i = 0; i < 10_000; i++) a.add(b).dispose();
    const start = performance.now();
    for (let i = 0; i < n; i++) a.add(b).dispose();
    return ((performance.now() - start) / n) * 1000;
  };
  return inScope ? tidy(run) : run();
}

/** Forward+backward of one DCGAN discriminator layer: conv 64->128, 4x4, stride 2, padding 1. */
function conv2dMs(batch: number, repeats = 5): number {
  manualSeed(0);
  using x = randn([batch, 64, 32, 32], { requiresGrad: true });
  using w = randn([128, 64, 4, 4], { requiresGrad: true });
  const step = () =>
    tidy(() => {
      conv2d(x, w, undefined, { stride: 2, padding: 1 }).sum().backward();
      x.zeroGrad();
      w.zeroGrad();
    });
  step();
  const start = performance.now();
  for (let i = 0; i < repeats; i++) step();
  return (performance.now() - start) / repeats;
}

/** RSS and live tensors before and after many steps of a small model: flat when nothing leaks. */
function longRunMemory(
  steps: number,
): { rssStart: number; rssEnd: number; tensorsStart: number; tensorsEnd: number } {
  manualSeed(0);
  const trainer = new DcganTrainer({
    nz: 16,
    ngf: 8,
    ndf: 8,
    nc: 3,
    imageSize: 32,
    lr: 2e-4,
    beta1: 0.5,
    device: "cpu",
  });
  try {
    using real = tidy(() => rand([16, 3, 32, 32]).mul(2).sub(1));
    for (let i = 0; i < 20; i++) trainer.step(real);
    const rssStart = Deno.memoryUsage().rss / 2 ** 20;
    const tensorsStart = liveTensorCount();
    for (let i = 0; i < steps; i++) trainer.step(real);
    return {
      rssStart,
      rssEnd: Deno.memoryUsage().rss / 2 ** 20,
      tensorsStart,
      tensorsEnd: liveTensorCount(),
    };
  } finally {
    trainer.dispose();
  }
}

async function coldStart(dir: string, n: number): Promise<{ ours: number; torch: number }> {
  manualSeed(0);
  const checkpoint = join(dir, "generator.safetensors");
  {
    using netG = weightsInit(new Generator({ nz: 128, ngf: 64, nc: 3, imageSize: 64 }));
    await saveStateDict(netG, checkpoint);
  }
  const cli = join(HERE, "..", "cli", "main.ts");
  // warm both caches once (shim compile, module graph, page cache), then time a second start
  const ours = async () => {
    const start = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        cli,
        "sample",
        "--checkpoint",
        checkpoint,
        "--n",
        String(n),
        "--out",
        join(dir, "ours.png"),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`sample failed: ${new TextDecoder().decode(out.stderr)}`);
    return (performance.now() - start) / 1000;
  };
  const torch = async () =>
    (await runPython(PYTHON, [
      join(HERE, "torch_sample.py"),
      checkpoint,
      String(n),
      join(dir, "torch.png"),
    ], "the bench"))
      .seconds;
  await ours();
  await torch();
  return { ours: await ours(), torch: await torch() };
}

/** The CPU step as the seed runs it, and with channels_last + bf16 autocast, on both sides. */
const CPU_VARIANTS: CpuVariant[] = ["seed", "bf16_channels_last"];

/** PyTorch's step rates, as it runs by default and with glibc's malloc set as our shim sets it. */
interface TorchStepRates {
  plain: TorchStepRate[];
  kept: TorchStepRate[];
}

/** One PyTorch step rate from torch_reference.py. */
interface TorchStepRate {
  batch: number;
  variant: CpuVariant;
  img_per_s: number;
}

/**
 * The training-step rows of one config: ours against PyTorch's seed loop, ours with `--amp bf16
 * --channels-last` against PyTorch's channels_last + CPU autocast, each with its convolution arithmetic,
 * the best of ours against PyTorch's seed loop and against PyTorch's best, and that best against
 * PyTorch's best when it keeps freed memory as ours does.
 */
function stepRows(
  cfg: StepConfig,
  torchSteps: TorchStepRates,
  options: { steps: number; warmup: number; quick: boolean },
): BenchRow[] {
  const size = `bs ${cfg.batch}${options.quick ? ` (ngf ${cfg.ngf})` : ""}`;
  const theirs = (variant: CpuVariant, rates = torchSteps.plain) => {
    const row = rates.find((s) => s.batch === cfg.batch && s.variant === variant);
    if (!row) throw new Error(`PyTorch's side has no ${variant} step at batch ${cfg.batch}`);
    return row.img_per_s;
  };
  const seed = trainStepRate(cfg, { ...options, variant: "seed" });
  const amp = trainStepRate(cfg, { ...options, variant: "bf16_channels_last" });
  const [torchSeed, torchAmp] = [theirs("seed"), theirs("bf16_channels_last")];
  const [keptSeed, keptAmp] = [
    theirs("seed", torchSteps.kept),
    theirs("bf16_channels_last", torchSteps.kept),
  ];
  const gflop = dcganStepFlopsPerImage(cfg) / 1e9; // the rates as the arithmetic the convolutions do
  const best = Math.max(seed, amp);
  return [
    ratioRow(`DCGAN train step ${size}`, "img/s", seed, torchSeed, true),
    ratioRow(`  its convolution arithmetic`, "GFLOP/s", seed * gflop, torchSeed * gflop, true),
    ratioRow(`DCGAN train step ${size}, bf16 autocast + channels_last`, "img/s", amp, torchAmp, true),
    ratioRow(`  its convolution arithmetic`, "GFLOP/s", amp * gflop, torchAmp * gflop, true),
    ratioRow(`  best of ours vs PyTorch's seed loop`, "img/s", best, torchSeed, true),
    ratioRow(`  best of ours vs PyTorch's best`, "img/s", best, Math.max(torchSeed, torchAmp), true),
    ratioRow(
      `  best of ours vs PyTorch's best, its malloc set as ours`,
      "img/s",
      best,
      Math.max(keptSeed, keptAmp),
      true,
    ),
  ];
}

function ratioRow(
  name: string,
  unit: string,
  ours: number,
  torch: number | undefined,
  higherIsBetter: boolean,
): BenchRow {
  const ratio = torch === undefined ? undefined : higherIsBetter ? ours / torch : torch / ours;
  return { name, unit, ours, torch, ratio };
}

function printTable(rows: BenchRow[]): void {
  const fmt = (v: number | undefined) =>
    v === undefined ? "-" : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
  const header = ["measurement", "unit", "ours", "PyTorch", "ours vs PyTorch"];
  const body = rows.map((
    r,
  ) => [r.name, r.unit, fmt(r.ours), fmt(r.torch), r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}x`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of body) console.log(line(row));
}

const BENCH_FLAGS = {
  quick: { flag: "quick", short: "q", kind: SWITCH, help: "a smoke run: tiny networks, few steps" },
  json: {
    flag: "json",
    short: "o",
    kind: PATH,
    defaultText: "bench_results.json; bench_gpu_results.json with --device cuda",
    help: "where to write the results",
  },
  device: {
    flag: "device",
    kind: oneOf(["cpu", "cuda"], "cpu or cuda"),
    default: "cpu",
    help: "cpu, or cuda for the GPU bench (tasks/bench/gpu.ts)",
  },
} as const;

/**
 * Runs the bench and prints the table.
 *
 * @param args `--quick` for a tiny smoke run, `--json PATH` for where to write results, `--device cuda`
 *   for the GPU bench (./gpu.ts); `--help` prints the flags
 * @returns the rows (none for `--help`)
 * @throws {ConfigError} for a bad flag
 */
export async function main(args: string[]): Promise<BenchRow[]> {
  const values = parseFlags(BENCH_FLAGS, args);
  if (!values) {
    console.log(formatHelp(BENCH_FLAGS, {
      usage: "deno task bench [flags]",
      description: "Times ours against PyTorch on this machine (the same libtorch and thread count).",
    }));
    return [];
  }
  const { quick } = values;
  if (values.device === "cuda") {
    const rows = await benchGpu({ quick, json: values.json ?? "bench_gpu_results.json" });
    return rows.map((r) => ({
      name: `${r.side} ${r.variant} bs ${r.batch}`,
      unit: "img/s",
      ours: r.imgPerS,
    }));
  }
  const json = values.json ?? "bench_results.json";
  const threads = getNumThreads();
  const configs: StepConfig[] = quick
    ? [{ batch: 8, nz: 16, ngf: 8, ndf: 8, nc: 3 }]
    : [64, 128].map((batch) => ({ batch, nz: 128, ngf: 64, ndf: 64, nc: 3 }));
  const steps = quick ? 2 : 5; // timed steps of each step row; the rows give their median
  const matmulN = quick ? 512 : 2048;
  const warmup = 1;
  console.error(
    `bench: ${threads} threads, ${quick ? "quick (tiny configs)" : "full DCGAN 64x64"}; PyTorch runs first`,
  );
  const torchReference = async (spec: Record<string, unknown>) =>
    JSON.parse(
      (await runPython(PYTHON, [
        join(HERE, "torch_reference.py"),
        JSON.stringify({ threads, steps, warmup, configs, variants: CPU_VARIANTS, ...spec }),
      ], "the bench")).stdout,
    );
  const torchSide = await torchReference({ conv_batch: quick ? 8 : 64, matmul_n: matmulN });
  // PyTorch again with glibc's malloc set as our shim sets it (ffi/shim.cpp's t_keep_freed_memory), so the
  // ratios say how much is the allocator and how much the rest
  const torchKept = await torchReference({ keep_freed_memory: true, steps_only: true });
  const rows: BenchRow[] = [];
  rows.push(ratioRow("tiny add (1 element), per call", "us", addOverheadUs(false), torchSide.add_us, false));
  rows.push(
    ratioRow("tiny add, inside tidy() as in training", "us", addOverheadUs(true), torchSide.add_us, false),
  );
  const convBatch = quick ? 8 : 64;
  rows.push(
    ratioRow(
      `conv2d 64->128 4x4/2 fwd+bwd, batch ${convBatch}`,
      "ms",
      conv2dMs(convBatch),
      torchSide.conv2d_ms,
      false,
    ),
  );
  for (const cfg of configs) {
    rows.push(...stepRows(cfg, { plain: torchSide.steps, kept: torchKept.steps }, { steps, warmup, quick }));
  }
  // what users get: the real train() at the largest batch, against that batch's step as the seed runs it
  const trained = configs.at(-1)!;
  const stepRate = rows.find((row) => row.name.startsWith(`DCGAN train step bs ${trained.batch}`))!.ours;
  const epochs = 3;
  rows.push(await endToEndRow(trained, { epochs, category: quick ? "Activities" : undefined, stepRate }));
  if (!quick) rows.push(...await dataParallelRows({ quick })); // 1 process against --nproc-per-node 2
  // what this CPU's kernels reach: the ceiling for the steps' convolution arithmetic above
  for (const dtype of ["float32", "bfloat16"] as const) {
    const name = `CPU peak, measured: ${dtype} matmul ${matmulN}^3`;
    rows.push(ratioRow(name, "GFLOP/s", matmulGflops(matmulN, dtype), torchSide.matmul_gflops[dtype], true));
  }
  const dir = await Deno.makeTempDir({ prefix: "dcgan-bench-" });
  try {
    const cold = await coldStart(dir, quick ? 4 : 64);
    rows.push(ratioRow(`sample cold start (${quick ? 4 : 64} images)`, "s", cold.ours, cold.torch, false));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const { paths } = await emojiFiles();
  const decode = await measureDecode(paths, { size: 64, limit: quick ? 100 : 1000 });
  rows.push({ name: "PNG decode + resize (emoji)", unit: "img/s", ours: decode.imagesPerSecond });
  const images = new Uint8Array(2000 * 3 * 64 * 64);
  const paths128 = measureBatchPaths({ images, count: 2000, channels: 3, size: 64, skipped: [] });
  rows.push({ name: "batch to device: float32, normalised in JS", unit: "img/s", ours: paths128.float32 });
  rows.push({ name: "batch to device: uint8 host gather", unit: "img/s", ours: paths128.hostGather });
  rows.push({ name: "batch to device: uint8 device gather", unit: "img/s", ours: paths128.deviceGather });
  rows.push(ratioRow("peak RSS", "MiB", peakRssMb(), torchSide.peak_rss_mb, false));
  const longSteps = quick ? 100 : 2000;
  const memory = longRunMemory(longSteps);
  rows.push({ name: `RSS at start of ${longSteps} small steps`, unit: "MiB", ours: memory.rssStart });
  rows.push({ name: `RSS at end of ${longSteps} small steps`, unit: "MiB", ours: memory.rssEnd });
  rows.push({
    name: `live tensors gained over ${longSteps} small steps`,
    unit: "count",
    ours: memory.tensorsEnd - memory.tensorsStart,
  });
  printTable(rows);
  const result = {
    date: new Date().toISOString(),
    threads,
    torch: torchSide.torch,
    quick,
    liveTensors: liveTensorCount(),
    rows,
  };
  await Deno.writeTextFile(json, JSON.stringify(result, null, 2) + "\n");
  console.error(`bench: results in ${json}`);
  return rows;
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`error: ${error.message.startsWith("--") ? "bench " : ""}${error.message}`);
    Deno.exit(2);
  }
}
