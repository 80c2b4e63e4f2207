// DiffAugment against the authors' PyTorch semantics (./diffaugment_ref.ts): the same input, the same seed
// (so the same libtorch draws), the same output and the same gradient with respect to the input.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import { fusedDiffAugment } from "../../ops/diff_augment.ts";
import {
  type Augmentation,
  diffAugment,
  fusedAugmentation,
  parseAugmentPolicy,
} from "../../tasks/gan/augment.ts";
import { assertClose, runTorch } from "../torch_ref.ts";
import { DIFF_AUGMENT_PY } from "./diffaugment_ref.ts";

const CASES: { policy: Augmentation[]; shape: number[] }[] = [
  { policy: ["color"], shape: [5, 3, 8, 8] },
  { policy: ["translation"], shape: [6, 2, 16, 24] },
  { policy: ["cutout"], shape: [6, 2, 16, 24] },
  // an odd cutout side (5 of 10) and a one-pixel shift (int(10 / 8 + 0.5) = 1)
  { policy: ["cutout", "translation"], shape: [8, 1, 10, 10] },
  { policy: ["color", "translation", "cutout"], shape: [4, 3, 32, 32] },
];

Deno.test("diffAugment matches DiffAugment_pytorch for each policy: images, input gradient and draws", async () => {
  t.manualSeed(123);
  const inputs: Record<string, t.Tensor> = {};
  CASES.forEach(({ shape }, k) => {
    inputs[`x${k}`] = t.randn(shape).tanh();
    inputs[`upstream${k}`] = t.randn(shape);
  });
  const policies = CASES.map(({ policy }) => policy.join(","));
  const expected = await runTorch(
    `${DIFF_AUGMENT_PY}
for k, policy in enumerate(${JSON.stringify(policies)}):
    x = inp['x%d' % k].clone().requires_grad_(True)
    torch.manual_seed(99 + k)
    y = DiffAugment(x, policy)
    (y * inp['upstream%d' % k]).sum().backward()
    out['y%d' % k], out['grad%d' % k] = y, x.grad
    out['after%d' % k] = torch.rand(3)  # the generator's state after the draws
`,
    inputs,
  );
  // each case through the fast paths (the fused CPU kernel where the policy is in the reference's order),
  // through the ATen-composed path, and for those policies through the kernel's own entry point
  const fused = (x: t.Tensor, policy: Augmentation[]) => fusedDiffAugment(x, fusedAugmentation(x, policy)!);
  const routes: [string, (x: t.Tensor, policy: Augmentation[]) => t.Tensor, boolean][] = [
    ["fast paths", diffAugment, true],
    ["ATen ops", diffAugment, false],
    ["fused kernel", fused, true],
  ];
  try {
    for (const [route, augment, fast] of routes) {
      t.setFastPaths(fast);
      CASES.forEach(({ policy }, k) => {
        if (augment === fused && policy.join() === "cutout,translation") return; // not the reference's order
        const name = `${route}, ${policy.join(",")}`;
        using x = inputs[`x${k}`]!.detach().requiresGrad_(true);
        t.manualSeed(99 + k);
        using y = augment(x, policy);
        using after = t.rand([3]);
        assert.equal(y.isContiguous(), true);
        using weighted = y.mul(inputs[`upstream${k}`]!);
        using total = weighted.sum();
        total.backward();
        assertClose(y, expected[`y${k}`], { rtol: 0, atol: 1e-6 }, `${name}: augmented images`);
        assertClose(x.grad!, expected[`grad${k}`], { rtol: 0, atol: 1e-6 }, `${name}: gradient`);
        assertClose(
          after,
          expected[`after${k}`],
          { rtol: 0, atol: 0 },
          `${name}: draws after the augmentation`,
        );
      });
    }
  } finally {
    t.setFastPaths(true);
    Object.values(inputs).forEach((x) => x.dispose());
  }
});

Deno.test("diffAugment with an empty policy draws nothing and --augment names are checked", () => {
  using x = t.randn([2, 3, 8, 8]);
  t.manualSeed(5);
  using y = diffAugment(x, []);
  using next = t.rand([1]);
  t.manualSeed(5);
  using fresh = t.rand([1]);
  assert.equal(next.item(), fresh.item());
  assert.deepEqual(Array.from(y.toArray() as Float32Array), Array.from(x.toArray() as Float32Array));
  assert.deepEqual(parseAugmentPolicy("color, cutout"), ["color", "cutout"]);
  assert.deepEqual(parseAugmentPolicy(""), []);
  assert.throws(
    () => parseAugmentPolicy("color,flip"),
    /Unknown augmentation "flip": use color, translation, cutout/,
  );
  assert.throws(() => diffAugment(x, ["cutout"], { cutout: 2 }), RangeError);
});
