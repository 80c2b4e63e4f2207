// Sanity rows of the metrics in the shipped classifier's features, on Fashion-MNIST test images:
// real against real lands near the ideal, one repeated image (a collapsed generator) far from it.
import assert from "node:assert/strict";
import { loadFashionMnist } from "../../tasks/data/fashion_mnist.ts";
import { NORMALIZE_TABLE } from "../../tasks/data/loader.ts";
import type { ImageBatch, ImageDataset } from "../../tasks/data/types.ts";
import { openScoringNetwork, scoreImages } from "../../tasks/metrics/feature_network.ts";
import { featureStats, trace } from "../../tasks/metrics/fid.ts";
import { type SampleScores, scoreSamples } from "../../tasks/metrics/scores.ts";

/** Images `indices` of the data set as one batch in [-1, 1]. */
function batchOf(dataset: ImageDataset, indices: number[]): ImageBatch {
  const per = dataset.channels * dataset.size * dataset.size;
  const data = new Float32Array(indices.length * per);
  indices.forEach((index, i) => {
    for (let p = 0; p < per; p++) data[i * per + p] = NORMALIZE_TABLE[dataset.images[index * per + p]!]!;
  });
  return { data, shape: [indices.length, dataset.channels, dataset.size, dataset.size] };
}

const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i);

function describe(label: string, s: SampleScores): string {
  return `${label}: FID ${s.fid.value.toFixed(3)}, KID ${s.kid.mean.toExponential(2)}, ` +
    `IS ${s.inceptionScore!.mean.toFixed(3)} (real ${s.realInceptionScore!.mean.toFixed(3)}), ` +
    `precision ${s.precisionRecall!.precision.toFixed(3)}, recall ${s.precisionRecall!.recall.toFixed(3)}`;
}

Deno.test("metrics in F-MNIST features: real vs real is near ideal, one repeated image has recall near 0", async () => {
  const test = await loadFashionMnist({ size: 32, train: false });
  using scorer = await openScoringNetwork();
  const n = 400;
  using realA = scoreImages(scorer, [batchOf(test, range(0, n))]);
  using realB = scoreImages(scorer, [batchOf(test, range(n, n))]);
  using collapsed = scoreImages(scorer, [batchOf(test, Array(n).fill(2 * n))]);
  const options = { kidSubsets: 20, kidSubsetSize: 200 };
  const real = scoreSamples(realA, realB, options);
  const one = scoreSamples(realA, collapsed, options);
  console.log(describe("real vs real", real));
  console.log(describe("collapsed   ", one));
  using stats = featureStats(realA.features);
  const scale = trace(stats.sigma);
  console.log(`trace of the real features' covariance: ${scale.toFixed(1)}`);

  // real against real: FID and KID small next to the features' spread and the collapsed set's, P&R high,
  // the same IS (the features are ReLU outputs of order 1-10: FID is not near 0 in absolute terms)
  assert.ok(real.fid.value < 0.05 * scale, `real-vs-real FID ${real.fid.value}, covariance trace ${scale}`);
  assert.ok(Math.abs(real.kid.mean) < 1e-3 * one.kid.mean, `KID ${real.kid.mean}, collapsed ${one.kid.mean}`);
  assert.ok(
    real.precisionRecall!.precision > 0.7,
    `real-vs-real precision ${real.precisionRecall!.precision}`,
  );
  assert.ok(real.precisionRecall!.recall > 0.7, `real-vs-real recall ${real.precisionRecall!.recall}`);
  const [isA, isB] = [real.realInceptionScore!.mean, real.inceptionScore!.mean];
  assert.ok(Math.abs(isA - isB) < 0.1 * isA, `IS of the two halves: ${isA} and ${isB}`);

  // one image repeated: no variety, so recall ~0 and IS 1; FID far above real against real
  assert.ok(one.precisionRecall!.recall <= 0.01, `collapsed recall ${one.precisionRecall!.recall}`);
  assert.ok(Math.abs(one.inceptionScore!.mean - 1) < 1e-6, `collapsed IS ${one.inceptionScore!.mean}`);
  assert.ok(one.fid.value > 20 * real.fid.value, `collapsed FID ${one.fid.value} vs ${real.fid.value}`);
});
