// deno task eval: FID against pytorch-fid's NumPy/SciPy code, KID against torch-fidelity's, the nearest-image
// search against brute force, and the CLI end to end on a tiny generator and a random Inception.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConditionalGenerator } from "../../models/dcgan/conditional.ts";
import { loadInception } from "../../models/inception/inception.ts";
import * as t from "../../mod.ts";
import { NORMALIZE_TABLE } from "../../tasks/data/loader.ts";
import { inceptionFeatures } from "../../tasks/metrics/features.ts";
import { featureStats, frechetDistance, trace } from "../../tasks/metrics/fid.ts";
import { generatedBatches, quantizeImages, realBatches } from "../../tasks/metrics/images.ts";
import { kernelInceptionDistance, kidSubsets, polynomialMmd } from "../../tasks/metrics/kid.ts";
import { nearestImages } from "../../tasks/metrics/nearest.ts";
import { makeGridArray, toPixels } from "../../tasks/image/grid.ts";
import { runDeno } from "../fixtures.ts";
import { saveGeneratedFolder } from "./generated_folder.ts";
import { assertClose, CALIBRATED_INCEPTION, runTorch } from "../torch_ref.ts";

/** pytorch-fid's calculate_frechet_distance (pytorch_fid/fid_score.py), on np.mean / np.cov statistics. */
const PYTORCH_FID = `
from scipy import linalg
def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
`;

const FID_CASES = [
  { n: 400, d: 32, rtol: 1e-6 },
  { n: 300, d: 256, rtol: 1e-6 },
  { n: 20, d: 64, rtol: 1e-6 }, // singular covariances: fewer samples than features
];

Deno.test("featureStats and frechetDistance match pytorch-fid's np.cov and scipy.linalg.sqrtm FID in float64", async () => {
  t.manualSeed(7);
  const inputs: Record<string, t.Tensor> = {};
  FID_CASES.forEach(({ n, d }, i) => {
    const a = t.randn([n, d], { dtype: "float64" });
    inputs[`a${i}`] = a;
    inputs[`b${i}`] = t.tidy(() => t.randn([n, d], { dtype: "float64" }).mul(1.5).add(a.mul(0.5)).add(0.3));
  });
  const script = PYTORCH_FID + FID_CASES.map((_, i) =>
    [
      `a, b = inp['a${i}'].numpy(), inp['b${i}'].numpy()`,
      `mu1, s1 = np.mean(a, axis=0), np.cov(a, rowvar=False)`,
      `mu2, s2 = np.mean(b, axis=0), np.cov(b, rowvar=False)`,
      `out['mu${i}'], out['sigma${i}'] = torch.from_numpy(mu1), torch.from_numpy(s1)`,
      `out['fid${i}'] = torch.tensor([calculate_frechet_distance(mu1, s1, mu2, s2)], dtype=torch.float64)`,
      `out['self${i}'] = torch.tensor([calculate_frechet_distance(mu1, s1, mu1, s1)], dtype=torch.float64)`,
    ].join("\n")
  ).join("\n");
  const expected = await runTorch(script, inputs);
  try {
    const gaps: string[] = [];
    FID_CASES.forEach(({ n, d, rtol }, i) => {
      using a = featureStats(inputs[`a${i}`]!);
      using b = featureStats(inputs[`b${i}`]!);
      assert.equal(a.count, n);
      assertClose(a.mu, expected[`mu${i}`], { rtol: 1e-12, atol: 1e-12 }, `mean n=${n} d=${d}`);
      assertClose(a.sigma, expected[`sigma${i}`], { rtol: 1e-12, atol: 1e-12 }, `covariance n=${n} d=${d}`);
      const fid = frechetDistance(a, b);
      const reference = expected[`fid${i}`]!.data[0]!;
      const gap = Math.abs(fid.value - reference) / reference;
      gaps.push(`n=${n} d=${d}: FID ${fid.value.toFixed(6)}, relative gap ${gap.toExponential(2)}`);
      assert.ok(
        gap < rtol,
        `FID ${fid.value} vs pytorch-fid ${reference} (n=${n}, d=${d}): relative gap ${gap}`,
      );
      assert.ok(Math.abs(fid.meanTerm + fid.traceTerm - fid.value) < 1e-9);
      // a set against itself: ~0 relative to the covariance's size (scipy's sqrtm gets no closer)
      const self = frechetDistance(a, a).value;
      const scale = trace(a.sigma);
      assert.ok(Math.abs(self) < 1e-6 * scale, `FID of a set against itself is ${self} (trace ${scale})`);
      const scipySelf = Math.abs(expected[`self${i}`]!.data[0]!);
      gaps.push(`  against itself: ours ${self.toExponential(2)}, scipy ${scipySelf.toExponential(2)}`);
    });
    console.log(gaps.join("\n"));
  } finally {
    Object.values(inputs).forEach((x) => x.dispose());
  }
});

Deno.test("frechetDistance rejects statistics of different feature sizes", () => {
  using a = featureStats(t.randn([5, 3]));
  using b = featureStats(t.randn([5, 4]));
  assert.throws(
    () => frechetDistance(a, b),
    (e: Error) => e instanceof TypeError && /3 and 4 dims/.test(e.message),
  );
  using one = t.randn([1, 3]);
  assert.throws(
    () => featureStats(one),
    (e: Error) => e instanceof RangeError && /at least 2/.test(e.message),
  );
});

/** torch-fidelity's polynomial_mmd (torch_fidelity/metric_kid.py), in float64. */
const TORCH_FIDELITY_KID = `
def mmd2(K_XX, K_XY, K_YY):
    m = K_XX.shape[0]
    diag_X, diag_Y = np.diagonal(K_XX), np.diagonal(K_YY)
    Kt_XX_sum = (K_XX.sum(axis=1) - diag_X).sum()
    Kt_YY_sum = (K_YY.sum(axis=1) - diag_Y).sum()
    K_XY_sum = K_XY.sum(axis=0).sum()
    return (Kt_XX_sum + Kt_YY_sum) / (m * (m - 1)) - 2 * K_XY_sum / (m * m)
def polynomial_kernel(X, Y, degree=3, gamma=None, coef0=1):
    if gamma is None:
        gamma = 1.0 / X.shape[1]
    return (np.matmul(X, Y.T) * gamma + coef0) ** degree
def polynomial_mmd(X, Y):
    return mmd2(polynomial_kernel(X, X), polynomial_kernel(X, Y), polynomial_kernel(Y, Y))
x, y = inp['x'].numpy(), inp['y'].numpy()
out['full'] = torch.tensor([polynomial_mmd(x, y)], dtype=torch.float64)
for p in ['', 'big_']:
    x, y = inp[p + 'x'].numpy(), inp[p + 'y'].numpy()
    sx, sy = inp[p + 'sx'].numpy(), inp[p + 'sy'].numpy()
    mmds = np.array([polynomial_mmd(x[sx[i]], y[sy[i]]) for i in range(len(sx))])
    out[p + 'subsets'] = torch.from_numpy(mmds)
    out[p + 'stats'] = torch.tensor([np.mean(mmds), np.std(mmds)], dtype=torch.float64)
`;

Deno.test("polynomialMmd and kernelInceptionDistance match torch-fidelity's polynomial MMD on the same subsets", async () => {
  t.manualSeed(9);
  using x = t.tidy(() => t.rand([120, 64], { dtype: "float64" }));
  using y = t.tidy(() => t.rand([120, 64], { dtype: "float64" }).mul(1.2).add(0.1));
  const options = { subsets: 7, subsetSize: 50, seed: 3 };
  const subsets = kidSubsets(120, 120, options);
  const ints = (rows: number[][]) => ({
    data: BigInt64Array.from(rows.flat(), BigInt),
    shape: [rows.length, rows[0]!.length],
  });
  // sets too large for kernel matrices of all samples: each subset's kernels are computed on their own
  using bigX = t.tidy(() => t.rand([3000, 16], { dtype: "float64" }));
  using bigY = t.tidy(() => t.rand([3000, 16], { dtype: "float64" }).add(0.05));
  const bigOptions = { subsets: 4, subsetSize: 40, seed: 1 };
  const bigSubsets = kidSubsets(3000, 3000, bigOptions);
  const expected = await runTorch(TORCH_FIDELITY_KID, {
    x,
    y,
    sx: ints(subsets.map((s) => s.x)),
    sy: ints(subsets.map((s) => s.y)),
    big_x: bigX,
    big_y: bigY,
    big_sx: ints(bigSubsets.map((s) => s.x)),
    big_sy: ints(bigSubsets.map((s) => s.y)),
  });
  const full = polynomialMmd(x, y);
  assertClose({ shape: [1], data: [full] }, expected.full, { rtol: 1e-9, atol: 0 }, "MMD² of the full sets");
  const kid = kernelInceptionDistance(x, y, options);
  assert.equal(kid.subsets, 7);
  assert.equal(kid.subsetSize, 50);
  assertClose({ shape: [7], data: kid.values }, expected.subsets, { rtol: 1e-9, atol: 0 }, "per-subset MMD²");
  assertClose(
    { shape: [2], data: [kid.mean, kid.std] },
    expected.stats,
    { rtol: 1e-9, atol: 0 },
    "KID mean, std",
  );
  const big = kernelInceptionDistance(bigX, bigY, bigOptions);
  assertClose(
    { shape: [4], data: big.values },
    expected.big_subsets,
    { rtol: 1e-9, atol: 0 },
    "large-set MMD²",
  );
  assertClose(
    { shape: [2], data: [big.mean, big.std] },
    expected.big_stats,
    { rtol: 1e-9, atol: 0 },
    "large KID",
  );
  console.log(
    `KID ${kid.mean.toExponential(4)} ± ${kid.std.toExponential(2)}, full-set MMD² ${full.toExponential(4)}`,
  );
  // subsets are distinct indices, and the size is capped at the smaller set
  for (const { x: i } of subsets) assert.equal(new Set(i).size, i.length);
  assert.equal(kernelInceptionDistance(x.slice(0, 0, 30), y, { subsets: 2 }).subsetSize, 30);
  assert.throws(() => kernelInceptionDistance(x, y, { subsets: 0 }), RangeError);
});

Deno.test("nearestImages finds the same nearest data set image and distance as a brute-force search", () => {
  const [count, channels, size, k] = [37, 3, 4, 5];
  const per = channels * size * size;
  const images = Uint8Array.from({ length: count * per }, (_, i) => (i * 2654435761) % 251);
  const dataset = { images, count, channels, size, skipped: [] };
  t.manualSeed(4);
  using queries = t.tidy(() => t.rand([k, channels, size, size]).mul(2).sub(1));
  const { index, distance } = nearestImages(queries, dataset, { batchSize: 8 });
  const q = queries.toFloat32Array();
  for (let j = 0; j < k; j++) {
    let best = Infinity;
    let where = -1;
    for (let r = 0; r < count; r++) {
      let sum = 0;
      for (let p = 0; p < per; p++) sum += (q[j * per + p]! - NORMALIZE_TABLE[images[r * per + p]!]!) ** 2;
      if (sum < best) [best, where] = [sum, r];
    }
    assert.equal(index[j], where, `query ${j}`);
    assert.ok(
      Math.abs(distance[j]! - Math.sqrt(best)) < 1e-9,
      `query ${j}: ${distance[j]} vs ${Math.sqrt(best)}`,
    );
  }
  using wrong = t.zeros([1, 1, size, size]);
  assert.throws(
    () => nearestImages(wrong, dataset),
    (e: Error) => e instanceof TypeError && /\[1, 4, 4\]/.test(e.message),
  );
});

Deno.test("quantizeImages gives the values a save_image PNG holds, as the data loader reads them back", () => {
  const data = Float32Array.from({ length: 3 * 5 * 7 }, (_, i) => Math.sin(i * 1.7) * 1.2);
  data[4] = NaN;
  const pixels = toPixels(
    makeGridArray({ data, shape: [3, 5, 7] }, { normalize: true, valueRange: [-1, 1] }),
  );
  const quantized = quantizeImages(data.slice());
  for (let ch = 0; ch < 3; ch++) {
    for (let p = 0; p < 35; p++) {
      assert.equal(
        quantized[ch * 35 + p],
        NORMALIZE_TABLE[pixels.data[p * 3 + ch]!],
        `channel ${ch} pixel ${p}`,
      );
    }
  }
});

Deno.test("generatedBatches do not depend on the batch size, and realBatches sample without repeats", () => {
  t.manualSeed(1);
  using netG = t.weightsInit(new t.Generator({ nz: 8, ngf: 4, imageSize: 32 })).eval();
  const whole = [...generatedBatches(netG, 5, { batchSize: 5, seed: 3 })][0]!.data;
  const parts = [...generatedBatches(netG, 5, { batchSize: 2, seed: 3 })].map((b) => b.data);
  assert.deepEqual(parts.map((p) => p.length / (3 * 32 * 32)), [2, 2, 1]);
  let gap = 0;
  let offset = 0;
  for (const part of parts) {
    part.forEach((v, i) => (gap = Math.max(gap, Math.abs(v - whole[offset + i]!))));
    offset += part.length;
  }
  assert.ok(gap <= 1 / 127.5 + 1e-6, `batched and whole generation differ by ${gap}`); // at most one 8-bit level
  // a conditional generator gets seeded uniform labels, also independent of the batch size
  using netC = new ConditionalGenerator({ nz: 8, ngf: 4, nc: 1, imageSize: 32, numClasses: 3 }).eval();
  const one = [...generatedBatches(netC, 3, { batchSize: 3, seed: 4 })][0]!;
  const three = [...generatedBatches(netC, 3, { batchSize: 1, seed: 4 })];
  assert.deepEqual(one.shape, [3, 1, 32, 32]);
  three.forEach((b, i) =>
    b.data.forEach((v, p) => assert.ok(Math.abs(v - one.data[i * 1024 + p]!) <= 1 / 127.5 + 1e-6))
  );
  const bytes = Uint8Array.from({ length: 9 * 3 }, (_, i) => i * 9);
  const dataset = { images: bytes, count: 9, channels: 3, size: 1, skipped: [] };
  const indices = [...realBatches(dataset, 7, { batchSize: 3, seed: 2 })].flatMap((b) => [...b.indices]);
  assert.equal(indices.length, 7);
  assert.equal(new Set(indices).size, 7);
  // skip: the same seeded order, later: the first 4 then the next 5 are all 9, none twice
  const order = [...realBatches(dataset, 9, { batchSize: 4, seed: 2 })].flatMap((b) => [...b.indices]);
  const later = [...realBatches(dataset, 9, { batchSize: 4, seed: 2, skip: 4 })].flatMap((
    b,
  ) => [...b.indices]);
  assert.deepEqual(later, order.slice(4));
  for (const { images, indices: taken } of realBatches(dataset, 9, { batchSize: 2, seed: 2, skip: 3 })) {
    const expected = [...taken].flatMap((i) => [0, 1, 2].map((c) => NORMALIZE_TABLE[bytes[i * 3 + c]!]!));
    assert.deepEqual([...images.data], expected); // normalized as the training loader does
  }
  assert.deepEqual([...realBatches(dataset, 3, { batchSize: 2, seed: 2, skip: 9 })], []);
});

/** A random Inception-v3 with calibrated BatchNorm statistics (features of order 1), as safetensors. */
const RANDOM_INCEPTION = `${CALIBRATED_INCEPTION}
from safetensors_io import save_safetensors
net = calibrated_inception(1)
save_safetensors(PATH, net.state_dict(), metadata={"variant": "fid"})
`;

const EVAL = new URL("../../tasks/cli/eval.ts", import.meta.url).pathname;

const runEval = (args: string[]) => runDeno(["run", "-A", EVAL, ...args]);

Deno.test("deno task eval: FID ~0 and each sample's own image as nearest when the data are the samples", async () => {
  const work = await Deno.makeTempDir({ prefix: "dcgan-eval-" });
  try {
    const inception = join(work, "inception.safetensors");
    await runTorch(`PATH = ${JSON.stringify(inception)}\n${RANDOM_INCEPTION}`);
    t.manualSeed(5);
    const n = 8;
    using netG = t.weightsInit(new t.Generator({ nz: 8, ngf: 4, imageSize: 32 })).eval();
    const run = join(work, "run");
    await Deno.mkdir(run);
    await t.saveStateDict(netG, join(run, "generator.safetensors"));
    // the data set: the very images eval will generate (seed 0), saved as PNGs
    const data = join(work, "data");
    await saveGeneratedFolder(netG, n, data);
    const out = join(work, "out");
    const flags = ["--checkpoint", run, "--inception", inception, "--data", data, "--n", String(n)];
    const { code, stdout, stderr } = await runEval([
      ...flags,
      ...["--batch-size", "4", "--out", out, "--kid-subsets", "5", "--memorization", "--memorization-k", "4"],
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /FID \d+\.\d{3} \(8 generated vs 8 real images, fid Inception\)/);
    assert.match(stdout, /KID -?\d+\.\d+(e-\d+)? ± \d+\.\d+(e-\d+)? \(5 subsets of 8\)/);
    const report = JSON.parse(await Deno.readTextFile(join(out, "eval.json")));
    assert.deepEqual(report.generator, { nz: 8, ngf: 4, nc: 3, imageSize: 32 });
    assert.deepEqual(report.inception, { path: inception, variant: "fid" });
    assert.deepEqual(report.images, { generated: 8, real: 8, size: 32, quantized: true });
    assert.equal(report.seed, 0);
    assert.deepEqual(Object.keys(report.kid), ["mean", "std", "subsets", "subsetSize"]);
    assert.equal(report.kid.subsetSize, 8);
    assert.ok(Number.isFinite(report.fidTerms.mean) && Number.isFinite(report.fidTerms.trace));

    // FID ~0 on the scale of the features' covariance
    using net = await loadInception(inception);
    using features = inceptionFeatures(
      net,
      [...realBatches(await loadFolder(data), n, { batchSize: n, seed: 0 })].map((b) => b.images),
    );
    using stats = featureStats(features);
    const scale = trace(stats.sigma);
    assert.ok(scale > 1e-3, `the random Inception's features hardly vary (trace ${scale})`);
    assert.ok(
      Math.abs(report.fid) < 1e-4 * scale,
      `FID of the samples against themselves is ${report.fid} (trace ${scale})`,
    );
    console.log(
      `FID of a set against itself ${report.fid.toExponential(2)}, covariance trace ${scale.toFixed(3)}`,
    );

    assert.equal(report.memorization.k, 4);
    assert.equal(report.memorization.grid, join(out, "memorization.png"));
    for (const entry of report.memorization.nearest) {
      assert.equal(entry.trainIndex, entry.sample);
      assert.ok(entry.distance < 1e-6, `sample ${entry.sample} is ${entry.distance} from its own image`);
    }
    const png = await Deno.readFile(join(out, "memorization.png"));
    const view = new DataView(png.buffer);
    assert.deepEqual([view.getUint32(16), view.getUint32(20)], [8 * 34 + 2, 36]); // 4 pairs in one row

    const defaults = await runEval([...flags.slice(0, -1), "2"]);
    assert.equal(defaults.code, 0, defaults.stderr); // --out defaults to run/eval
    assert.ok((await Deno.stat(join(run, "eval", "eval.json"))).isFile);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

async function loadFolder(dir: string) {
  const { loadImageFolder } = await import("../../tasks/data/image_folder.ts");
  return await loadImageFolder(dir, { size: 32 });
}

Deno.test("deno task eval without --inception says how to export the weights, and exits 2", async () => {
  const { code, stderr } = await runEval(["--checkpoint", "runs/none"]);
  assert.equal(code, 2);
  assert.match(stderr, /--inception is required/);
  assert.match(stderr, /fid_inception_v3\(\)\.state_dict\(\)/);
  assert.match(stderr, /safetensors/);
  const bad = await runEval(["--checkpoint", "x", "--inception", "y", "--n", "1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--n must be an integer >= 2, got "1"/);
});

Deno.test("the statistics and the nearest-image search leave no tensors behind", () => {
  using x = t.rand([30, 6]);
  using y = t.rand([30, 6]);
  const dataset = { images: new Uint8Array(7 * 3 * 2 * 2), count: 7, channels: 3, size: 2, skipped: [] };
  using queries = t.zeros([2, 3, 2, 2]);
  const before = t.liveTensorCount();
  for (let i = 0; i < 2; i++) {
    using a = featureStats(x);
    using b = featureStats(y);
    frechetDistance(a, b);
    kernelInceptionDistance(x, y, { subsets: 3, subsetSize: 10 });
    polynomialMmd(x, y);
    nearestImages(queries, dataset, { batchSize: 3 });
  }
  assert.equal(t.liveTensorCount(), before);
});
