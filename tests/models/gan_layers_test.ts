// The stabiliser layers against PyTorch: spectral norm (torch.nn.utils.spectral_norm), the seeds'
// SelfAttention, ProGAN's minibatch standard deviation, Dropout, Flatten/Unflatten and BatchNorm1d.
// Each layer: forward, input and parameter gradients, and buffers after one training-mode pass, with
// PyTorch loading our state dict strictly (and its keys in our order). Spectral norm also over several
// Adam steps of two forwards each (D(real) and D(fake)), and in eval mode.
import assert from "node:assert/strict";
import { SelfAttention } from "../../models/nn/attention.ts";
import { Conv2d, ConvTranspose2d } from "../../models/nn/conv.ts";
import { Dropout } from "../../models/nn/dropout.ts";
import { Flatten, Unflatten } from "../../models/nn/flatten.ts";
import { Embedding, Linear } from "../../models/nn/linear.ts";
import { minibatchGroupSize, MinibatchStdDev } from "../../models/nn/minibatch_std.ts";
import type { Module } from "../../models/nn/module.ts";
import { BatchNorm1d } from "../../models/nn/norm.ts";
import { spectralNorm, spectralNormSettings } from "../../models/nn/spectral_norm.ts";
import { Tanh } from "../../models/nn/activation.ts";
import { Adam } from "../../models/optim/adam.ts";
import { noGrad } from "../../ops/autograd.ts";
import { ones, randint, randn } from "../../ops/creation.ts";
import { liveTensorCount, manualSeed } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { DiffLog, runTorch, type TorchValue } from "../torch_ref.ts";
import { STABILISERS_PY, textOf } from "./gan_layers_ref.ts";

/** Largest |ours - PyTorch's| per label, printed when DCGAN_SHOW_DIFFS=1. */
const diffs = new DiffLog({ rtol: 1e-5, atol: 1e-6 });

function showDiffs(title: string): void {
  if (Deno.env.get("DCGAN_SHOW_DIFFS") !== "1") return;
  console.log(title, Math.max(...diffs.largest.values()), Object.fromEntries(diffs.largest));
}

function disposeAll(record: Record<string, Tensor>): void {
  for (const tensor of Object.values(record)) tensor.dispose();
}

interface LayerCase {
  name: string;
  make: () => Module;
  /** The same layer in PyTorch (STABILISERS_PY's names are in scope). */
  torch: string;
  input: number[];
  indicesBelow?: number;
}

const CASES: LayerCase[] = [
  {
    name: "sn_conv2d",
    make: () => spectralNorm(new Conv2d(3, 6, 3, { stride: 2, padding: 1 })),
    torch: "spectral_norm(nn.Conv2d(3, 6, 3, stride=2, padding=1))",
    input: [2, 3, 8, 8],
  },
  {
    name: "sn_conv2d_no_bias",
    make: () => spectralNorm(new Conv2d(4, 2, 4, { bias: false })),
    torch: "spectral_norm(nn.Conv2d(4, 2, 4, bias=False))",
    input: [2, 4, 6, 6],
  },
  {
    name: "sn_conv_transpose2d", // dim 1, as PyTorch picks for transposed convolutions
    make: () => spectralNorm(new ConvTranspose2d(4, 6, 4, { stride: 2, padding: 1 })),
    torch: "spectral_norm(nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1))",
    input: [2, 4, 5, 5],
  },
  {
    name: "sn_linear_two_iterations",
    make: () => spectralNorm(new Linear(5, 7), { nPowerIterations: 2 }),
    torch: "spectral_norm(nn.Linear(5, 7), n_power_iterations=2)",
    input: [4, 5],
  },
  {
    name: "sn_embedding",
    make: () => spectralNorm(new Embedding(6, 4)),
    torch: "spectral_norm(nn.Embedding(6, 4))",
    input: [2, 3],
    indicesBelow: 6,
  },
  {
    name: "self_attention",
    make: () => new SelfAttention(16),
    torch: "SelfAttention(16)",
    input: [2, 16, 4, 4],
  },
  {
    name: "self_attention_sn",
    make: () => new SelfAttention(8, { spectralNorm: true }),
    torch: "SelfAttention(8, sn=True)",
    input: [2, 8, 3, 5],
  },
  {
    name: "minibatch_std",
    make: () => new MinibatchStdDev(),
    torch: "MinibatchStdDev()",
    input: [8, 3, 4, 4],
  },
  {
    name: "minibatch_std_partial_batch", // 6 samples, group 4: groups of 3
    make: () => new MinibatchStdDev(4),
    torch: "MinibatchStdDev(4)",
    input: [6, 2, 3, 3],
  },
  {
    name: "minibatch_std_features",
    make: () => new MinibatchStdDev(2),
    torch: "MinibatchStdDev(2)",
    input: [4, 5],
  },
  { name: "batch_norm1d", make: () => new BatchNorm1d(5), torch: "nn.BatchNorm1d(5)", input: [4, 5] },
  {
    name: "batch_norm1d_sequence",
    make: () => new BatchNorm1d(3, { momentum: null }),
    torch: "nn.BatchNorm1d(3, momentum=None)",
    input: [2, 3, 4],
  },
  { name: "flatten", make: () => new Flatten(), torch: "nn.Flatten()", input: [2, 3, 2, 2] },
  { name: "flatten_middle", make: () => new Flatten(1, 2), torch: "nn.Flatten(1, 2)", input: [2, 3, 2, 2] },
  {
    name: "unflatten",
    make: () => new Unflatten(1, [3, 2, 2]),
    torch: "nn.Unflatten(1, (3, 2, 2))",
    input: [2, 12],
  },
];

interface Ours {
  y: Tensor;
  inputGrad?: Tensor;
  paramGrads: [string, Tensor][];
  buffers: [string, Tensor][];
  keys: string[];
  repr: string;
}

let reference: Promise<{ ours: Ours[]; torch: Record<string, TorchValue> }> | undefined;

/** Every case here (random weights, one training-mode forward and backward) and in PyTorch, once. */
function compareAll(): Promise<{ ours: Ours[]; torch: Record<string, TorchValue> }> {
  reference ??= (async () => {
    const inputs: Record<string, Tensor> = {};
    const ours = CASES.map((c, i) => {
      manualSeed(200 + i);
      const m = c.make();
      noGrad(() => m.parameters().forEach((p) => p.normal_(0, 0.5))); // gamma too, so attention counts
      const state = m.stateDict();
      for (const [key, value] of Object.entries(state)) inputs[`${c.name}.sd.${key}`] = value.clone();
      const keys = Object.keys(state);
      disposeAll(state);
      const x = c.indicesBelow === undefined
        ? randn(c.input, { requiresGrad: true })
        : randint(0, c.indicesBelow, c.input);
      const y = m.forward(x);
      const g = randn(y.shape);
      tidy(() => y.mul(g).sum().backward());
      Object.assign(inputs, { [`${c.name}.x`]: x, [`${c.name}.g`]: g });
      return {
        y,
        inputGrad: x.requiresGrad ? x.grad : undefined,
        paramGrads: m.namedParameters().map(([name, p]) => [name, p.grad!] as [string, Tensor]),
        buffers: m.namedBuffers(),
        keys,
        repr: String(m),
      };
    });
    const cases = CASES.map((c) => `(${JSON.stringify(c.name)}, lambda: ${c.torch})`).join(",\n    ");
    const torch = await runTorch(
      STABILISERS_PY + `
for name, make in [
    ${cases}
]:
    m = make()
    out[name + ".keys"] = text(list(m.state_dict()))
    out[name + ".repr"] = text(str(m))
    sd = {k[len(name) + 4:]: v for k, v in inp.items() if k.startswith(name + ".sd.")}
    m.load_state_dict(sd, strict=True)
    m.train()
    x = inp[name + ".x"]
    if x.is_floating_point():
        x = x.clone().requires_grad_(True)
    y = m(x)
    (y * inp[name + ".g"]).sum().backward()
    out[name + ".y"] = y
    if x.requires_grad:
        out[name + ".x_grad"] = x.grad
    for k, p in m.named_parameters():
        out[name + ".grad." + k] = p.grad
    for k, b in m.named_buffers():
        out[name + ".buffer." + k] = b
`,
      inputs,
    );
    return { ours, torch };
  })();
  return reference;
}

for (const [i, c] of CASES.entries()) {
  Deno.test(`${c.name}: forward, gradients, buffers, state dict keys and printout match PyTorch`, async () => {
    const { ours, torch } = await compareAll();
    const { y, inputGrad, paramGrads, buffers, keys, repr } = ours[i]!;
    assert.deepEqual(keys, textOf(torch[`${c.name}.keys`]), "state dict keys, in PyTorch's order");
    assert.equal(repr, String(textOf(torch[`${c.name}.repr`])).replace(/,? ?inplace=True/g, ""));
    diffs.close(y, torch[`${c.name}.y`], `${c.name} forward`);
    if (inputGrad) diffs.close(inputGrad, torch[`${c.name}.x_grad`], `${c.name} input grad`);
    assert.ok(paramGrads.length > 0 || !c.name.startsWith("sn"), "spectral norm trains weight_orig");
    for (const [name, grad] of paramGrads) {
      diffs.close(grad, torch[`${c.name}.grad.${name}`], `${c.name} ${name}.grad`);
    }
    for (const [name, buffer] of buffers) {
      diffs.close(buffer, torch[`${c.name}.buffer.${name}`], `${c.name} ${name}`);
    }
    if (i === CASES.length - 1) showDiffs("stabiliser layers vs PyTorch, max |diff|:");
  });
}

Deno.test("spectral norm over 3 Adam steps of two forwards each, then eval, matches PyTorch (Conv2d and ConvTranspose2d)", async () => {
  const layers = [
    { name: "conv", make: () => new Conv2d(3, 5, 3, { padding: 1 }), torch: "nn.Conv2d(3, 5, 3, padding=1)" },
    { name: "convt", make: () => new ConvTranspose2d(3, 5, 3), torch: "nn.ConvTranspose2d(3, 5, 3)" },
  ];
  const inputs: Record<string, Tensor> = {};
  const ours: Record<string, Tensor> = {};
  for (const { name, make } of layers) {
    manualSeed(31);
    using m = spectralNorm(make());
    const optimizer = new Adam(m.parameters(), { lr: 0.01, betas: [0.0, 0.9] });
    for (let step = 0; step < 3; step++) {
      const [real, fake] = [randn([2, 3, 6, 6]), randn([2, 3, 6, 6])];
      inputs[`${name}.real${step}`] = real;
      inputs[`${name}.fake${step}`] = fake;
      m.zeroGrad();
      // a hinge D loss: both forwards first, then one backward through both
      using loss = tidy(() =>
        m.forward(real).rsub(1).relu().mean().add(m.forward(fake).add(1).relu().mean())
      );
      tidy(() => loss.backward());
      optimizer.step();
      ours[`${name}.loss${step}`] = loss.detach();
      const state = m.stateDict();
      for (const [k, v] of Object.entries(state)) ours[`${name}.${step}.${k}`] = v.clone();
      disposeAll(state);
    }
    m.eval();
    const probe = randn([2, 3, 6, 6]);
    inputs[`${name}.probe`] = probe;
    ours[`${name}.eval`] = m.forward(probe);
    ours[`${name}.eval_u`] = m.weight_u.clone();
  }
  const torch = await runTorch(
    STABILISERS_PY + `
for name, make in [${layers.map((l) => `("${l.name}", lambda: ${l.torch})`).join(", ")}]:
    torch.manual_seed(31)
    m = spectral_norm(make())
    optimizer = torch.optim.Adam(m.parameters(), lr=0.01, betas=(0.0, 0.9))
    for step in range(3):
        m.zero_grad()
        loss = F.relu(1 - m(inp[f"{name}.real{step}"])).mean() + F.relu(1 + m(inp[f"{name}.fake{step}"])).mean()
        loss.backward()
        optimizer.step()
        out[f"{name}.loss{step}"] = loss
        for k, v in m.state_dict().items():
            out[f"{name}.{step}.{k}"] = v.clone()
    m.eval()
    out[name + ".eval"] = m(inp[name + ".probe"])
    out[name + ".eval_u"] = m.weight_u
`,
    inputs,
  );
  for (const [key, value] of Object.entries(ours)) diffs.close(value, torch[key], `sn steps ${key}`);
  const [u2, uEval] = [ours["conv.2.weight_u"]!, ours["conv.eval_u"]!];
  assert.equal(tidy(() => u2.sub(uEval).abs().max().item()), 0, "eval mode leaves u as it was");
  disposeAll(ours);
  disposeAll(inputs);
  showDiffs("spectral norm steps vs PyTorch, max |diff|:");
});

Deno.test("spectralNorm draws u and v as PyTorch does after the same seed, and keeps the weight trainable", async () => {
  manualSeed(5);
  using conv = spectralNorm(new Conv2d(3, 4, 2));
  using up = spectralNorm(new ConvTranspose2d(4, 2, 3, { bias: false }));
  using attention = new SelfAttention(8, { spectralNorm: true });
  const torch = await runTorch(
    STABILISERS_PY + `
torch.manual_seed(5)
for i, m in enumerate([spectral_norm(nn.Conv2d(3, 4, 2)), spectral_norm(nn.ConvTranspose2d(4, 2, 3, bias=False)), SelfAttention(8, sn=True)]):
    for k, v in m.state_dict().items():
        out[f"{i}.{k}"] = v
`,
  );
  [conv, up, attention].forEach((m, i) => {
    const state = m.stateDict();
    for (const [key, value] of Object.entries(state)) {
      diffs.close(value, torch[`${i}.${key}`], `init ${i}.${key}`, { rtol: 0, atol: 0 });
    }
    disposeAll(state);
  });
  assert.deepEqual(spectralNormSettings(up), { nPowerIterations: 1, eps: 1e-12, dim: 1 });
  assert.equal(spectralNormSettings(new Tanh()), undefined);
  assert.equal(conv.weight, conv.weight_orig, "outside forward, weight is weight_orig");
  assert.deepEqual(conv.namedParameters().map(([k]) => k), ["bias", "weight_orig"]);
  assert.deepEqual(conv.namedBuffers().map(([k]) => k), ["weight_u", "weight_v"]);
});

Deno.test("Dropout draws PyTorch's mask after the same seed, scales by 1/(1-p), and passes through in eval", async () => {
  manualSeed(77);
  using drop = new Dropout(0.3);
  using x = ones([4, 50]);
  using trained = drop.forward(x);
  using again = drop.forward(x);
  drop.eval();
  using evaluated = drop.forward(x);
  const torch = await runTorch(`
torch.manual_seed(77)
drop = nn.Dropout(0.3)
out["trained"] = drop(torch.ones(4, 50))
out["again"] = drop(torch.ones(4, 50))
`);
  diffs.close(trained, torch.trained, "dropout mask", { rtol: 0, atol: 0 });
  diffs.close(again, torch.again, "dropout second mask", { rtol: 0, atol: 0 });
  diffs.close(evaluated, { shape: [4, 50], data: new Float64Array(200).fill(1) }, "dropout eval", {
    rtol: 0,
    atol: 0,
  });
  assert.equal(String(drop), "Dropout(p=0.3, inplace=False)");
});

Deno.test("minibatchGroupSize is min(groupSize, n) when it divides n, else the largest divisor below", () => {
  const cases: [number, number, number][] = [[4, 8, 4], [4, 2, 2], [4, 74, 2], [4, 9, 3], [4, 7, 1], [
    1,
    5,
    1,
  ]];
  for (const [group, n, expected] of cases) {
    assert.equal(minibatchGroupSize(group, n), expected, `${group}, ${n}`);
  }
});

Deno.test("spectral-norm layers keep the live tensor count flat over steps and free everything on dispose", () => {
  manualSeed(1);
  const net = new SelfAttention(8, { spectralNorm: true });
  using x = randn([2, 8, 4, 4], { requiresGrad: true });
  const step = () => tidy(() => net.forward(x).square().sum().backward());
  step();
  const before = liveTensorCount();
  for (let i = 0; i < 3; i++) step();
  net.zeroGrad();
  x.zeroGrad();
  step();
  assert.equal(liveTensorCount(), before, "no handle is left behind by a forward and backward");
  const owned = [...net.parameters(), ...net.namedBuffers().map(([, b]) => b)];
  net.dispose();
  assert.ok(owned.every((t) => t.isDisposed), "dispose() frees weight_orig, weight_u and weight_v");
});

Deno.test("bad stabiliser settings throw RangeError or TypeError naming the value", () => {
  const conv = spectralNorm(new Conv2d(3, 4, 3));
  const cases: [() => unknown, ErrorConstructor, RegExp][] = [
    [
      () => spectralNorm(conv),
      TypeError,
      /Conv2d already has spectral norm: apply spectralNorm once per layer/,
    ],
    [() => spectralNorm(new Tanh() as unknown as Linear), TypeError, /Tanh's weight is not one/],
    [
      () => spectralNorm(new Linear(2, 2), { nPowerIterations: 0 }),
      RangeError,
      /nPowerIterations must be a positive integer, got 0/,
    ],
    [
      () => spectralNorm(new Linear(2, 2), { dim: 2 }),
      RangeError,
      /dim must be in \[0, 2\) for Linear, got 2/,
    ],
    [() => new Dropout(1.5), RangeError, /Dropout p must be in \[0, 1\], got 1.5/],
    [() => new MinibatchStdDev(0), RangeError, /MinibatchStdDev groupSize must be a positive integer, got 0/],
    [() => new SelfAttention(4), RangeError, /SelfAttention channels must be at least 8/],
    [() => new BatchNorm1d(0), RangeError, /BatchNorm1d numFeatures must be a positive integer/],
    [() => new Unflatten(-1, [2]), RangeError, /Unflatten dim must be an integer >= 0, got -1/],
  ];
  for (const [make, kind, message] of cases) {
    assert.throws(make, (e: Error) => e instanceof kind && message.test(e.message), String(message));
  }
  conv.dispose();
});

Deno.test("stabiliser layers refuse inputs of the wrong shape with a TypeError naming the expected shape", () => {
  using bn = new BatchNorm1d(4);
  using attention = new SelfAttention(8);
  using x = randn([2, 5, 3, 3]);
  using one = randn([1, 4]);
  using threeDims = randn([2, 3, 4]);
  const cases: [() => unknown, string][] = [
    [() => bn.forward(x), "BatchNorm1d expects input of shape [N, 4] or [N, 4, L], got [2, 5, 3, 3]"],
    [
      () => bn.forward(one),
      "BatchNorm1d expects more than 1 value per channel when training, got input of shape [1, 4]: use a batch of 2 or more, or eval()",
    ],
    [() => attention.forward(x), "SelfAttention expects input of shape [B, 8, H, W], got [2, 5, 3, 3]"],
    [
      () => new Unflatten(1, [2, 2]).forward(x),
      "Unflatten expects dim 1 of size 4 (2 x 2), got [2, 5, 3, 3]",
    ],
    [
      () => new MinibatchStdDev().forward(threeDims),
      "MinibatchStdDev expects input of shape [N, C, H, W] or [N, F], got [2, 3, 4]",
    ],
  ];
  for (const [run, message] of cases) {
    assert.throws(run, (e: Error) => e instanceof TypeError && e.message === message, message);
  }
});
