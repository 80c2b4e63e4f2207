// Improved precision and recall against a NumPy port of Kynkäänniemi et al.'s reference code
// (ManifoldEstimator: k-th neighbour radii by np.partition, then "distance <= radius of some sample").
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import { manifoldCoverage, manifoldRadii, precisionRecall } from "../../tasks/metrics/precision_recall.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

/** improved-precision-and-recall-metric's precision_recall.py, with NumPy distances in float64. */
const REFERENCE_PR = `
def distances(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
def radii(features, k):
    D = np.concatenate([distances(features[i:i + 500], features) for i in range(0, len(features), 500)])
    return np.partition(D, list(range(k + 1)), axis=1)[:, k]
def evaluate(radii_ref, ref, query):
    inside = [np.any(distances(query[i:i + 500], ref) <= radii_ref[None, :], axis=1)
              for i in range(0, len(query), 500)]
    return np.concatenate(inside).mean()
for case in ['s', 'l']:
    real, fake = inp[case + '_real'].double().numpy(), inp[case + '_fake'].double().numpy()
    k = int(inp[case + '_k'])
    r_real, r_fake = radii(real, k), radii(fake, k)
    out[case + '_radii'] = torch.from_numpy(r_real)
    out[case + '_pr'] = torch.tensor([evaluate(r_real, real, fake), evaluate(r_fake, fake, real)], dtype=torch.float64)
`;

Deno.test("precisionRecall matches the reference code's k-NN manifolds in NumPy", async () => {
  t.manualSeed(21);
  const inputs: Record<string, t.Tensor | number> = {
    // small: different set sizes, shifted and scaled fakes, k = 3; duplicates in the fakes
    s_real: t.randn([300, 16]),
    s_fake: t.tidy(() => t.cat([t.randn([180, 16]).mul(1.3).add(0.4), t.randn([1, 16]).expand([20, 16])])),
    s_k: 3,
    // large enough to be split into blocks of rows (2,010 x 2,010 distances), k = 5
    l_real: t.randn([2010, 4]),
    l_fake: t.tidy(() => t.randn([2010, 4]).mul(0.7).add(0.2)),
    l_k: 5,
  };
  try {
    const expected = await runTorch(REFERENCE_PR, inputs);
    for (const c of ["s", "l"]) {
      const real = inputs[`${c}_real`] as t.Tensor;
      const fake = inputs[`${c}_fake`] as t.Tensor;
      const k = inputs[`${c}_k`] as number;
      const radii = manifoldRadii(real, { k });
      assertClose(
        { shape: [radii.length], data: radii },
        expected[`${c}_radii`],
        { rtol: 1e-9, atol: 1e-9 },
        "radii",
      );
      const pr = precisionRecall(real, fake, { k });
      assert.equal(pr.k, k);
      assert.deepEqual([pr.precision, pr.recall], Array.from(expected[`${c}_pr`]!.data), `case ${c}`);
      console.log(
        `${real.shape[0]} real, ${
          fake.shape[0]
        } fake, k ${k}: precision ${pr.precision}, recall ${pr.recall}`,
      );
    }
  } finally {
    for (const v of Object.values(inputs)) if (v instanceof t.Tensor) v.dispose();
  }
});

Deno.test("precision and recall: a set against itself is 1 and 1, one repeated point has recall near 0", () => {
  t.manualSeed(2);
  using real = t.randn([100, 6]);
  assert.deepEqual(precisionRecall(real, real), { precision: 1, recall: 1, k: 3 });
  using one = t.tidy(() => real.slice(0, 0, 1).expand([100, 6]).contiguous());
  const collapsed = precisionRecall(real, one);
  assert.equal(collapsed.precision, 1); // the repeated point is a real sample
  assert.ok(collapsed.recall <= 0.01, `recall of one repeated point is ${collapsed.recall}`);
});

Deno.test("manifoldRadii and manifoldCoverage check their inputs and leave no tensors behind", () => {
  using x = t.randn([10, 3]);
  using y = t.randn([10, 4]);
  assert.throws(
    () => manifoldRadii(x, { k: 10 }),
    (e: Error) => e instanceof RangeError && /\[1, 9\]/.test(e.message),
  );
  assert.throws(() => manifoldCoverage(x, y, new Float64Array(10)), TypeError);
  using doubled = x.mul(2);
  const before = t.liveTensorCount();
  precisionRecall(x, doubled);
  assert.equal(t.liveTensorCount(), before, "tensors left behind");
});
