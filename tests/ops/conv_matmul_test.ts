// The matrix-product route for bfloat16 convolutions whose kernel covers the whole input (ffi/conv_matmul.cpp):
// DCGAN's first generator layer (1x1 to 4x4) and its discriminator's last (4x4 to 1x1). Each is checked
// against float64 on libtorch's reference kernels from the same bf16-rounded values (forward, gradients,
// double backward as R1 takes it), directly in bfloat16 and under CPU autocast, NCHW and channels_last;
// layers and dtypes the route does not take must give the same bits with the fast paths on and off.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import type { Tensor } from "../../mod.ts";

type Kind = "transposed" | "conv";

interface Case {
  name: string;
  kind: Kind;
  x: number[];
  w: number[];
  bias: boolean;
  channelsLast: boolean;
}

const CASES: Case[] = [
  {
    name: "G's first layer",
    kind: "transposed",
    x: [5, 16, 1, 1],
    w: [16, 12, 4, 4],
    bias: false,
    channelsLast: false,
  },
  {
    name: "G's first layer, NHWC",
    kind: "transposed",
    x: [5, 16, 1, 1],
    w: [16, 12, 4, 4],
    bias: true,
    channelsLast: true,
  },
  {
    name: "a 3x2 kernel",
    kind: "transposed",
    x: [2, 6, 1, 1],
    w: [6, 5, 3, 2],
    bias: true,
    channelsLast: false,
  },
  {
    name: "D's last layer",
    kind: "conv",
    x: [5, 24, 4, 4],
    w: [1, 24, 4, 4],
    bias: false,
    channelsLast: false,
  },
  {
    name: "D's last layer, NHWC",
    kind: "conv",
    x: [5, 24, 4, 4],
    w: [3, 24, 4, 4],
    bias: true,
    channelsLast: true,
  },
  { name: "a 2x3 input", kind: "conv", x: [3, 7, 2, 3], w: [4, 7, 2, 3], bias: true, channelsLast: false },
];

function apply(c: Case, x: Tensor, w: Tensor, b: Tensor | undefined): Tensor {
  return c.kind === "transposed"
    ? t.convTranspose2d(x, w, b, { stride: 2 })
    : t.conv2d(x, w, b, { stride: 3 });
}

interface Leaves {
  x: Tensor;
  w: Tensor;
  b?: Tensor;
}

/** Leaves of `dtype` holding the same bf16-rounded values, channels_last where the case says. */
function leaves(c: Case, values: Leaves, dtype: "bfloat16" | "float32" | "float64"): Leaves {
  const leaf = (v: Tensor) => t.tidy(() => v.to(dtype).detach().requiresGrad_(true));
  const shaped = (v: Tensor) =>
    c.channelsLast ? t.tidy(() => v.contiguous("channels_last").detach().requiresGrad_(true)) : v;
  return { x: shaped(leaf(values.x)), w: shaped(leaf(values.w)), b: values.b && leaf(values.b) };
}

interface Outcome {
  y: Tensor;
  grads: Tensor[];
  /** d/dx of sum(y²) taken with create_graph, then d/dw of its sum of squares: R1's double backward. */
  doubleGrad: Tensor;
}

function outcome(c: Case, l: Leaves, g: Tensor, autocast: boolean): Outcome {
  return t.tidy(() => {
    const forward = () => apply(c, l.x, l.w, l.b);
    const run = () => autocast ? t.autocast("bfloat16", forward, { device: "cpu" }) : forward();
    const y = run();
    const params = l.b ? [l.x, l.w, l.b] : [l.x, l.w];
    const grads = t.grad([y.mul(g.to(y.dtype)).sum()], params) as Tensor[];
    const [gx] = t.grad([run().square().sum()], [l.x], { createGraph: true });
    const [doubleGrad] = t.grad([gx!.square().sum()], [l.w]);
    return { y, grads, doubleGrad: doubleGrad! };
  });
}

/** Within `rtol` of the float64 tensor's largest magnitude, elementwise. */
function assertNearScale(actual: Tensor, expected: Tensor, rtol: number, label: string): void {
  t.tidy(() => {
    const scale = expected.abs().max().item();
    const error = actual.to("float64").sub(expected).abs().max().item();
    assert.ok(
      error <= rtol * scale,
      `${label}: off by ${error.toExponential(2)} of ${scale.toExponential(2)}`,
    );
  });
}

Deno.test("whole-input convolutions in bfloat16 match float64 forward, backward and double backward", () => {
  t.manualSeed(12);
  for (const c of CASES) {
    for (const autocast of [false, true]) {
      const values: Leaves = t.tidy(() => ({
        x: t.randn(c.x).to("bfloat16").to("float32"),
        w: t.randn(c.w).mul(0.2).to("bfloat16").to("float32"),
        b: c.bias
          ? t.randn([c.kind === "transposed" ? c.w[1]! : c.w[0]!]).to("bfloat16").to("float32")
          : undefined,
      }));
      const g = t.noGrad(() => t.randn(apply(c, values.x, values.w, values.b).shape));
      const ours = outcome(c, leaves(c, values, autocast ? "float32" : "bfloat16"), g, autocast);
      t.setFastPaths(false); // libtorch's reference kernels in float64
      const exact = (() => {
        try {
          return outcome(c, leaves(c, values, "float64"), g.to("float64"), false);
        } finally {
          t.setFastPaths(true);
        }
      })();
      const label = `${c.name}${autocast ? " under autocast" : ""}`;
      assert.equal(ours.y.dtype, "bfloat16", `${label}: output dtype`);
      if (c.channelsLast && c.kind === "transposed") {
        assert.ok(
          ours.y.isContiguous("channels_last"),
          `${label}: a channels_last layer gives channels_last`,
        );
      }
      assertNearScale(ours.y, exact.y, 8e-3, `${label} forward`);
      ours.grads.forEach((grad, i) =>
        assertNearScale(grad, exact.grads[i]!, 1.6e-2, `${label} gradient ${i}`)
      );
      assertNearScale(ours.doubleGrad, exact.doubleGrad, 3e-2, `${label} double backward`);
      for (const v of [values.x, values.w, values.b, g, ours.y, ...ours.grads, ours.doubleGrad]) v?.dispose();
      for (const v of [exact.y, ...exact.grads, exact.doubleGrad]) v.dispose();
    }
  }
});

Deno.test("layers the matrix-product route does not take give the same bits with the fast paths on and off", () => {
  t.manualSeed(13);
  const run = (fast: boolean, f: () => Tensor): number[] => {
    t.setFastPaths(fast);
    try {
      return t.tidy(() => Array.from(f().to("float32").toFloat32Array()));
    } finally {
      t.setFastPaths(true);
    }
  };
  using x32 = t.randn([3, 8, 4, 4]);
  using w32 = t.randn([2, 8, 4, 4]);
  using xb = x32.to("bfloat16");
  using wb = w32.to("bfloat16");
  const layers: [string, () => Tensor][] = [
    ["float32 whole-input conv2d", () => t.conv2d(x32, w32)],
    ["bfloat16 conv2d with padding", () => t.conv2d(xb, wb, undefined, { padding: 1 })],
    ["bfloat16 conv2d, kernel smaller than the input", () => t.conv2d(xb, wb.slice(2, 0, 3).slice(3, 0, 3))],
  ];
  for (const [label, layer] of layers) assert.deepEqual(run(true, layer), run(false, layer), label);
});
