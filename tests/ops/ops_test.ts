// Every op against PyTorch on the same inputs: forward values, and for differentiable ops the
// gradients of sum(y * g) with respect to each float input. One Python run checks the whole table.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

type Inputs = Record<string, Tensor>;

interface OpCase {
  /** What is compared; also the key prefix. */
  name: string;
  /** Input shapes; each input is N(0, 1) unless `make` says otherwise. */
  inputs: Record<string, number[]>;
  /** Ours. */
  ours: (x: Inputs) => Tensor;
  /** PyTorch's, as a Python expression over `x[...]`. */
  torch: string;
  /** Check gradients of every input (default true). */
  grad?: boolean;
  /** Map an input before use (e.g. make it positive), applied on both sides. */
  positive?: string[];
  /** Tolerance overrides. */
  rtol?: number;
  atol?: number;
}

const CASES: OpCase[] = [
  {
    name: "add",
    inputs: { a: [3, 4], b: [4] },
    ours: (x) => x.a!.add(x.b!, 0.5),
    torch: "torch.add(x['a'], x['b'], alpha=0.5)",
  },
  { name: "add_scalar", inputs: { a: [3, 4] }, ours: (x) => x.a!.add(2.5), torch: "x['a'] + 2.5" },
  { name: "sub", inputs: { a: [2, 3], b: [2, 1] }, ours: (x) => x.a!.sub(x.b!), torch: "x['a'] - x['b']" },
  { name: "rsub", inputs: { a: [5] }, ours: (x) => x.a!.rsub(1), torch: "1 - x['a']" },
  { name: "mul", inputs: { a: [2, 3], b: [3] }, ours: (x) => x.a!.mul(x.b!), torch: "x['a'] * x['b']" },
  { name: "mul_scalar", inputs: { a: [4] }, ours: (x) => x.a!.mul(-3), torch: "x['a'] * -3" },
  {
    name: "div",
    inputs: { a: [3, 2], b: [3, 2] },
    positive: ["b"],
    ours: (x) => x.a!.div(x.b!),
    torch: "x['a'] / x['b']",
  },
  { name: "div_scalar", inputs: { a: [4] }, ours: (x) => x.a!.div(4), torch: "x['a'] / 4" },
  {
    name: "pow",
    inputs: { a: [4], b: [4] },
    positive: ["a"],
    ours: (x) => x.a!.pow(x.b!),
    torch: "torch.pow(x['a'], x['b'])",
  },
  { name: "pow_scalar", inputs: { a: [4] }, ours: (x) => x.a!.pow(2), torch: "x['a'] ** 2" },
  { name: "neg", inputs: { a: [4] }, ours: (x) => x.a!.neg(), torch: "-x['a']" },
  { name: "abs", inputs: { a: [4] }, ours: (x) => x.a!.abs(), torch: "x['a'].abs()" },
  { name: "exp", inputs: { a: [4] }, ours: (x) => x.a!.exp(), torch: "x['a'].exp()" },
  { name: "log", inputs: { a: [4] }, positive: ["a"], ours: (x) => x.a!.log(), torch: "x['a'].log()" },
  { name: "sqrt", inputs: { a: [4] }, positive: ["a"], ours: (x) => x.a!.sqrt(), torch: "x['a'].sqrt()" },
  { name: "rsqrt", inputs: { a: [4] }, positive: ["a"], ours: (x) => x.a!.rsqrt(), torch: "x['a'].rsqrt()" },
  { name: "square", inputs: { a: [4] }, ours: (x) => x.a!.square(), torch: "x['a'].square()" },
  { name: "clamp", inputs: { a: [8] }, ours: (x) => x.a!.clamp(-0.5, 0.5), torch: "x['a'].clamp(-0.5, 0.5)" },
  { name: "clamp_min", inputs: { a: [8] }, ours: (x) => x.a!.clamp(0), torch: "x['a'].clamp(min=0)" },
  {
    name: "maximum",
    inputs: { a: [6], b: [6] },
    ours: (x) => x.a!.maximum(x.b!),
    torch: "torch.maximum(x['a'], x['b'])",
  },
  {
    name: "minimum",
    inputs: { a: [6], b: [6] },
    ours: (x) => x.a!.minimum(x.b!),
    torch: "torch.minimum(x['a'], x['b'])",
  },
  {
    name: "matmul",
    inputs: { a: [3, 5], b: [5, 2] },
    ours: (x) => x.a!.matmul(x.b!),
    torch: "x['a'] @ x['b']",
  },
  {
    name: "matmul_batched",
    inputs: { a: [2, 3, 5], b: [5, 4] },
    ours: (x) => x.a!.matmul(x.b!),
    torch: "x['a'] @ x['b']",
  },
  { name: "sum_all", inputs: { a: [3, 4] }, ours: (x) => x.a!.sum(), torch: "x['a'].sum()" },
  {
    name: "sum_dims",
    inputs: { a: [2, 3, 4] },
    ours: (x) => x.a!.sum([0, 2], { keepdim: true }),
    torch: "x['a'].sum(dim=[0, 2], keepdim=True)",
  },
  { name: "mean_all", inputs: { a: [3, 4] }, ours: (x) => x.a!.mean(), torch: "x['a'].mean()" },
  { name: "mean_dim", inputs: { a: [3, 4] }, ours: (x) => x.a!.mean(1), torch: "x['a'].mean(dim=1)" },
  { name: "amax", inputs: { a: [3, 4] }, ours: (x) => x.a!.amax(0), torch: "x['a'].amax(dim=0)" },
  { name: "amin", inputs: { a: [3, 4] }, ours: (x) => x.a!.amin(1), torch: "x['a'].amin(dim=1)" },
  { name: "max_all", inputs: { a: [3, 4] }, ours: (x) => x.a!.max(), torch: "x['a'].max()" },
  { name: "var", inputs: { a: [3, 5] }, ours: (x) => x.a!.var(1), torch: "x['a'].var(dim=1)" },
  {
    name: "var_all_biased",
    inputs: { a: [7] },
    ours: (x) => x.a!.var(undefined, { unbiased: false }),
    torch: "x['a'].var(unbiased=False)",
  },
  {
    name: "argmax",
    inputs: { a: [3, 4] },
    grad: false,
    ours: (x) => x.a!.argmax(1),
    torch: "x['a'].argmax(dim=1)",
  },
  {
    name: "reshape",
    inputs: { a: [2, 6] },
    ours: (x) => x.a!.reshape([3, -1]),
    torch: "x['a'].reshape(3, -1)",
  },
  { name: "view", inputs: { a: [2, 6] }, ours: (x) => x.a!.view([4, 3]), torch: "x['a'].view(4, 3)" },
  {
    name: "permute",
    inputs: { a: [2, 3, 4] },
    ours: (x) => x.a!.permute([2, 0, 1]),
    torch: "x['a'].permute(2, 0, 1)",
  },
  {
    name: "transpose",
    inputs: { a: [2, 3] },
    ours: (x) => x.a!.transpose(0, 1),
    torch: "x['a'].transpose(0, 1)",
  },
  { name: "flatten", inputs: { a: [2, 3, 4] }, ours: (x) => x.a!.flatten(1), torch: "x['a'].flatten(1)" },
  {
    name: "unsqueeze_squeeze",
    inputs: { a: [3] },
    ours: (x) => t.tidy(() => x.a!.unsqueeze(0).unsqueeze(2).squeeze(0)),
    torch: "x['a'].unsqueeze(0).unsqueeze(2).squeeze(0)",
  },
  { name: "expand", inputs: { a: [3, 1] }, ours: (x) => x.a!.expand([3, 4]), torch: "x['a'].expand(3, 4)" },
  {
    name: "slice",
    inputs: { a: [6, 4] },
    ours: (x) => x.a!.slice(0, 1, 5, 2),
    torch: "x['a'][1:5:2]",
  },
  { name: "slice_negative", inputs: { a: [6] }, ours: (x) => x.a!.slice(0, -3), torch: "x['a'][-3:]" },
  { name: "select", inputs: { a: [3, 4] }, ours: (x) => x.a!.select(1, -1), torch: "x['a'][:, -1]" },
  {
    name: "cat",
    inputs: { a: [2, 3], b: [1, 3] },
    ours: (x) => t.cat([x.a!, x.b!]),
    torch: "torch.cat([x['a'], x['b']])",
  },
  {
    name: "stack",
    inputs: { a: [2, 3], b: [2, 3] },
    ours: (x) => t.stack([x.a!, x.b!], 1),
    torch: "torch.stack([x['a'], x['b']], 1)",
  },
  {
    name: "where",
    inputs: { a: [5], b: [5] },
    ours: (x) => t.tidy(() => t.where(x.a!.gt(0), x.a!, x.b!)),
    torch: "torch.where(x['a'] > 0, x['a'], x['b'])",
  },
  {
    name: "compare",
    inputs: { a: [5], b: [5] },
    grad: false,
    ours: (x) => x.a!.ge(x.b!),
    torch: "x['a'] >= x['b']",
  },
  { name: "relu", inputs: { a: [10] }, ours: (x) => t.relu(x.a!), torch: "F.relu(x['a'])" },
  {
    name: "leaky_relu",
    inputs: { a: [10] },
    ours: (x) => t.leakyRelu(x.a!, 0.2),
    torch: "F.leaky_relu(x['a'], 0.2)",
  },
  { name: "tanh", inputs: { a: [10] }, ours: (x) => t.tanh(x.a!), torch: "torch.tanh(x['a'])" },
  { name: "sigmoid", inputs: { a: [10] }, ours: (x) => t.sigmoid(x.a!), torch: "torch.sigmoid(x['a'])" },
  { name: "softplus", inputs: { a: [10] }, ours: (x) => t.softplus(x.a!), torch: "F.softplus(x['a'])" },
  {
    name: "conv2d",
    inputs: { x: [2, 3, 9, 9], w: [4, 3, 4, 4], b: [4] },
    ours: (x) => t.conv2d(x.x!, x.w!, x.b!, { stride: 2, padding: 1 }),
    torch: "F.conv2d(x['x'], x['w'], x['b'], stride=2, padding=1)",
    rtol: 1e-4,
    atol: 1e-5,
  },
  {
    name: "conv2d_groups_dilation",
    inputs: { x: [1, 4, 8, 8], w: [6, 2, 3, 3] },
    ours: (x) => t.conv2d(x.x!, x.w!, undefined, { padding: [2, 1], dilation: 2, groups: 2 }),
    torch: "F.conv2d(x['x'], x['w'], None, padding=(2, 1), dilation=2, groups=2)",
    rtol: 1e-4,
    atol: 1e-5,
  },
  {
    name: "conv_transpose2d",
    inputs: { x: [2, 6, 4, 4], w: [6, 3, 4, 4], b: [3] },
    ours: (x) => t.convTranspose2d(x.x!, x.w!, x.b!, { stride: 2, padding: 1 }),
    torch: "F.conv_transpose2d(x['x'], x['w'], x['b'], stride=2, padding=1)",
    rtol: 1e-4,
    atol: 1e-5,
  },
  {
    name: "conv_transpose2d_output_padding",
    inputs: { x: [1, 4, 3, 3], w: [4, 2, 3, 3] },
    ours: (x) => t.convTranspose2d(x.x!, x.w!, undefined, { stride: 2, padding: 1, outputPadding: 1 }),
    torch: "F.conv_transpose2d(x['x'], x['w'], None, stride=2, padding=1, output_padding=1)",
    rtol: 1e-4,
    atol: 1e-5,
  },
  {
    name: "batch_norm_train",
    inputs: { x: [4, 3, 2, 2], w: [3], b: [3] },
    ours: (x) => t.batchNorm(x.x!, undefined, undefined, { weight: x.w!, bias: x.b!, training: true }),
    torch: "F.batch_norm(x['x'], None, None, x['w'], x['b'], training=True)",
    rtol: 1e-4,
    atol: 1e-5,
  },
  {
    name: "batch_norm_eval",
    inputs: { x: [4, 3, 2, 2], m: [3], v: [3], w: [3], b: [3] },
    positive: ["v"],
    grad: false,
    ours: (x) => t.batchNorm(x.x!, x.m!, x.v!, { weight: x.w!, bias: x.b! }),
    torch: "F.batch_norm(x['x'], x['m'], x['v'], x['w'], x['b'], training=False)",
  },
  {
    name: "layer_norm",
    inputs: { x: [2, 3, 4], w: [3, 4], b: [3, 4] },
    ours: (x) => t.layerNorm(x.x!, [3, 4], { weight: x.w!, bias: x.b! }),
    torch: "F.layer_norm(x['x'], [3, 4], x['w'], x['b'])",
    rtol: 1e-4,
    atol: 1e-5,
  },
  {
    name: "linear",
    inputs: { x: [3, 5], w: [2, 5], b: [2] },
    ours: (x) => t.linear(x.x!, x.w!, x.b!),
    torch: "F.linear(x['x'], x['w'], x['b'])",
  },
  {
    name: "bce",
    inputs: { p: [6], y: [6] },
    positive: ["p", "y"],
    ours: (x) => t.tidy(() => t.binaryCrossEntropy(x.p!.sigmoid(), x.y!.sigmoid())),
    torch: "F.binary_cross_entropy(x['p'].sigmoid(), x['y'].sigmoid())",
  },
  {
    name: "bce_sum",
    inputs: { p: [6], y: [6] },
    ours: (x) => t.tidy(() => t.binaryCrossEntropy(x.p!.sigmoid(), x.y!.sigmoid(), { reduction: "sum" })),
    torch: "F.binary_cross_entropy(x['p'].sigmoid(), x['y'].sigmoid(), reduction='sum')",
  },
  {
    name: "bce_with_logits",
    inputs: { p: [6], y: [6] },
    ours: (x) => t.tidy(() => t.binaryCrossEntropyWithLogits(x.p!, x.y!.sigmoid())),
    torch: "F.binary_cross_entropy_with_logits(x['p'], x['y'].sigmoid())",
  },
  {
    name: "bce_with_logits_weights",
    inputs: { p: [6], y: [6], w: [6], pw: [6] },
    positive: ["pw"],
    grad: false,
    ours: (x) =>
      t.tidy(() => t.binaryCrossEntropyWithLogits(x.p!, x.y!.sigmoid(), { weight: x.w!, posWeight: x.pw! })),
    torch: "F.binary_cross_entropy_with_logits(x['p'], x['y'].sigmoid(), weight=x['w'], pos_weight=x['pw'])",
  },
  {
    name: "mse",
    inputs: { a: [6], b: [6] },
    ours: (x) => t.mseLoss(x.a!, x.b!),
    torch: "F.mse_loss(x['a'], x['b'])",
  },
];

function inputsFor(c: OpCase, seed: number): Record<string, Tensor> {
  t.manualSeed(seed);
  const out: Record<string, Tensor> = {};
  for (const [key, shape] of Object.entries(c.inputs)) {
    out[key] = t.tidy(() => {
      const raw = t.randn(shape);
      return c.positive?.includes(key) ? raw.abs().add(0.5) : raw;
    });
  }
  return out;
}

Deno.test("Tensor ops match PyTorch forward and backward (table of " + CASES.length + " ops)", async () => {
  const feed: Record<string, Tensor> = {};
  const ours: Record<string, Tensor> = {};
  let script = "";
  CASES.forEach((c, i) => {
    const raw = inputsFor(c, 100 + i);
    const wantGrad = c.grad ?? true;
    const leaves: Inputs = {};
    for (const [key, value] of Object.entries(raw)) {
      feed[`${c.name}__${key}`] = value;
      leaves[key] = wantGrad ? value.detach().requiresGrad_(true) : value;
    }
    const y = c.ours(leaves);
    ours[`${c.name}__y`] = y;
    script += `x = {k[len('${c.name}__'):]: v.clone().requires_grad_(${wantGrad ? "True" : "False"}) ` +
      `for k, v in inp.items() if k.startswith('${c.name}__')}\n`;
    script += `y = ${c.torch}\nout['${c.name}__y'] = y\n`;
    if (wantGrad) {
      const g = t.tidy(() => t.randn(y.shape).add(1));
      feed[`${c.name}__g`] = g;
      t.tidy(() => y.mul(g).sum().backward());
      script += `g = inp['${c.name}__g']\n(y * g).sum().backward()\n`;
      for (const key of Object.keys(c.inputs)) {
        ours[`${c.name}__d${key}`] = leaves[key]!.grad!;
        script += `out['${c.name}__d${key}'] = x['${key}'].grad\n`;
      }
    }
  });
  const expected = await runTorch(script, feed);
  for (const c of CASES) {
    for (const [key, value] of Object.entries(ours)) {
      if (!key.startsWith(`${c.name}__`)) continue;
      assertClose(value, expected[key], { rtol: c.rtol ?? 1e-5, atol: c.atol ?? 1e-6 }, key);
    }
  }
  for (const value of [...Object.values(feed), ...Object.values(ours)]) value.dispose();
});

Deno.test("randn, rand and normal_ after manualSeed give PyTorch's numbers", async () => {
  t.manualSeed(1234);
  using a = t.randn([3, 5]);
  using b = t.rand([4]);
  using c = t.empty([2, 3]).normal_(1, 0.02);
  using d = t.randn([2], { dtype: "float64" });
  const expected = await runTorch(`
    torch.manual_seed(1234)
    out['a'] = torch.randn(3, 5)
    out['b'] = torch.rand(4)
    out['c'] = torch.empty(2, 3).normal_(1, 0.02)
    out['d'] = torch.randn(2, dtype=torch.float64)
  `);
  assertClose(a, expected.a, { rtol: 0, atol: 0 }, "randn");
  assertClose(b, expected.b, { rtol: 0, atol: 0 }, "rand");
  assertClose(c, expected.c, { rtol: 0, atol: 0 }, "normal_");
  assertClose(d, expected.d, { rtol: 0, atol: 0 }, "randn float64");
});

Deno.test("getRngState and setRngState replay the same numbers", () => {
  t.manualSeed(7);
  using state = t.getRngState();
  using first = t.randn([4]);
  t.setRngState(state);
  using again = t.randn([4]);
  assert.deepEqual(Array.from(again.toArray() as Float32Array), Array.from(first.toArray() as Float32Array));
});

Deno.test("tensor() keeps values, shapes and dtypes; readback widens half types", () => {
  using a = t.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, "float32");
  assert.deepEqual(Array.from(a.toArray() as Float32Array), [1, 2, 3, 4, 5, 6]);
  using b = t.tensor(new Float64Array([0.1, 0.2]), { shape: [2, 1] });
  assert.equal(b.dtype, "float64");
  assert.deepEqual(b.shape, [2, 1]);
  using c = t.tensor(new BigInt64Array([3n, -4n]));
  assert.equal(c.dtype, "int64");
  assert.deepEqual(Array.from(c.toArray() as BigInt64Array), [3n, -4n]);
  using h = t.tensor([0.5, 1.5, -2], { dtype: "float16" });
  assert.equal(h.dtype, "float16");
  assert.deepEqual(Array.from(h.toArray() as Float32Array), [0.5, 1.5, -2]);
  using bf = t.tensor([1, 2], { dtype: "bfloat16" });
  assert.equal(bf.dtype, "bfloat16");
  using bools = t.tensor([1, 0, 1], { dtype: "bool" });
  assert.equal(bools.dtype, "bool");
  assert.deepEqual(Array.from(bools.toArray() as Uint8Array), [1, 0, 1]);
  using u8 = t.tensor(new Uint8Array([1, 255]));
  assert.equal(u8.dtype, "uint8");
  using i32 = t.tensor(new Int32Array([7]));
  assert.equal(i32.dtype, "int32");
  using scalar = t.tensor(3.5);
  assert.deepEqual(scalar.shape, []);
  assert.equal(scalar.item(), 3.5);
  using converted = a.to("int64");
  assert.equal(converted.dtype, "int64");
  assert.equal(a.device, "cpu");
});

Deno.test("factories make the right shapes, dtypes and values", () => {
  using z = t.zeros([2, 3], { dtype: "float64" });
  assert.deepEqual([z.shape, z.dtype, z.sum().item()], [[2, 3], "float64", 0]);
  using o = t.ones([4]);
  assert.equal(o.sum().item(), 4);
  using f = t.full([2, 2], 7);
  assert.equal(f.mean().item(), 7);
  using r = t.arange(0, 10, { step: 2, dtype: "int64" });
  assert.deepEqual(Array.from(r.toArray() as BigInt64Array), [0n, 2n, 4n, 6n, 8n]);
  using r1 = t.arange(3);
  assert.deepEqual(Array.from(r1.toArray() as Float32Array), [0, 1, 2]);
  using p = t.randperm(5);
  assert.deepEqual(Array.from(p.toArray() as BigInt64Array).map(Number).sort(), [0, 1, 2, 3, 4]);
  using ri = t.randint(2, 4, [100]);
  assert.ok(Array.from(ri.toArray() as BigInt64Array).every((v) => v === 2n || v === 3n));
});

Deno.test("in-place ops update the tensor like PyTorch's", async () => {
  t.manualSeed(3);
  using a = t.randn([5]);
  using b = t.randn([5]);
  using c = t.randn([5]).abs().add(0.1);
  using x = a.clone();
  x.mul_(0.5).add_(b, 0.25).addcmul_(b, c, 0.1).addcdiv_(a, c, -0.2).lerp_(b, 0.3).clamp_(-1, 1);
  using y = a.clone().fill_(2).add_(1).div_(4).mul_(b).copy_(c).zero_();
  const expected = await runTorch(
    `
    a, b, c = inp['a'], inp['b'], inp['c']
    x = a.clone()
    x.mul_(0.5).add_(b, alpha=0.25).addcmul_(b, c, value=0.1).addcdiv_(a, c, value=-0.2).lerp_(b, 0.3).clamp_(-1, 1)
    out['x'] = x
  `,
    { a, b, c },
  );
  assertClose(x, expected.x, {}, "in-place chain");
  assert.equal(y.abs().sum().item(), 0);
});

Deno.test("grad() computes differentiable gradients like torch.autograd.grad", async () => {
  using x = t.tensor([0.5, -1, 2], { requiresGrad: true });
  using y = t.tidy(() => x.pow(3).sum());
  const [dx] = t.grad([y], [x], { createGraph: true });
  using penalty = t.tidy(() => dx!.square().sum());
  penalty.backward();
  const expected = await runTorch(
    `
    x = inp['x'].clone().requires_grad_(True)
    (dx,) = torch.autograd.grad([(x ** 3).sum()], [x], create_graph=True)
    (dx ** 2).sum().backward()
    out['dx'] = dx
    out['ddx'] = x.grad
  `,
    { x: t.tensor([0.5, -1, 2]) },
  );
  assertClose(dx!, expected.dx, {}, "dx");
  using ddx = x.grad!;
  assertClose(ddx, expected.ddx, {}, "d(|dx|^2)/dx");
  dx!.dispose();
});

Deno.test("noGrad() stops recording and restores the mode, even after a throw", () => {
  using w = t.ones([2], { requiresGrad: true });
  using y = t.noGrad(() => w.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.throws(() =>
    t.noGrad(() => {
      throw new Error("boom");
    })
  );
  assert.equal(t.isGradEnabled(), true);
  using z = w.mul(2);
  assert.equal(z.requiresGrad, true);
  using zn = t.noGrad(() => t.enableGrad(() => w.mul(2)));
  assert.equal(zn.requiresGrad, true);
});

Deno.test("backward accumulates into .grad and zeroGrad drops it", () => {
  using w = t.tensor([1, 2], { requiresGrad: true });
  t.tidy(() => w.mul(3).sum().backward());
  t.tidy(() => w.mul(3).sum().backward());
  using g = w.grad!;
  assert.deepEqual(Array.from(g.toArray() as Float32Array), [6, 6]);
  w.zeroGrad();
  assert.equal(w.grad, undefined);
  assert.equal(w.isLeaf, true);
});
