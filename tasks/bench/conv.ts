/**
 * Times one forward and backward pass of each DCGAN generator layer's ConvTranspose2d three ways:
 * ours with the fast paths (oneDNN, ffi/conv_fast.cpp), ours on libtorch's default kernel, and
 * PyTorch's `F.conv_transpose2d` in /usr/bin/python3 on the same machine and thread count.
 *
 * ```sh
 * deno run -A tasks/bench/conv.ts --batch 64 --repeats 3
 * ```
 *
 * @module
 */

import { ConfigError, formatHelp, NON_NEGATIVE_INTEGER, parseFlags, POSITIVE_INTEGER } from "../cli/flags.ts";
import { convTranspose2d } from "../../ops/conv.ts";
import { randn } from "../../ops/creation.ts";
import { getNumThreads, manualSeed, setFastPaths } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import { PYTHON, runPython } from "./python.ts";

/** One generator layer's time per forward and backward pass, median over the repeats. */
export interface ConvBenchRow {
  /** The layer's `state_dict` name and shape, e.g. `main.3 512→256 4→8`. */
  layer: string;
  /** Ours, fast paths on (ms). */
  oursMs: number;
  /** Ours, fast paths off: libtorch's default kernel (ms). */
  defaultMs: number;
  /** PyTorch's own, in Python (ms). */
  torchMs: number;
}

/** Options of {@linkcode benchConvTranspose}. */
export interface ConvBenchOptions {
  /** Images per batch; default 64. */
  batch?: number;
  /** Latent size; default 128. */
  nz?: number;
  /** Generator feature maps; default 64. */
  ngf?: number;
  /** Image channels; default 3. */
  nc?: number;
  /** Timed passes per layer and path, of which the median counts; default 3. */
  repeats?: number;
  /** Untimed passes first; default 1. */
  warmup?: number;
  /** Python with torch; default {@linkcode PYTHON} (`DCGAN_PYTHON`, else /usr/bin/python3). */
  python?: string;
}

interface Layer {
  name: string;
  cIn: number;
  cOut: number;
  size: number;
  stride: number;
  padding: number;
}

function generatorLayers(nz: number, ngf: number, nc: number): Layer[] {
  return [
    { name: "main.0", cIn: nz, cOut: ngf * 8, size: 1, stride: 1, padding: 0 },
    { name: "main.3", cIn: ngf * 8, cOut: ngf * 4, size: 4, stride: 2, padding: 1 },
    { name: "main.6", cIn: ngf * 4, cOut: ngf * 2, size: 8, stride: 2, padding: 1 },
    { name: "main.9", cIn: ngf * 2, cOut: ngf, size: 16, stride: 2, padding: 1 },
    { name: "main.12", cIn: ngf, cOut: nc, size: 32, stride: 2, padding: 1 },
  ];
}

function outSize(layer: Layer): number {
  return (layer.size - 1) * layer.stride - 2 * layer.padding + 4;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

// The noise fed to main.0 needs no gradient; every later layer's input does, as in training.
function timeOurs(layer: Layer, batch: number, fast: boolean, repeats: number, warmup: number): number {
  using x = randn([batch, layer.cIn, layer.size, layer.size], { requiresGrad: layer.name !== "main.0" });
  using w = randn([layer.cIn, layer.cOut, 4, 4], { requiresGrad: true });
  using g = randn([batch, layer.cOut, outSize(layer), outSize(layer)]);
  const options = { stride: layer.stride, padding: layer.padding };
  const times: number[] = [];
  setFastPaths(fast);
  try {
    for (let i = 0; i < warmup + repeats; i++) {
      const start = performance.now();
      tidy(() => convTranspose2d(x, w, undefined, options).backward(g));
      const ms = performance.now() - start;
      if (i >= warmup) times.push(ms);
      x.zeroGrad();
      w.zeroGrad();
    }
  } finally {
    setFastPaths(true);
  }
  return median(times);
}

const TORCH_SCRIPT = `
import json, sys, time
import torch
import torch.nn.functional as F
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
result = []
for l in cfg["layers"]:
    b, o = cfg["batch"], (l["size"] - 1) * l["stride"] - 2 * l["padding"] + 4
    x = torch.randn(b, l["cIn"], l["size"], l["size"], requires_grad=l["name"] != "main.0")
    w = torch.randn(l["cIn"], l["cOut"], 4, 4, requires_grad=True)
    g = torch.randn(b, l["cOut"], o, o)
    times = []
    for i in range(cfg["warmup"] + cfg["repeats"]):
        start = time.perf_counter()
        F.conv_transpose2d(x, w, None, stride=l["stride"], padding=l["padding"]).backward(g)
        ms = (time.perf_counter() - start) * 1000
        if i >= cfg["warmup"]:
            times.append(ms)
        x.grad = None
        w.grad = None
    result.append(sorted(times)[len(times) // 2])
print(json.dumps(result))
`;

async function timeTorch(
  python: string,
  layers: Layer[],
  config: { batch: number; threads: number; repeats: number; warmup: number },
): Promise<number[]> {
  const { stdout } = await runPython(
    python,
    ["-c", TORCH_SCRIPT, JSON.stringify({ ...config, layers })],
    "the conv bench",
  );
  return JSON.parse(stdout);
}

/**
 * Times ConvTranspose2d forward and backward per DCGAN generator layer: fast paths on, off, and PyTorch.
 *
 * @param options batch and model sizes, repeats, warmup, and the Python to run PyTorch with
 * @returns one row per layer, in the generator's order
 * @example
 * ```ts ignore
 * import { benchConvTranspose } from "./conv.ts";
 * const rows = await benchConvTranspose({ batch: 8, ngf: 8, repeats: 1 });
 * ```
 */
export async function benchConvTranspose(options: ConvBenchOptions = {}): Promise<ConvBenchRow[]> {
  const batch = positiveInt("batch", options.batch ?? 64);
  const repeats = positiveInt("repeats", options.repeats ?? 3);
  const warmup = options.warmup ?? 1;
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new RangeError(`warmup must be a non-negative integer, got ${warmup}`);
  }
  const layers = generatorLayers(
    positiveInt("nz", options.nz ?? 128),
    positiveInt("ngf", options.ngf ?? 64),
    positiveInt("nc", options.nc ?? 3),
  );
  const python = options.python ?? PYTHON;
  manualSeed(0);
  const ours = layers.map((layer) => ({
    fast: timeOurs(layer, batch, true, repeats, warmup),
    slow: timeOurs(layer, batch, false, repeats, warmup),
  }));
  const torch = await timeTorch(python, layers, { batch, threads: getNumThreads(), repeats, warmup });
  return layers.map((layer, i) => ({
    layer: `${layer.name} ${layer.cIn}→${layer.cOut} ${layer.size}→${outSize(layer)}`,
    oursMs: ours[i]!.fast,
    defaultMs: ours[i]!.slow,
    torchMs: torch[i]!,
  }));
}

/**
 * Formats bench rows as a text table with the speed-ups over libtorch's default and over PyTorch.
 *
 * @param rows from {@linkcode benchConvTranspose}
 * @returns the table, one line per layer plus a header and a total
 * @example
 * ```ts
 * import { formatConvBench } from "./conv.ts";
 * console.log(formatConvBench([{ layer: "main.0", oursMs: 5, defaultMs: 500, torchMs: 490 }]));
 * ```
 */
export function formatConvBench(rows: readonly ConvBenchRow[]): string {
  const total = rows.reduce(
    (sum, r) => ({
      layer: "total",
      oursMs: sum.oursMs + r.oursMs,
      defaultMs: sum.defaultMs + r.defaultMs,
      torchMs: sum.torchMs + r.torchMs,
    }),
    { layer: "total", oursMs: 0, defaultMs: 0, torchMs: 0 },
  );
  const cells = [["layer", "ours ms", "default ms", "PyTorch ms", "default/ours", "PyTorch/ours"]];
  for (const r of [...rows, total]) {
    cells.push([
      r.layer,
      r.oursMs.toFixed(1),
      r.defaultMs.toFixed(1),
      r.torchMs.toFixed(1),
      `${(r.defaultMs / r.oursMs).toFixed(1)}x`,
      `${(r.torchMs / r.oursMs).toFixed(1)}x`,
    ]);
  }
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) =>
    row.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)).join("  ")
  )
    .join("\n");
}

const CONV_BENCH_FLAGS = {
  batch: { flag: "batch", short: "b", kind: POSITIVE_INTEGER, default: 64, help: "images per pass" },
  repeats: {
    flag: "repeats",
    kind: POSITIVE_INTEGER,
    default: 3,
    help: "timed passes (the median is shown)",
  },
  warmup: { flag: "warmup", kind: NON_NEGATIVE_INTEGER, default: 1, help: "untimed passes first" },
} as const;

if (import.meta.main) {
  let values;
  try {
    values = parseFlags(CONV_BENCH_FLAGS, Deno.args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`error: ${error.message}`);
    Deno.exit(2);
  }
  if (!values) {
    console.log(formatHelp(CONV_BENCH_FLAGS, {
      usage: "deno run -A tasks/bench/conv.ts [flags]",
      description:
        "Times ConvTranspose2d forward+backward per DCGAN generator layer: ours, libtorch's default, PyTorch.",
    }));
    Deno.exit(0);
  }
  const rows = await benchConvTranspose(values);
  console.log(
    `ConvTranspose2d forward+backward per DCGAN generator layer, batch ${values.batch}, ` +
      `${getNumThreads()} threads (median of ${values.repeats})`,
  );
  console.log(formatConvBench(rows));
}
