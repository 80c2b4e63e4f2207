/**
 * The CUDA-only code (ffi/cuda.cpp, ops/cuda.ts, tasks/cuda_graph_step.ts), exercised on a GPU:
 * graph capture and replay, autocast, channels_last, capturable Adam, the whole training step as one
 * graph against the same steps run eagerly, and the eager, channels_last and bf16 steps against
 * PyTorch's seed loop on the same GPU. Without a GPU and a CUDA shim every test here is ignored (and
 * says so in the test report); on a CPU-only machine the one test that runs checks the clear error.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Adam } from "../../models/optim/adam.ts";
import { conv2d } from "../../ops/conv.ts";
import { randn, zeros } from "../../ops/creation.ts";
import {
  autocast,
  cudaExtensionLoaded,
  CudaGraph,
  cudaMemoryStats,
  CudaUnavailableError,
  getCudaRngState,
  onSideStream,
  setCudaRngState,
} from "../../ops/cuda.ts";
import { cudaIsAvailable, manualSeed, setCudnn } from "../../ops/runtime.ts";
import { keep, tidy } from "../../ops/scope.ts";
import { rand } from "../../ops/creation.ts";
import { CudaGraphStep } from "../../tasks/gan/cuda_graph_step.ts";
import { train } from "../../tasks/gan/train.ts";
import { parseTrainArgs } from "../../tasks/gan/config.ts";
import { makeImageFolder, readMetrics, TINY_NETWORKS } from "../fixtures.ts";
import { CUDA_PYTHON } from "../../tasks/bench/python.ts";
import { DcganTrainer, type StepStats } from "../../tasks/gan/trainer.ts";

const GPU = cudaIsAvailable() && cudaExtensionLoaded();
// deterministic cuDNN kernels (torch.backends.cudnn.deterministic), here and in the PyTorch reference:
// the default ones accumulate weight gradients in a varying order, which Adam's first steps amplify
if (GPU) setCudnn({ deterministic: true });
const TORCH_GPU = join(new URL("../../tasks/bench/", import.meta.url).pathname, "torch_gpu.py");
const gpuTest = (name: string, fn: () => void | Promise<void>) => Deno.test({ name, ignore: !GPU, fn });

const TINY = { batch: 8, nz: 16, ngf: 8, ndf: 8, nc: 3 };
/** A trainer spec of TINY's networks on the GPU, at the seed's 64x64 and Adam settings. */
const TINY_SPEC = { ...TINY, imageSize: 64, lr: 2e-4, beta1: 0.5, device: "cuda" as const };

function statsArray(s: StepStats): number[] {
  return [s.lossD, s.lossG, s.dx, s.dgz1, s.dgz2];
}

function assertStatsClose(got: number[][], want: number[][], rtol: number, what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((row, step) =>
    row.forEach((value, k) => {
      const ref = want[step]![k]!;
      const diff = Math.abs(value - ref);
      assert.ok(
        Number.isFinite(value) && diff <= rtol * Math.max(1, Math.abs(ref)),
        `${what}: step ${step + 1} stat ${k} is ${value}, reference ${ref} (diff ${diff}, rtol ${rtol})`,
      );
    })
  );
}

Deno.test({
  name: "without the CUDA shim, CUDA-only calls say what they need",
  ignore: cudaExtensionLoaded(),
  fn() {
    assert.throws(() => new CudaGraph(), CudaUnavailableError);
    assert.throws(() => autocast("bfloat16", () => 0), /CUDA libtorch/);
  },
});

gpuTest(
  "a captured graph replays on new input in place, and a failed capture leaves the stream usable",
  () => {
    using x = randn([1024], { device: "cuda" });
    using graph = new CudaGraph();
    const y = graph.capture(() => keep(tidy(() => x.mul(2).add(1))));
    using fresh = randn([1024], { device: "cuda" });
    x.copy_(fresh);
    graph.replay();
    using want = fresh.mul(2).add(1);
    assert.equal(y.sub(want).abs().max().item(), 0);
    y.dispose();
    using broken = new CudaGraph();
    assert.throws(() => broken.capture(() => x.sum().item())); // a read waits for the GPU: not capturable
    using after = x.add(1); // the default stream works after the aborted capture
    assert.equal(after.shape[0], 1024);
  },
);

gpuTest("autocast runs conv2d in bfloat16 and restores float32 outside", () => {
  using x = randn([2, 3, 8, 8], { device: "cuda" });
  using w = randn([4, 3, 3, 3], { device: "cuda" });
  const inside = autocast("bfloat16", () => tidy(() => conv2d(x, w).dtype));
  assert.equal(inside, "bfloat16");
  assert.equal(tidy(() => conv2d(x, w).dtype), "float32");
});

gpuTest("channels_last modules and tensors keep the shape and change the layout", () => {
  using x = randn([2, 3, 8, 8], { device: "cuda" });
  using last = x.contiguous("channels_last");
  assert.equal(last.isContiguous("channels_last"), true);
  assert.equal(x.isContiguous("channels_last"), false);
  assert.deepEqual(last.shape, [2, 3, 8, 8]);
  assert.equal(last.sub(x).abs().max().item(), 0);
});

gpuTest("capturable Adam equals the fused CPU-order Adam over 5 steps on the GPU", () => {
  manualSeed(3);
  using a = randn([64, 32], { device: "cuda", requiresGrad: true });
  using b = tidy(() => a.detach().clone().requiresGrad_(true));
  using capturable = new Adam([a], { lr: 1e-2, betas: [0.5, 0.999], capturable: true });
  using plain = new Adam([b], { lr: 1e-2, betas: [0.5, 0.999] });
  for (let i = 0; i < 5; i++) {
    for (const [p, opt] of [[a, capturable], [b, plain]] as const) {
      tidy(() => p.square().sum().backward());
      opt.step();
      opt.zeroGrad();
    }
  }
  using diff = a.sub(b).abs().max();
  assert.ok(diff.item() < 1e-5, `capturable Adam differs by ${diff.item()}`);
  assert.equal(capturable.stateDict().state[0]!.step, 5);
});

gpuTest("the whole step as one CUDA graph equals the same steps run eagerly", () => {
  const batches = tidy(() => {
    manualSeed(1);
    return Array.from(
      { length: 7 },
      () => keep(rand([TINY.batch, 3, 64, 64], { device: "cuda" }).mul(2).sub(1)),
    );
  });
  manualSeed(999);
  const eager = new DcganTrainer(TINY_SPEC);
  const eagerStats = batches.map((real) => statsArray(onSideStream(() => eager.step(real))));
  manualSeed(999);
  const trainer = new DcganTrainer(TINY_SPEC);
  const graphed = new CudaGraphStep(trainer, { warmup: 3 });
  const graphStats = batches.map((real) => statsArray(graphed.step(real)));
  assert.ok(graphed.captured);
  assert.equal(trainer.globalStep, 7);
  assertStatsClose(graphStats, eagerStats, 1e-4, "graph vs eager");
  tidy(() => {
    const diff = trainer.netG.parameters().map((p, i) =>
      p.sub(eager.netG.parameters()[i]!).abs().max().item()
    );
    assert.ok(Math.max(...diff) < 1e-4, `G weights differ by ${Math.max(...diff)}`);
  });
  using half = batches[0]!.slice(0, 0, TINY.batch / 2); // another size runs eagerly, then replays resume
  assert.ok(Number.isFinite(graphed.step(half).lossD));
  assert.ok(Number.isFinite(graphed.step(batches[1]!).lossD));
  assert.equal(trainer.globalStep, 9);
  assert.ok(cudaMemoryStats().allocated > 0);
  graphed.dispose();
  trainer.dispose();
  eager.dispose();
  batches.forEach((b) => b.dispose());
});

for (const [variant, rtol] of [["eager", 1e-4], ["channels_last", 1e-4], ["bf16", 5e-2]] as const) {
  gpuTest(
    `the ${variant} step on the GPU matches PyTorch's seed loop (Adam fused) over 4 steps`,
    async () => {
      const steps = 4;
      const out = await new Deno.Command(CUDA_PYTHON, {
        args: [TORCH_GPU, "parity", JSON.stringify({ ...TINY, steps, variant, seed: 999, data_seed: 0 })],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const want = JSON.parse(new TextDecoder().decode(out.stdout)).stats as number[][];
      manualSeed(0);
      using real = tidy(() => rand([TINY.batch, 3, 64, 64]).mul(2).sub(1).to("cuda"));
      manualSeed(999);
      const trainer = new DcganTrainer({
        ...TINY_SPEC,
        channelsLast: variant === "channels_last",
        autocast: variant === "bf16" ? "bfloat16" : undefined,
      });
      const got = Array.from({ length: steps }, () => statsArray(trainer.step(real)));
      trainer.dispose();
      assertStatsClose(got, want, rtol, `${variant} vs PyTorch`);
    },
  );
}

gpuTest("a --cuda-graph run on the GPU resumes to the same losses as an uninterrupted run", async () => {
  const data = await makeImageFolder(10);
  const straight = await Deno.makeTempDir();
  const split = await Deno.makeTempDir();
  const quiet = { log: () => {} };
  try {
    const base = ["--data", data, "--epochs", "3", "--seed", "5", "--batch-size", "4", ...TINY_NETWORKS];
    const gpu = [...base, "--device", "cuda", "--cuda-graph"];
    await train(parseTrainArgs([...gpu, "--out", straight])!, quiet);
    await train(parseTrainArgs([...gpu, "--out", split, "--max-steps", "4"])!, quiet);
    await train(parseTrainArgs([...gpu, "--out", split, "--resume"])!, quiet);
    const a = await readMetrics(straight);
    const b = await readMetrics(split);
    assert.equal(a.length, 9);
    assert.deepEqual(b.map((m) => m.step), a.map((m) => m.step));
    assertStatsClose(
      b.map((m) => [m.lossD!, m.lossG!]),
      a.map((m) => [m.lossD!, m.lossG!]),
      1e-4,
      "resumed vs straight",
    );
  } finally {
    for (const dir of [data, straight, split]) await Deno.remove(dir, { recursive: true });
  }
});

gpuTest("getCudaRngState and setCudaRngState rewind the GPU's random draws", () => {
  using state = getCudaRngState();
  using first = randn([16], { device: "cuda" });
  setCudaRngState(state);
  using again = randn([16], { device: "cuda" });
  assert.equal(first.sub(again).abs().max().item(), 0);
  assert.equal(state.dtype, "uint8");
});

gpuTest("a graph step refuses what it cannot capture", () => {
  const trainer = new DcganTrainer({ ...TINY_SPEC, nCritic: 2 });
  assert.throws(() => new CudaGraphStep(trainer), /--n-critic/);
  trainer.dispose();
  using z = zeros([1], { device: "cuda" });
  assert.equal(z.device, "cuda:0");
});
