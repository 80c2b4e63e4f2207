// The fused DiffAugment kernel (ffi/diff_augment.cpp) where PyTorch's reference is not the comparison:
// bfloat16 images, and the second derivative R1 takes through the augmentation. Each is held to the
// ATen-composed path (fast paths off) at the same seed; augment_test.ts holds both to PyTorch in float32.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import { type Augmentation, diffAugment } from "../../tasks/gan/augment.ts";
import { assertClose, type TorchValue } from "../torch_ref.ts";

const ALL: Augmentation[] = ["color", "translation", "cutout"];

/** The composed path's values, as assertClose takes the expected side. */
function reference(x: t.Tensor): TorchValue {
  using wide = x.to("float64");
  return { shape: x.shape, data: wide.toArray() as Float64Array };
}

/** `run()` with the fast paths as given, then on again. */
function withFastPaths<T>(on: boolean, run: () => T): T {
  t.setFastPaths(on);
  try {
    return run();
  } finally {
    t.setFastPaths(true);
  }
}

Deno.test("fused DiffAugment on bfloat16 images: the ATen ops' images and gradient, within bf16 rounding", () => {
  t.manualSeed(7);
  using source = t.randn([6, 3, 16, 16]);
  using squashed = source.tanh();
  using images = squashed.to("bfloat16");
  using upstream = t.randn([6, 3, 16, 16]);
  const run = (fast: boolean) =>
    withFastPaths(fast, () => {
      using x = images.detach().requiresGrad_(true);
      t.manualSeed(11);
      const y = diffAugment(x, ALL);
      using after = t.rand([2]);
      using weighted = y.mul(upstream);
      using total = weighted.sum();
      total.backward();
      return { y, grad: x.grad!.to("float32"), after: Array.from(after.toArray() as Float32Array) };
    });
  const fused = run(true), composed = run(false);
  try {
    assert.equal(fused.y.dtype, "bfloat16");
    assert.deepEqual(fused.after, composed.after, "the same draws");
    // the ATen ops round to bf16 after each of ~9 ops (values up to ~2, 0.016 apart at most when written);
    // the kernel rounds once
    using fusedY = fused.y.to("float32");
    using composedY = composed.y.to("float32");
    assertClose(fusedY, reference(composedY), { rtol: 0, atol: 0.03 }, "bf16 images");
    assertClose(fused.grad, reference(composed.grad), { rtol: 0.01, atol: 0.03 }, "bf16 gradient");
  } finally {
    [fused.y, fused.grad, composed.y, composed.grad].forEach((x) => x.dispose());
  }
});

Deno.test("fused DiffAugment's double backward (R1 through the augmentation) is the ATen ops'", () => {
  t.manualSeed(3);
  using source = t.randn([4, 3, 12, 12], { dtype: "float64" });
  using images = source.tanh();
  using weights = t.randn([3, 12, 12], { dtype: "float64" });
  const run = (fast: boolean) =>
    withFastPaths(fast, () => {
      using x = images.detach().requiresGrad_(true);
      using w = weights.detach().requiresGrad_(true);
      t.manualSeed(5);
      // a nonlinear "D": its input gradient depends on x and w, so the penalty's gradient needs the
      // augmentation's backward differentiated again
      using y = diffAugment(x, ALL);
      using squashed = y.tanh();
      using scored = squashed.mul(w);
      using score = scored.sum();
      const [g] = t.grad([score], [x], { createGraph: true });
      using gradient = g!;
      using squares = gradient.square();
      using penalty = squares.sum();
      penalty.backward();
      return { gradient: gradient.detach(), dx: x.grad!.ref(), dw: w.grad!.ref() };
    });
  const fused = run(true), composed = run(false);
  try {
    const exact = { rtol: 1e-9, atol: 1e-12 };
    assertClose(fused.gradient, reference(composed.gradient), exact, "R1's gradient");
    assertClose(fused.dx, reference(composed.dx), exact, "the penalty's gradient in x");
    assertClose(fused.dw, reference(composed.dw), exact, "the penalty's gradient in D's weights");
  } finally {
    Object.values(fused).concat(Object.values(composed)).forEach((x) => x.dispose());
  }
});
