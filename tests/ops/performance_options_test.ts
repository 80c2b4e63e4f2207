/**
 * The performance options as a machine without a GPU sees them: channels_last (tensors, modules, Adam's
 * state, the trainer), the train flags `--channels-last`, `--amp` and `--cuda-graph` and their errors,
 * cuDNN's switches, and the errors of the CUDA-only pieces. Their GPU behaviour is tests/cuda_test.ts;
 * CPU autocast's is tests/ops/cpu_autocast_test.ts.
 */

import assert from "node:assert/strict";
import { Adam } from "../../models/optim/adam.ts";
import { Discriminator } from "../../models/dcgan/networks.ts";
import { rand, randn } from "../../ops/creation.ts";
import { cudaExtensionLoaded, CudaUnavailableError } from "../../ops/cuda.ts";
import { manualSeed, setCudnn } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import { CudaGraphStep } from "../../tasks/gan/cuda_graph_step.ts";
import { ConfigError, parseTrainArgs, trainHelp } from "../../tasks/gan/config.ts";
import { DcganTrainer } from "../../tasks/gan/trainer.ts";

Deno.test("contiguous('channels_last') keeps shape and values, changes only the strides", () => {
  using x = randn([2, 3, 4, 5]);
  using last = x.contiguous("channels_last");
  assert.deepEqual(last.shape, [2, 3, 4, 5]);
  assert.equal(last.isContiguous("channels_last"), true);
  assert.equal(last.isContiguous(), false);
  assert.equal(x.isContiguous("channels_last"), false);
  assert.deepEqual(Array.from(last.toFloat32Array()), Array.from(x.toFloat32Array()));
  using back = last.contiguous();
  assert.equal(back.isContiguous(), true);
  assert.throws(() => x.contiguous("nhwc" as never), /Unknown memory format "nhwc"/);
});

Deno.test("Module.to({ memoryFormat }) lays out 4-d weights as channels_last and keeps them trainable", () => {
  manualSeed(0);
  using net = new Discriminator({ ndf: 4, nc: 3, imageSize: 32 });
  using x = rand([2, 3, 32, 32]);
  const before = tidy(() => net.forward(x).toFloat32Array());
  net.to({ memoryFormat: "channels_last" });
  for (const [name, p] of net.namedParameters()) {
    if (p.shape.length === 4) assert.equal(p.isContiguous("channels_last"), true, name);
    assert.equal(p.requiresGrad, true, name);
  }
  const after = tidy(() => net.forward(x).toFloat32Array());
  after.forEach((value, i) =>
    assert.ok(Math.abs(value - before[i]!) < 1e-5, `output ${i}: ${value} vs ${before[i]}`)
  );
});

Deno.test("Adam's state follows a channels_last parameter's layout (the fused kernels need equal strides)", () => {
  using w = tidy(() => randn([4, 3, 2, 2]).contiguous("channels_last").requiresGrad_(true));
  using adam = new Adam([w], { lr: 0.1 });
  tidy(() => w.square().sum().backward());
  adam.step();
  tidy(() => {
    const { state } = adam.stateDict();
    assert.equal(state[0]!.exp_avg.isContiguous("channels_last"), true);
    assert.equal(state[0]!.exp_avg_sq.isContiguous("channels_last"), true);
    assert.equal(w.isContiguous("channels_last"), true);
  });
});

Deno.test("a channels_last trainer takes the same steps as the default layout (to float rounding)", () => {
  const spec = { nz: 8, ngf: 4, ndf: 4, nc: 3, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu" as const };
  const run = (channelsLast: boolean) => {
    manualSeed(7);
    const trainer = new DcganTrainer({ ...spec, channelsLast });
    using real = tidy(() => rand([4, 3, 32, 32]).mul(2).sub(1));
    const stats = [1, 2, 3].map(() => trainer.step(real));
    trainer.dispose();
    return stats.flatMap((s) => [s.lossD, s.lossG, s.dx, s.dgz1, s.dgz2]);
  };
  const plain = run(false);
  const last = run(true);
  last.forEach((value, i) =>
    assert.ok(Math.abs(value - plain[i]!) < 1e-4, `stat ${i}: ${value} vs ${plain[i]}`)
  );
});

Deno.test("train flags: --channels-last, --amp and --cuda-graph parse, and --cuda-graph refuses the CPU", () => {
  const seed = parseTrainArgs(["--recipe", "seed"])!; // the stable recipe's CPU defaults: recipes_test.ts
  assert.deepEqual([seed.channelsLast, seed.amp, seed.cudaGraph], [false, "off", false]);
  const fast = parseTrainArgs(["--device", "cuda", "--channels-last", "--amp", "bf16", "--cuda-graph"])!;
  assert.deepEqual([fast.channelsLast, fast.amp, fast.cudaGraph], [true, "bf16", true]);
  assert.equal(parseTrainArgs(["--channels-last"])!.channelsLast, true); // channels_last works on the CPU
  assert.equal(parseTrainArgs(["--amp", "bf16"])!.amp, "bf16"); // so does autocast

  assert.throws(() => parseTrainArgs(["--cuda-graph"]), /--cuda-graph runs on the GPU: add --device cuda/);
  assert.throws(
    () => parseTrainArgs(["--device", "cuda", "--amp", "fp8"]),
    (error: Error) =>
      error instanceof ConfigError && /--amp must be off, bf16 or fp16, got "fp8"/.test(error.message),
  );
  assert.match(trainHelp(), /--cuda-graph.*CUDA graph/);
});

Deno.test("the CUDA-only pieces name what they need on the CPU", () => {
  const spec = { nz: 8, ngf: 4, ndf: 4, nc: 3, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu" as const };
  using w = randn([3], { requiresGrad: true });
  assert.throws(
    () => new Adam([w], { capturable: true }),
    /capturable needs every parameter on one CUDA device/,
  );
  const trainer = new DcganTrainer(spec);
  try {
    if (cudaExtensionLoaded()) {
      assert.throws(() => new CudaGraphStep(trainer), /cannot capture a CPU step/);
    } else {
      assert.throws(() => new CudaGraphStep(trainer), CudaUnavailableError);
    }
  } finally {
    trainer.dispose();
  }
  setCudnn({ deterministic: true, benchmark: true }); // no effect without CUDA, and no error
  setCudnn({}); // changes nothing
  setCudnn({ deterministic: false, benchmark: false });
});
