/**
 * The bench's CPU measurements of our side: the DCGAN training step's rate, as the seed runs it or with
 * `--amp bf16 --channels-last`, its convolutions' arithmetic, and what this CPU computes at best,
 * measured with a large float32 and bfloat16 matmul through the shim (not assumed from /proc/cpuinfo).
 *
 * @module
 */

import { rand, randn } from "../../ops/creation.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import type { StepConfig } from "./gpu.ts";
import { DcganTrainer } from "../gan/trainer.ts";

/** How the step runs: the seed's float32 NCHW, or `--amp bf16 --channels-last`. */
export type CpuVariant = "seed" | "bf16_channels_last";

/**
 * Images per second of the training step on the CPU, after `warmup` steps: the batch over the median of
 * `steps` timed steps.
 *
 * @param cfg the networks' widths and the batch size
 * @param options `steps` timed, `warmup` steps first, `variant` (default `"seed"`)
 * @returns images per second
 */
export function trainStepRate(
  cfg: StepConfig,
  options: { steps: number; warmup: number; variant?: CpuVariant },
): number {
  const amp = options.variant === "bf16_channels_last";
  manualSeed(0);
  const trainer = new DcganTrainer({
    ...cfg,
    imageSize: 64,
    lr: 2e-4,
    beta1: 0.5,
    device: "cpu",
    channelsLast: amp,
    autocast: amp ? "bfloat16" : undefined,
  });
  try {
    using real = tidy(() => rand([cfg.batch, cfg.nc, 64, 64]).mul(2).sub(1));
    for (let i = 0; i < options.warmup; i++) trainer.step(real);
    const times: number[] = [];
    for (let i = 0; i < options.steps; i++) {
      const start = performance.now();
      trainer.step(real);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b); // the median step, as PyTorch's side takes it: one slow step does not move it
    const half = times.length >> 1;
    const median = times.length % 2 ? times[half]! : (times[half - 1]! + times[half]!) / 2;
    return cfg.batch / (median / 1000);
  } finally {
    trainer.dispose();
  }
}

/**
 * Operations of one training step per image through the 64x64 DCGAN's convolutions (2 per
 * multiply-add): G forward and backward (3 passes' worth), D forward and backward on the real and on the
 * fake batch (3 each), and D forward plus input gradient for G's update (2), so 3 G + 8 D.
 *
 * @param cfg the networks' widths
 * @returns FLOPs per image per step
 */
export function dcganStepFlopsPerImage(cfg: Pick<StepConfig, "nz" | "ngf" | "ndf" | "nc">): number {
  const { nz, ngf, ndf, nc } = cfg;
  const k = 16; // 4x4 kernels; a layer's multiply-adds are (input or output pixels) x C_in x C_out x taps
  const generator = 16 * nz * ngf * 8 + // 1x1 -> 4x4: each output pixel sees one tap per input channel
    16 * ngf * 8 * ngf * 4 * k + 64 * ngf * 4 * ngf * 2 * k + 256 * ngf * 2 * ngf * k + 1024 * ngf * nc * k;
  const discriminator = 1024 * nc * ndf * k + 256 * ndf * ndf * 2 * k + 64 * ndf * 2 * ndf * 4 * k +
    16 * ndf * 4 * ndf * 8 * k + ndf * 8 * k;
  return 2 * (3 * generator + 8 * discriminator);
}

/**
 * GFLOP/s of an `n` x `n` x `n` matmul through the shim (2 n^3 operations), the best of `repeats`: what
 * this CPU's kernels reach at the bench's thread count, the ceiling for the step's arithmetic.
 *
 * @param n the matrices' size
 * @param dtype `"float32"` or `"bfloat16"` (oneDNN's bf16 kernels where the CPU has them)
 * @param repeats timed runs after one warm-up; default 5
 * @returns the best GFLOP/s
 */
export function matmulGflops(n: number, dtype: "float32" | "bfloat16", repeats = 5): number {
  using a = tidy(() => randn([n, n]).to(dtype));
  using b = tidy(() => randn([n, n]).to(dtype));
  tidy(() => a.matmul(b));
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    tidy(() => a.matmul(b));
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return (2 * n ** 3) / best / 1e9;
}
