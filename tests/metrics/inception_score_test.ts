// Inception Score against the seeds' NumPy/SciPy code (softmax, then scipy.stats.entropy per split) on
// the same logits: Inception's 1008 and 1000 classes, and the F-MNIST classifier's 10.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import { inceptionScore } from "../../tasks/metrics/inception_score.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

/** The seeds' inception_score (002: "Evaluation Metrics"), on softmax probabilities of given logits. */
const SEED_IS = `
from scipy.stats import entropy
def inception_score(preds, splits=10):
    N = preds.shape[0]
    split_scores = []
    for k in range(splits):
        part = preds[k * (N // splits): (k+1) * (N // splits), :]
        py = np.mean(part, axis=0)
        scores = []
        for i in range(part.shape[0]):
            pyx = part[i, :]
            scores.append(entropy(pyx, py))
        split_scores.append(np.exp(np.mean(scores)))
    return np.mean(split_scores), np.std(split_scores), split_scores
for name in ['a', 'b', 'c', 'd']:
    preds = torch.softmax(inp[name].double(), dim=1).numpy()
    splits = int(inp[name + '_splits'])
    mean, std, values = inception_score(preds, splits)
    out[name] = torch.tensor([mean, std] + list(values), dtype=torch.float64)
`;

const CASES = [
  { name: "a", n: 253, classes: 1008, scale: 4, splits: 10 }, // Inception FID weights; 3 left out
  { name: "b", n: 200, classes: 1000, scale: 2, splits: 10 }, // torchvision Inception
  { name: "c", n: 120, classes: 10, scale: 6, splits: 10 }, // the F-MNIST classifier
  { name: "d", n: 50, classes: 10, scale: 400, splits: 3 }, // one-hot: probabilities underflow to 0
];

Deno.test("inceptionScore matches the seeds' NumPy/SciPy Inception Score on the same logits", async () => {
  t.manualSeed(11);
  const inputs: Record<string, t.Tensor | number> = {};
  for (const { name, n, classes, scale, splits } of CASES) {
    inputs[name] = t.tidy(() => t.randn([n, classes]).mul(scale));
    inputs[`${name}_splits`] = splits;
  }
  const expected = await runTorch(SEED_IS, inputs);
  try {
    for (const { name, classes, splits } of CASES) {
      const is = inceptionScore(inputs[name] as t.Tensor, { splits });
      assert.equal(is.values.length, splits);
      assertClose(
        { shape: [2 + splits], data: [is.mean, is.std, ...is.values] },
        expected[name],
        { rtol: 1e-9, atol: 1e-12 },
        `IS over ${classes} classes`,
      );
      console.log(`${classes} classes: IS ${is.mean.toFixed(4)} ± ${is.std.toFixed(4)}`);
    }
  } finally {
    for (const v of Object.values(inputs)) if (v instanceof t.Tensor) v.dispose();
  }
});

Deno.test("inceptionScore is 1 for one repeated prediction and the class count for confident, balanced ones", () => {
  using same = t.tidy(() => t.randn([1, 10]).expand([40, 10]).contiguous());
  assert.ok(Math.abs(inceptionScore(same).mean - 1) < 1e-9);
  const data = new Float32Array(100 * 10).fill(-1e4);
  for (let i = 0; i < 100; i++) data[i * 10 + (i % 10)] = 0; // each split holds each class once
  using confident = t.tensor(data, { shape: [100, 10] });
  const is = inceptionScore(confident);
  assert.ok(Math.abs(is.mean - 10) < 1e-9 && is.std < 1e-9, `IS ${is.mean} ± ${is.std}`);
});

Deno.test("inceptionScore rejects bad shapes and split counts", () => {
  using flat = t.zeros([10]);
  assert.throws(() => inceptionScore(flat), TypeError);
  using few = t.zeros([5, 10]);
  assert.throws(
    () => inceptionScore(few),
    (e: Error) => e instanceof RangeError && /5 samples, 10 splits/.test(e.message),
  );
  assert.throws(() => inceptionScore(few, { splits: 0 }), RangeError);
});
