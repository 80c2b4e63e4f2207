// The oneDNN route for convTranspose2d (ffi/conv_fast.cpp) against PyTorch's F.conv_transpose2d:
// forward values and the gradients of sum(y * g) with respect to input, weight and bias, with the
// fast paths on and off. Cases the route does not take (groups, float64, dilation) must fall back to
// libtorch's kernel, so on and off give identical bits there.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import type { ConvTranspose2dOptions, Tensor } from "../../mod.ts";
import { assertClose, runTorch, type TorchValue } from "../torch_ref.ts";

interface ConvCase {
  /** What is compared; also the key prefix on the Python side. */
  name: string;
  /** Input (N, C_in, H, W). */
  x: number[];
  /** Weight (C_in, C_out / groups, kH, kW). */
  w: number[];
  /** With a bias of C_out values. */
  bias: boolean;
  options: ConvTranspose2dOptions;
  dtype?: "float32" | "float64";
  /** Whether the oneDNN route applies; if not, fast on and off must agree bit for bit. */
  fast: boolean;
}

const CASES: ConvCase[] = [
  // the DCGAN generator's layers (nz 128, ngf 64, nc 3), smaller batches
  { name: "g0_1x1_to_4x4", x: [5, 128, 1, 1], w: [128, 512, 4, 4], bias: false, options: {}, fast: true },
  {
    name: "g1_512_to_256",
    x: [1, 512, 4, 4],
    w: [512, 256, 4, 4],
    bias: false,
    options: { stride: 2, padding: 1 },
    fast: true,
  },
  {
    name: "g1_512_to_256_bias_batch5",
    x: [5, 512, 4, 4],
    w: [512, 256, 4, 4],
    bias: true,
    options: { stride: 2, padding: 1 },
    fast: true,
  },
  {
    name: "g4_64_to_3",
    x: [5, 64, 32, 32],
    w: [64, 3, 4, 4],
    bias: false,
    options: { stride: 2, padding: 1 },
    fast: true,
  },
  {
    name: "g4_64_to_3_bias_batch1",
    x: [1, 64, 32, 32],
    w: [64, 3, 4, 4],
    bias: true,
    options: { stride: 2, padding: 1 },
    fast: true,
  },
  // geometry beyond the DCGAN's
  {
    name: "output_padding",
    x: [5, 16, 7, 7],
    w: [16, 8, 3, 3],
    bias: true,
    options: { stride: 2, padding: 1, outputPadding: 1 },
    fast: true,
  },
  {
    name: "odd_sizes_asymmetric",
    x: [5, 7, 5, 3],
    w: [7, 6, 3, 5],
    bias: true,
    options: { stride: [2, 3], padding: [1, 2], outputPadding: [1, 2] },
    fast: true,
  },
  { name: "kernel_1x1_batch1", x: [1, 9, 6, 5], w: [9, 4, 1, 1], bias: true, options: {}, fast: true },
  // libtorch's own kernel
  {
    name: "fallback_groups2",
    x: [3, 8, 5, 5],
    w: [8, 3, 4, 4],
    bias: true,
    options: { stride: 2, padding: 1, groups: 2 },
    fast: false,
  },
  {
    name: "fallback_float64",
    x: [3, 6, 4, 4],
    w: [6, 5, 4, 4],
    bias: true,
    options: { stride: 2, padding: 1 },
    dtype: "float64",
    fast: false,
  },
  {
    name: "fallback_dilation2",
    x: [3, 6, 5, 5],
    w: [6, 4, 3, 3],
    bias: false,
    options: { stride: 2, padding: 1, dilation: 2 },
    fast: false,
  },
];

function py(value: number | readonly number[] | undefined, fallback: number): string {
  const v = value ?? fallback;
  return typeof v === "number" ? String(v) : `(${v.join(", ")})`;
}

function torchCall(c: ConvCase, x: string, w: string, b: string): string {
  const o = c.options;
  return `F.conv_transpose2d(${x}, ${w}, ${b}, stride=${py(o.stride, 1)}, padding=${py(o.padding, 0)}, ` +
    `output_padding=${py(o.outputPadding, 0)}, groups=${o.groups ?? 1}, dilation=${py(o.dilation, 1)})`;
}

/** Within 1e-4 relative, elementwise or of the tensor's largest magnitude (for sums that cancel). */
function assertNear(actual: Tensor, expected: TorchValue | undefined, label: string): void {
  let scale = 0;
  for (const v of expected?.data ?? []) scale = Math.max(scale, Math.abs(v));
  assertClose(actual, expected, { rtol: 1e-4, atol: 1e-4 * scale }, label);
}

interface Result {
  y: Tensor;
  gx: Tensor;
  gw: Tensor;
  gb?: Tensor;
}

function inputsOf(c: ConvCase): { x: Tensor; w: Tensor; b?: Tensor; g: Tensor } {
  const dtype = c.dtype ?? "float32";
  const x = t.randn(c.x, { dtype, requiresGrad: true });
  const w = t.randn(c.w, { dtype, requiresGrad: true });
  const b = c.bias ? t.randn([c.w[1]! * (c.options.groups ?? 1)], { dtype, requiresGrad: true }) : undefined;
  using probe = t.noGrad(() => t.convTranspose2d(x, w, b, c.options));
  const g = t.randn(probe.shape, { dtype });
  return { x, w, b, g };
}

function run(c: ConvCase, inputs: { x: Tensor; w: Tensor; b?: Tensor; g: Tensor }, fast: boolean): Result {
  t.setFastPaths(fast);
  try {
    return t.tidy(() => {
      const { x, w, b, g } = inputs;
      const y = t.convTranspose2d(x, w, b, c.options);
      const [gx, gw, gb] = t.grad([y.mul(g).sum()], b ? [x, w, b] : [x, w]);
      return { y, gx: gx!, gw: gw!, gb };
    });
  } finally {
    t.setFastPaths(true);
  }
}

Deno.test("convTranspose2d matches PyTorch forward and backward with fast paths on and off", async () => {
  t.manualSeed(6);
  const feed: Record<string, Tensor> = {};
  const ours: { c: ConvCase; fast: Result; slow: Result }[] = [];
  let script = "";
  for (const c of CASES) {
    const inputs = inputsOf(c);
    feed[`${c.name}_x`] = inputs.x;
    feed[`${c.name}_w`] = inputs.w;
    feed[`${c.name}_g`] = inputs.g;
    if (inputs.b) feed[`${c.name}_b`] = inputs.b;
    ours.push({ c, fast: run(c, inputs, true), slow: run(c, inputs, false) });
    const n = c.name;
    const b = inputs.b ? `inp['${n}_b'].requires_grad_()` : "None";
    script += `
x, w, b = inp['${n}_x'].requires_grad_(), inp['${n}_w'].requires_grad_(), ${b}
y = ${torchCall(c, "x", "w", "b")}
grads = torch.autograd.grad((y * inp['${n}_g']).sum(), [v for v in (x, w, b) if v is not None])
out['${n}_y'], out['${n}_gx'], out['${n}_gw'] = y, grads[0], grads[1]
if b is not None: out['${n}_gb'] = grads[2]
`;
  }
  const expected = await runTorch(script, feed);
  for (const { c, fast, slow } of ours) {
    for (const [mode, r] of [["fast on", fast], ["fast off", slow]] as const) {
      assertNear(r.y, expected[`${c.name}_y`], `${c.name} (${mode}) forward`);
      assertNear(r.gx, expected[`${c.name}_gx`], `${c.name} (${mode}) grad input`);
      assertNear(r.gw, expected[`${c.name}_gw`], `${c.name} (${mode}) grad weight`);
      if (c.bias) assertNear(r.gb!, expected[`${c.name}_gb`], `${c.name} (${mode}) grad bias`);
    }
    if (!c.fast) {
      // a case the route does not take runs libtorch's kernel either way: the same bits
      assert.deepEqual(fast.y.toArray(), slow.y.toArray(), `${c.name} forward differs between on and off`);
      assert.deepEqual(
        fast.gw.toArray(),
        slow.gw.toArray(),
        `${c.name} grad weight differs between on and off`,
      );
    }
  }
  for (const { fast, slow } of ours) {
    for (const r of [fast, slow]) for (const v of Object.values(r)) v?.dispose();
  }
  for (const v of Object.values(feed)) v.dispose();
});

Deno.test("setFastPaths() switches the route and fastPathsEnabled() reports it", () => {
  assert.equal(t.fastPathsEnabled(), true);
  t.setFastPaths(false);
  assert.equal(t.fastPathsEnabled(), false);
  t.setFastPaths(true);
  assert.equal(t.fastPathsEnabled(), true);
});

Deno.test("fast convTranspose2d gives gradients to the inputs that need them and only those", () => {
  t.manualSeed(7);
  const options = { stride: 2, padding: 1 };
  using x = t.randn([2, 16, 4, 4]);
  using w = t.randn([16, 8, 4, 4], { requiresGrad: true });
  using xg = x.detach().requiresGrad_();
  using frozen = w.detach();
  const loss = (input: Tensor, weight: Tensor) =>
    t.tidy(() => t.convTranspose2d(input, weight, undefined, options).square().sum());
  t.setFastPaths(false);
  const [refX, refW] = t.tidy(() => t.grad([loss(xg, w)], [xg, w]));
  t.setFastPaths(true);
  using _refX = refX!;
  using _refW = refW!;
  const near = (actual: Tensor, expected: Tensor, label: string) =>
    assertNear(
      actual,
      { shape: expected.shape, data: expected.to("float64").toArray() as Float64Array },
      label,
    );
  // the generator's first layer: the noise needs no gradient, the weight does
  t.tidy(() => loss(x, w).backward());
  assert.equal(x.grad, undefined);
  using gw = w.grad!;
  near(gw, refW!, "grad weight with a constant input");
  // a frozen weight: only the input's gradient
  t.tidy(() => loss(xg, frozen).backward());
  assert.equal(frozen.grad, undefined);
  using gx = xg.grad!;
  near(gx, refX!, "grad input with a frozen weight");
  // no gradient mode: no graph
  t.noGrad(() => {
    using y = t.convTranspose2d(xg, w, undefined, options);
    assert.equal(y.requiresGrad, false);
  });
});

Deno.test("fast convTranspose2d supports double backward (gradient penalties) as PyTorch does", async () => {
  t.manualSeed(8);
  const options = { stride: 2, padding: 1 };
  using x = t.randn([3, 12, 5, 5], { requiresGrad: true });
  using w = t.randn([12, 6, 4, 4], { requiresGrad: true });
  using b = t.randn([6], { requiresGrad: true });
  using g = t.randn([3, 6, 10, 10]);
  const [dx, dw] = t.tidy(() => {
    const y = t.convTranspose2d(x, w, b, options);
    const [gx, gw] = t.grad([y.mul(g).sum()], [x, w], { createGraph: true });
    const penalty = gx!.square().sum().add(gw!.square().sum());
    return t.grad([penalty], [x, w]);
  });
  using _dx = dx!;
  using _dw = dw!;
  const expected = await runTorch(
    `
x, w, b = inp['x'].requires_grad_(), inp['w'].requires_grad_(), inp['b'].requires_grad_()
y = F.conv_transpose2d(x, w, b, stride=2, padding=1)
gx, gw = torch.autograd.grad((y * inp['g']).sum(), [x, w], create_graph=True)
out['dx'], out['dw'] = torch.autograd.grad((gx ** 2).sum() + (gw ** 2).sum(), [x, w])
`,
    { x, w, b, g },
  );
  assertNear(dx!, expected.dx, "double backward wrt input");
  assertNear(dw!, expected.dw, "double backward wrt weight");
});

Deno.test("fast convTranspose2d leaves no tensors behind and falls back with libtorch's errors", () => {
  t.manualSeed(9);
  using x = t.randn([2, 8, 4, 4], { requiresGrad: true });
  using w = t.randn([8, 4, 4, 4], { requiresGrad: true });
  const before = t.liveTensorCount();
  for (let i = 0; i < 3; i++) {
    t.tidy(() => t.convTranspose2d(x, w, undefined, { stride: 2, padding: 1 }).square().sum().backward());
    x.zeroGrad();
    w.zeroGrad();
  }
  assert.equal(t.liveTensorCount(), before);
  using wrong = t.randn([5, 4, 4, 4]);
  assert.throws(
    () => t.convTranspose2d(x, wrong),
    (e: Error) => e instanceof t.TorchError && e.message.startsWith("convTranspose2d failed"),
  );
});
