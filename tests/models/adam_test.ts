// Adam against torch.optim.Adam on the same parameters and gradients, the fused (one shim call) update
// against the plain TypeScript one, state-dict round trips, and hyperparameter checks.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import type { AdamOptions, Tensor } from "../../mod.ts";
import { DiffLog, runTorch, type TorchValue } from "../torch_ref.ts";

const STEPS = 10;
const SHAPES = [[3, 4], [5]];

interface Config {
  name: string;
  options: AdamOptions;
  torch: string;
}

const CONFIGS: Config[] = [
  { name: "defaults", options: {}, torch: "" },
  { name: "dcgan", options: { lr: 2e-4, betas: [0.5, 0.999] }, torch: "lr=2e-4, betas=(0.5, 0.999)" },
  {
    name: "weight_decay",
    options: { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 },
    torch: "lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1",
  },
];

/** Parameter `i` has no gradient at step `k` when this says so (param 1 on odd steps). */
function skips(i: number, k: number): boolean {
  return i === 1 && k % 2 === 1;
}

/** Sets each parameter's gradient to `grads[k][i]` (or none), as `p.grad = g` in PyTorch. */
function setGrads(params: Tensor[], grads: Tensor[][], k: number): void {
  params.forEach((p, i) => {
    p.zeroGrad();
    if (!skips(i, k)) t.tidy(() => p.mul(grads[k]![i]!).sum().backward());
  });
}

function data() {
  t.manualSeed(5);
  const initial = SHAPES.map((shape) => t.randn(shape));
  const grads = Array.from({ length: STEPS }, () => SHAPES.map((shape) => t.randn(shape)));
  return { initial, grads };
}

function run(config: Config, fused: boolean, initial: Tensor[], grads: Tensor[][]) {
  const params = initial.map((p) => p.clone().requiresGrad_(true));
  const adam = new t.Adam(params, { ...config.options, fused });
  for (let k = 0; k < STEPS; k++) {
    setGrads(params, grads, k);
    adam.step();
  }
  return { params, adam };
}

let reference: Promise<Record<string, TorchValue>> | undefined;

function torchSteps(initial: Tensor[], grads: Tensor[][]): Promise<Record<string, TorchValue>> {
  const inputs: Record<string, Tensor> = { p0: initial[0]!, p1: initial[1]! };
  grads.forEach((step, k) => step.forEach((g, i) => (inputs[`g${k}_${i}`] = g)));
  const configs = CONFIGS.map((c) => `(${JSON.stringify(c.name)}, dict(${c.torch}))`).join(", ");
  reference ??= runTorch(
    `
    for name, options in [${configs}]:
        params = [inp["p0"].clone().requires_grad_(True), inp["p1"].clone().requires_grad_(True)]
        adam = torch.optim.Adam(params, **options)
        for k in range(${STEPS}):
            for i, p in enumerate(params):
                p.grad = None if (i == 1 and k % 2 == 1) else inp[f"g{k}_{i}"].clone()
            adam.step()
        for i, p in enumerate(params):
            out[f"{name}.p{i}"] = p
            state = adam.state_dict()["state"][i]
            out[f"{name}.exp_avg{i}"] = state["exp_avg"]
            out[f"{name}.exp_avg_sq{i}"] = state["exp_avg_sq"]
            out[f"{name}.step{i}"] = state["step"]
  `,
    inputs,
  );
  return reference;
}

const diffs = new DiffLog({ rtol: 1e-6, atol: 1e-7 });

for (const config of CONFIGS) {
  for (const fused of [true, false]) {
    Deno.test(`Adam (${config.name}, ${fused ? "fused" : "plain"}) matches torch.optim.Adam over ${STEPS} steps`, async () => {
      const { initial, grads } = data();
      const torch = await torchSteps(initial, grads);
      const { params, adam } = run(config, fused, initial, grads);
      const { state } = adam.stateDict();
      params.forEach((p, i) => {
        const label = `${config.name} ${fused ? "fused" : "plain"} param ${i}`;
        diffs.close(p, torch[`${config.name}.p${i}`], label);
        diffs.close(state[i]!.exp_avg, torch[`${config.name}.exp_avg${i}`], `${label} exp_avg`);
        diffs.close(state[i]!.exp_avg_sq, torch[`${config.name}.exp_avg_sq${i}`], `${label} exp_avg_sq`);
        assert.equal(state[i]!.step, torch[`${config.name}.step${i}`]!.data[0], `${label} step`);
      });
      assert.deepEqual(
        [state[0]!.step, state[1]!.step],
        [10, 5],
        "a parameter without a gradient is skipped",
      );
      if (Deno.env.get("DCGAN_SHOW_DIFFS") === "1" && diffs.largest.size === 6 * CONFIGS.length * 2) {
        console.log("Adam vs torch.optim.Adam, max |diff|:", Math.max(...diffs.largest.values()));
      }
      for (const s of Object.values(state)) [s.exp_avg, s.exp_avg_sq].forEach((x) => x.dispose());
      adam.dispose();
      [...params, ...initial, ...grads.flat()].forEach((x) => x.dispose());
    });
  }
}

Deno.test("fused and plain Adam agree to float32 rounding", () => {
  const { initial, grads } = data();
  const a = run(CONFIGS[2]!, true, initial, grads);
  const b = run(CONFIGS[2]!, false, initial, grads);
  a.params.forEach((p, i) => {
    const diff = t.tidy(() => p.sub(b.params[i]!).abs().max().item());
    assert.ok(diff <= 1e-7, `param ${i} differs by ${diff}`);
  });
  [a, b].forEach(({ params, adam }) => {
    adam.dispose();
    params.forEach((p) => p.dispose());
  });
});

Deno.test("stateDict() and loadStateDict() round trip (JSON hyperparameters) and the next steps are identical", () => {
  const { initial, grads } = data();
  const first = initial.map((p) => p.clone().requiresGrad_(true));
  const adam = new t.Adam(first, { lr: 2e-4, betas: [0.5, 0.999] });
  for (let k = 0; k < 5; k++) {
    setGrads(first, grads, k);
    adam.step();
  }
  const second = first.map((p) => t.noGrad(() => p.clone()).requiresGrad_(true));
  const resumed = new t.Adam(second, { lr: 1 }); // hyperparameters come from the state dict
  const saved = adam.stateDict();
  const json = JSON.parse(JSON.stringify({ groups: saved.param_groups, steps: [saved.state[0]!.step] }));
  assert.deepEqual(json.groups[0], {
    lr: 2e-4,
    betas: [0.5, 0.999],
    eps: 1e-8,
    weight_decay: 0,
    amsgrad: false,
    maximize: false,
    foreach: null,
    capturable: false,
    differentiable: false,
    fused: false,
    params: [0, 1],
  });
  resumed.loadStateDict({ state: saved.state, param_groups: json.groups });
  assert.equal(resumed.lr, 2e-4);
  for (const s of Object.values(saved.state)) [s.exp_avg, s.exp_avg_sq].forEach((x) => x.dispose());
  for (let k = 5; k < STEPS; k++) {
    setGrads(first, grads, k);
    adam.step();
    setGrads(second, grads, k);
    resumed.step();
  }
  first.forEach((p, i) => assert.equal(t.tidy(() => p.sub(second[i]!).abs().max().item()), 0, `param ${i}`));
  [adam, resumed].forEach((o) => o.dispose());
  [...first, ...second].forEach((p) => p.dispose());
});

/**
 * Runs `fn` and returns how much the live tensor count grew. The count is process-wide and test files
 * run side by side under --parallel, so the smallest of a few tries is taken: a leak shows in every try.
 */
function growth(fn: () => void, tries = 5): number {
  let least = Infinity;
  for (let i = 0; i < tries && least !== 0; i++) {
    const before = t.liveTensorCount();
    fn();
    least = Math.min(least, Math.abs(t.liveTensorCount() - before));
  }
  return least;
}

Deno.test("Adam's live tensor count stays flat across steps (fused and plain), and dispose() frees its state", () => {
  for (const fused of [true, false]) {
    using net = new t.Linear(4, 2);
    const adam = new t.Adam(net.parameters(), { fused });
    const step = () => {
      adam.zeroGrad();
      t.tidy(() => net.forward(t.randn([3, 4])).square().mean().backward());
      adam.step();
    };
    step();
    assert.equal(
      growth(() => Array.from({ length: 20 }, step)),
      0,
      `${fused ? "fused" : "plain"} steps leak`,
    );
    const state = adam.stateDict().state;
    assert.equal(Object.keys(state).length, 2);
    for (const s of Object.values(state)) [s.exp_avg, s.exp_avg_sq].forEach((x) => x.dispose());
    adam.dispose();
    assert.deepEqual(adam.stateDict().state, {}, "dispose() drops the state");
  }
});

Deno.test("zeroGrad() sets gradients to none", () => {
  using net = new t.Linear(2, 1);
  using adam = new t.Adam(net.parameters());
  t.tidy(() => net.forward(t.ones([1, 2])).sum().backward());
  adam.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === undefined));
});

Deno.test("bad Adam hyperparameters throw RangeError naming the value", () => {
  using net = new t.Linear(2, 1);
  const params = net.parameters();
  const cases: [AdamOptions, RegExp][] = [
    [{ lr: -1 }, /Adam lr must be a number >= 0, got -1/],
    [{ lr: NaN }, /Adam lr must be a number >= 0, got NaN/],
    [{ betas: [1, 0.999] }, /Adam betas\[0\] must be in \[0, 1\), got 1/],
    [{ betas: [0.5, -0.1] }, /Adam betas\[1\] must be in \[0, 1\), got -0.1/],
    [{ eps: -1e-8 }, /Adam eps must be a number >= 0, got -1e-8/],
    [{ weightDecay: -0.1 }, /Adam weightDecay must be a number >= 0, got -0.1/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => new t.Adam(params, options),
      (e: Error) => e instanceof RangeError && message.test(e.message),
    );
  }
  using adam = new t.Adam(params);
  assert.throws(() => (adam.lr = -2), RangeError);
  using plain = t.ones([2]);
  assert.throws(() => new t.Adam([plain]), /Adam parameter 0 must be a leaf tensor that requires gradients/);
});

Deno.test("loadStateDict rejects another parameter count or state shapes, naming both", () => {
  using a = new t.Linear(3, 2);
  using b = new t.Linear(2, 3);
  using adamA = new t.Adam(a.parameters());
  using adamB = new t.Adam(b.parameters());
  using adamW = new t.Adam(a.parameters().slice(0, 1));
  t.tidy(() => a.forward(t.ones([1, 3])).sum().backward());
  adamA.step();
  const saved = adamA.stateDict();
  assert.throws(() => adamW.loadStateDict(saved), /it has 2 parameters, this optimizer has 1/);
  assert.throws(
    () => adamB.loadStateDict(saved),
    (e: Error) =>
      e instanceof TypeError && /state 0 exp_avg has shape \[2,3\], expected \[3,2\]/.test(e.message),
  );
  for (const s of Object.values(saved.state)) [s.exp_avg, s.exp_avg_sq].forEach((x) => x.dispose());
});
