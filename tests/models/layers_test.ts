// Layers against torch.nn on the same weights: forward values, gradients of the input and of every
// parameter, and buffers after the step. PyTorch loads our state dict with strict=True, so every case
// also checks that our keys and shapes are PyTorch's. One Python run serves the whole table.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import type { Module, Tensor } from "../../mod.ts";
import { DiffLog, runTorch, type TorchValue } from "../torch_ref.ts";

/** Largest |ours - PyTorch's| per label, printed when DCGAN_SHOW_DIFFS=1. */
const diffs = new DiffLog();

function disposeAll(...records: Record<string, Tensor>[]): void {
  for (const record of records) for (const tensor of Object.values(record)) tensor.dispose();
}

function showDiffs(title: string): void {
  if (Deno.env.get("DCGAN_SHOW_DIFFS") !== "1") return;
  console.log(title, Math.max(...diffs.largest.values()), Object.fromEntries(diffs.largest));
}

interface LayerCase {
  /** What is compared; also the prefix of its PyTorch inputs and outputs. */
  name: string;
  /** Ours. */
  make: () => Module;
  /** PyTorch's, as a Python expression. */
  torch: string;
  /** The input's shape (N(0, 1) values). */
  input: number[];
  /** Make the input int64 indices below this bound instead (Embedding). */
  indicesBelow?: number;
}

const CASES: LayerCase[] = [
  {
    name: "conv2d",
    make: () => new t.Conv2d(3, 4, 3, { stride: 2, padding: 1 }),
    torch: "nn.Conv2d(3, 4, 3, stride=2, padding=1)",
    input: [2, 3, 8, 8],
  },
  {
    name: "conv2d_grouped",
    make: () => new t.Conv2d(4, 6, [3, 2], { padding: [1, 0], dilation: 2, groups: 2, bias: false }),
    torch: "nn.Conv2d(4, 6, (3, 2), padding=(1, 0), dilation=2, groups=2, bias=False)",
    input: [2, 4, 9, 9],
  },
  {
    name: "conv_transpose2d",
    make: () => new t.ConvTranspose2d(4, 3, 4, { stride: 2, padding: 1 }),
    torch: "nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1)",
    input: [2, 4, 5, 5],
  },
  {
    name: "conv_transpose2d_output_padding",
    make: () => new t.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1, bias: false }),
    torch: "nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, bias=False)",
    input: [2, 4, 4, 4],
  },
  { name: "batch_norm2d", make: () => new t.BatchNorm2d(3), torch: "nn.BatchNorm2d(3)", input: [4, 3, 5, 5] },
  {
    name: "batch_norm2d_options",
    make: () => new t.BatchNorm2d(2, { eps: 1e-3, momentum: 0.3 }),
    torch: "nn.BatchNorm2d(2, eps=1e-3, momentum=0.3)",
    input: [3, 2, 4, 4],
  },
  { name: "relu", make: () => new t.ReLU(), torch: "nn.ReLU(True)", input: [2, 3, 4, 4] },
  { name: "leaky_relu", make: () => new t.LeakyReLU(), torch: "nn.LeakyReLU()", input: [2, 3, 4, 4] },
  {
    name: "leaky_relu_0.2",
    make: () => new t.LeakyReLU(0.2),
    torch: "nn.LeakyReLU(0.2)",
    input: [2, 3, 4, 4],
  },
  { name: "tanh", make: () => new t.Tanh(), torch: "nn.Tanh()", input: [2, 3, 4, 4] },
  { name: "sigmoid", make: () => new t.Sigmoid(), torch: "nn.Sigmoid()", input: [2, 3, 4, 4] },
  { name: "linear", make: () => new t.Linear(5, 3), torch: "nn.Linear(5, 3)", input: [4, 5] },
  {
    name: "linear_no_bias",
    make: () => new t.Linear(5, 3, { bias: false }),
    torch: "nn.Linear(5, 3, bias=False)",
    input: [2, 4, 5],
  },
  {
    name: "embedding",
    make: () => new t.Embedding(10, 4),
    torch: "nn.Embedding(10, 4)",
    input: [2, 3],
    indicesBelow: 10,
  },
  {
    name: "layer_norm",
    make: () => new t.LayerNorm([3, 4, 4]),
    torch: "nn.LayerNorm([3, 4, 4])",
    input: [2, 3, 4, 4],
  },
  {
    name: "sequential",
    make: () =>
      new t.Sequential(
        new t.Conv2d(3, 4, 4, { stride: 2, padding: 1 }),
        new t.BatchNorm2d(4),
        new t.LeakyReLU(0.2),
      ),
    torch: "nn.Sequential(nn.Conv2d(3, 4, 4, 2, 1), nn.BatchNorm2d(4), nn.LeakyReLU(0.2, inplace=True))",
    input: [4, 3, 8, 8],
  },
];

interface Ours {
  y: Tensor;
  inputGrad?: Tensor;
  paramGrads: [string, Tensor][];
  buffers: [string, Tensor][];
}

let reference: Promise<{ ours: Ours[]; torch: Record<string, TorchValue> }> | undefined;

/** Runs every case here (random weights, one forward and backward in training mode) and in PyTorch, once. */
function compareAll(): Promise<{ ours: Ours[]; torch: Record<string, TorchValue> }> {
  reference ??= (async () => {
    const inputs: Record<string, Tensor> = {};
    const ours = CASES.map((c, i) => {
      t.manualSeed(100 + i);
      const m = c.make();
      t.noGrad(() => m.parameters().forEach((p) => p.normal_(0, 0.5))); // not the default init, to test more
      for (const [key, value] of Object.entries(m.stateDict())) {
        inputs[`${c.name}.sd.${key}`] = value.clone(); // a snapshot: forward updates running stats in place
        value.dispose();
      }
      const x = c.indicesBelow === undefined
        ? t.randn(c.input, { requiresGrad: true })
        : t.randint(0, c.indicesBelow, c.input);
      const y = m.forward(x);
      const g = t.randn(y.shape);
      t.tidy(() => y.mul(g).sum().backward());
      Object.assign(inputs, { [`${c.name}.x`]: x, [`${c.name}.g`]: g });
      return {
        y,
        inputGrad: x.requiresGrad ? x.grad : undefined,
        paramGrads: m.namedParameters().map(([name, p]) => [name, p.grad!] as [string, Tensor]),
        buffers: m.namedBuffers(),
      };
    });
    const cases = CASES.map((c) => `(${JSON.stringify(c.name)}, lambda: ${c.torch})`).join(", ");
    const torch = await runTorch(
      `
      for name, make in [${cases}]:
          m = make()
          sd = {k[len(name) + 4:]: v for k, v in inp.items() if k.startswith(name + ".sd.")}
          m.load_state_dict(sd, strict=True)
          m.train()
          x = inp[name + ".x"]
          if x.is_floating_point():
              x = x.clone().requires_grad_(True)
          y = m(x.clone() if x.requires_grad else x)  # a non-leaf, so in-place layers (ReLU(True)) work
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
  Deno.test(`${c.name}: forward, input and parameter gradients, and buffers match torch.nn`, async () => {
    const { ours, torch } = await compareAll();
    const { y, inputGrad, paramGrads, buffers } = ours[i]!;
    diffs.close(y, torch[`${c.name}.y`], `${c.name} forward`);
    if (inputGrad) diffs.close(inputGrad, torch[`${c.name}.x_grad`], `${c.name} input grad`);
    for (const [name, grad] of paramGrads) {
      diffs.close(grad, torch[`${c.name}.grad.${name}`], `${c.name} ${name}.grad`);
    }
    for (const [name, buffer] of buffers) {
      diffs.close(buffer, torch[`${c.name}.buffer.${name}`], `${c.name} ${name}`);
    }
    if (i === CASES.length - 1) showDiffs("layers vs torch.nn, max |diff|:");
  });
}

Deno.test("default init equals PyTorch's after the same seed (Conv2d, ConvTranspose2d, Linear, Embedding)", async () => {
  t.manualSeed(7);
  const layers = [
    new t.Conv2d(3, 8, 4),
    new t.ConvTranspose2d(8, 4, 4, { groups: 2 }),
    new t.Linear(6, 5),
    new t.Embedding(4, 3),
    new t.BatchNorm2d(2),
  ];
  const torch = await runTorch(`
    torch.manual_seed(7)
    layers = [nn.Conv2d(3, 8, 4), nn.ConvTranspose2d(8, 4, 4, groups=2), nn.Linear(6, 5), nn.Embedding(4, 3), nn.BatchNorm2d(2)]
    for i, m in enumerate(layers):
        for k, v in m.state_dict().items():
            out[f"{i}.{k}"] = v
  `);
  layers.forEach((layer, i) => {
    const state = layer.stateDict();
    assert.deepEqual(
      Object.keys(state),
      Object.keys(torch).filter((k) => k.startsWith(`${i}.`)).map((k) => k.slice(2)),
    );
    for (const [key, value] of Object.entries(state)) {
      diffs.close(value, torch[`${i}.${key}`], `init ${i}.${key}`, { rtol: 0, atol: 0 });
    }
    disposeAll(state);
    layer.dispose();
  });
});

Deno.test("BatchNorm2d tracks running stats and num_batches_tracked in training, and uses them in eval", async () => {
  for (const momentum of [0.1, null]) {
    t.manualSeed(11);
    using bn = new t.BatchNorm2d(3, { momentum });
    const batches = [0, 1, 2].map((k) => t.randn([4, 3, 2, 2]).mul(k + 1).add(k));
    using probe = t.randn([2, 3, 2, 2]);
    t.tidy(() => batches.forEach((b) => bn.forward(b)));
    assert.equal(bn.num_batches_tracked.item(), 3);
    assert.equal(bn.num_batches_tracked.dtype, "int64");
    bn.eval();
    using evalOut = bn.forward(probe);
    assert.equal(bn.num_batches_tracked.item(), 3, "eval leaves num_batches_tracked alone");
    const torch = await runTorch(
      `
      bn = nn.BatchNorm2d(3, momentum=${momentum === null ? "None" : momentum})
      for k in range(3):
          bn(inp[f"b{k}"])
      bn.eval()
      out["eval"] = bn(inp["probe"])
      out["running_mean"] = bn.running_mean
      out["running_var"] = bn.running_var
      out["tracked"] = bn.num_batches_tracked
    `,
      { b0: batches[0]!, b1: batches[1]!, b2: batches[2]!, probe },
    );
    const label = `BatchNorm2d momentum ${momentum}`;
    diffs.close(bn.running_mean, torch.running_mean, `${label} running_mean`);
    diffs.close(bn.running_var, torch.running_var, `${label} running_var`);
    diffs.close(bn.num_batches_tracked, torch.tracked, `${label} num_batches_tracked`, { rtol: 0, atol: 0 });
    diffs.close(evalOut, torch.eval, `${label} eval forward`);
    batches.forEach((b) => b.dispose());
  }
});

Deno.test("state dict keys, order, shapes and dtypes are PyTorch's", () => {
  using net = new t.Sequential(
    new t.Conv2d(3, 4, 3),
    new t.BatchNorm2d(4),
    new t.ReLU(),
    new t.Linear(4, 2, { bias: false }),
  );
  const state = net.stateDict();
  const described = Object.entries(state).map(([k, v]) => `${k} [${v.shape}] ${v.dtype}`);
  assert.deepEqual(described, [
    "0.weight [4,3,3,3] float32",
    "0.bias [4] float32",
    "1.weight [4] float32",
    "1.bias [4] float32",
    "1.running_mean [4] float32",
    "1.running_var [4] float32",
    "1.num_batches_tracked [] int64",
    "3.weight [2,4] float32",
  ]);
  assert.deepEqual(net.namedParameters().map(([k]) => k), [
    "0.weight",
    "0.bias",
    "1.weight",
    "1.bias",
    "3.weight",
  ]);
  assert.deepEqual(net.namedBuffers().map(([k]) => k), [
    "1.running_mean",
    "1.running_var",
    "1.num_batches_tracked",
  ]);
  for (const p of net.parameters()) {
    assert.ok(p.isLeaf && p.requiresGrad, "parameters are leaves that record gradients");
  }
  for (const v of Object.values(state)) {
    assert.equal(v.requiresGrad, false, "stateDict() tensors are detached");
  }
  disposeAll(state);
});

function conv(): Module {
  return new t.Sequential(new t.Conv2d(3, 8, 4), new t.BatchNorm2d(8));
}

Deno.test("loadStateDict copies values, converting dtype (float16 and float64 into float32)", () => {
  using a = conv();
  using b = conv();
  const state = a.stateDict();
  const half = Object.fromEntries(
    Object.entries(state).map(([k, v]) => [k, v.to(v.dtype === "int64" ? "int64" : "float16")]),
  );
  const result = b.loadStateDict(half);
  assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
  using wa = a.stateDict()["0.weight"]!;
  using wb = b.stateDict()["0.weight"]!;
  assert.equal(wb.dtype, "float32");
  using diff = wa.sub(wb).abs().max();
  assert.ok(diff.item() < 1e-3 && diff.item() > 0, "float16 values were converted, not bit-copied");
  disposeAll(state, half);
});

Deno.test("loadStateDict with a wrong shape names the key and both shapes, and copies nothing", () => {
  using small = new t.Sequential(new t.Conv2d(3, 8, 4), new t.BatchNorm2d(8));
  using big = new t.Sequential(new t.Conv2d(3, 16, 4), new t.BatchNorm2d(8));
  const state = big.stateDict();
  using before = small.stateDict()["1.weight"]!.clone();
  t.noGrad(() => state["1.weight"]!.fill_(5));
  assert.throws(() => small.loadStateDict(state), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(
      e.message,
      /^Cannot load state dict: key "0\.weight" has shape \[16,3,4,4\], expected \[8,3,4,4\]; key "0\.bias" has shape \[16\], expected \[8\]/,
    );
    return true;
  });
  assert.throws(
    () => small.loadStateDict(state, { strict: false }),
    /key "0\.weight" has shape \[16,3,4,4\], expected \[8,3,4,4\]/,
  );
  using after = small.stateDict()["1.weight"]!;
  assert.equal(t.tidy(() => after.sub(before).abs().sum().item()), 0, "nothing is copied when a check fails");
  disposeAll(state);
});

Deno.test("loadStateDict lists missing and unexpected keys when strict, and skips them otherwise", () => {
  using net = conv();
  const state = net.stateDict();
  state["0.bias"]!.dispose();
  delete state["0.bias"];
  state["2.weight"] = t.zeros([1]);
  assert.throws(() => net.loadStateDict(state), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.equal(
      e.message,
      'Cannot load state dict: missing keys "0.bias" and unexpected keys "2.weight"; build the module with the ' +
        "config it was saved from, or pass { strict: false } to skip them",
    );
    return true;
  });
  assert.deepEqual(net.loadStateDict(state, { strict: false }), {
    missingKeys: ["0.bias"],
    unexpectedKeys: ["2.weight"],
  });
  assert.throws(
    () => net.loadStateDict({ ...state, "0.weight": 3 as unknown as Tensor }),
    /key "0\.weight" holds number/,
  );
  disposeAll(state);
});

Deno.test("a module made inside tidy() keeps its parameters, and dispose() frees them all", () => {
  // Checked tensor by tensor: the live count is process-wide, and --parallel test files share it.
  const net = t.tidy(() => new t.Sequential(new t.Conv2d(3, 4, 3), new t.BatchNorm2d(4), new t.ReLU()));
  const owned = [...net.parameters(), ...net.namedBuffers().map(([, b]) => b)];
  assert.equal(owned.length, 2 + 5);
  assert.ok(owned.every((x) => !x.isDisposed), "tidy() left the parameters and buffers alone");
  assert.equal(t.tidy(() => net.forward(t.randn([2, 3, 5, 5])).shape.length), 4);
  net.dispose();
  net.dispose();
  assert.ok(owned.every((x) => x.isDisposed), "dispose() freed every parameter and buffer");
});

/** Passes its input through a copy and remembers the copy, to see whether Sequential frees it. */
class Spy extends t.Module {
  outputs: Tensor[] = [];
  override forward(input: Tensor): Tensor {
    const output = input.mul(1);
    this.outputs.push(output);
    return output;
  }
}

Deno.test("Sequential frees its intermediate outputs; gradients still flow", () => {
  const [first, middle, last] = [new Spy(), new Spy(), new Spy()];
  using net = new t.Sequential(
    first,
    new t.Conv2d(3, 4, 3),
    middle,
    new t.BatchNorm2d(4),
    new t.ReLU(),
    last,
  );
  using x = t.randn([2, 3, 8, 8]);
  using y = net.forward(x);
  assert.ok(first.outputs[0]!.isDisposed && middle.outputs[0]!.isDisposed, "intermediates are freed");
  assert.equal(last.outputs[0], y, "the output is returned, not freed");
  assert.equal(x.isDisposed, false, "the input belongs to the caller");
  t.tidy(() => y.sum().backward());
  for (const p of net.parameters()) {
    using g = p.grad;
    assert.ok(g !== undefined);
  }
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === undefined), "zeroGrad() sets gradients to none");
});

Deno.test("train()/eval() reach every descendant, and apply() visits children before parents", () => {
  using net = new t.Sequential(new t.Conv2d(1, 1, 1), new t.Sequential(new t.BatchNorm2d(1), new t.Tanh()));
  assert.equal(net.training, true);
  net.eval();
  assert.ok(net.namedModules().every(([, m]) => !m.training));
  net.train();
  assert.ok(net.namedModules().every(([, m]) => m.training));
  const order: string[] = [];
  net.apply((m) => order.push(m.constructor.name));
  assert.deepEqual(order, ["Conv2d", "BatchNorm2d", "Tanh", "Sequential", "Sequential"]);
  assert.deepEqual(net.namedModules().map(([name]) => name), ["", "0", "1", "1.0", "1.1"]);
  assert.equal(net.to("cpu"), net);
  assert.equal(net.parameterCount(), 2 + 2);
});

Deno.test("layers print as PyTorch prints them", () => {
  using net = new t.Sequential(
    new t.ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1, bias: false }),
    new t.LeakyReLU(0.2),
  );
  assert.equal(
    String(net),
    "Sequential(\n" +
      "  (0): ConvTranspose2d(16, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)\n" +
      "  (1): LeakyReLU(negative_slope=0.2)\n" +
      ")",
  );
});

Deno.test("bad layer hyperparameters throw RangeError naming the value", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => new t.Conv2d(0, 4, 3), /Conv2d inChannels must be a positive integer, got 0/],
    [() => new t.Conv2d(3, 4.5, 3), /Conv2d outChannels must be a positive integer, got 4.5/],
    [() => new t.Conv2d(3, 4, 0), /Conv2d kernelSize must be an integer >= 1/],
    [() => new t.Conv2d(3, 4, 3, { padding: -1 }), /Conv2d padding must be an integer >= 0/],
    [() => new t.Conv2d(3, 4, 3, { groups: 2 }), /Conv2d groups must divide inChannels \(3\)/],
    [() => new t.ConvTranspose2d(4, 4, 3, { stride: 0 }), /ConvTranspose2d stride must be an integer >= 1/],
    [() => new t.BatchNorm2d(-1), /BatchNorm2d numFeatures must be a positive integer/],
    [() => new t.BatchNorm2d(4, { momentum: 2 }), /BatchNorm2d momentum must be in \[0, 1\] or null, got 2/],
    [() => new t.BatchNorm2d(4, { eps: -1 }), /BatchNorm2d eps must be a number >= 0, got -1/],
    [() => new t.LeakyReLU(NaN), /LeakyReLU negativeSlope must be a finite number/],
    [() => new t.Linear(3, 0), /Linear outFeatures must be a positive integer/],
    [() => new t.Embedding(0, 3), /Embedding numEmbeddings must be a positive integer/],
  ];
  for (const [make, message] of cases) {
    assert.throws(make, (e: Error) => e instanceof RangeError && message.test(e.message));
  }
});

Deno.test("inputs of the wrong shape or dtype throw TypeError naming the expected shape", () => {
  using conv2d = new t.Conv2d(3, 4, 3);
  using bn = new t.BatchNorm2d(4);
  using fc = new t.Linear(5, 2);
  using table = new t.Embedding(5, 2);
  using x = t.randn([2, 5, 8, 8]);
  const cases: [() => unknown, string][] = [
    [() => conv2d.forward(x), "Conv2d expects input of shape [N, 3, H, W], got [2, 5, 8, 8]"],
    [() => bn.forward(x), "BatchNorm2d expects input of shape [N, 4, H, W], got [2, 5, 8, 8]"],
    [() => fc.forward(x), "Linear expects input of shape [..., 5], got [2, 5, 8, 8]"],
    [
      () => table.forward(x),
      'Embedding expects int64 or int32 indices, got float32: convert with .to("int64")',
    ],
  ];
  for (const [run, message] of cases) {
    assert.throws(run, (e: Error) => e instanceof TypeError && e.message === message);
  }
});
