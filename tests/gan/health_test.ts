// Training health (issue 14, item 5): each rule on synthetic step numbers and grids, reported once with
// the flags that apply; and D wins found in the recorded numbers of the seed recipe's emoji run.
import assert from "node:assert/strict";
import { completeConfig, type TrainConfig } from "../../tasks/gan/config.ts";
import { type HealthIssue, meanPairwiseDistance, TrainingHealth } from "../../tasks/gan/health.ts";
import type { StepStats } from "../../tasks/gan/trainer.ts";
import type { ImageBatch } from "../../tasks/data/types.ts";

const HEALTHY: StepStats = { lossD: 1.1, lossG: 1.6, dx: 0.6, dgz1: 0.35, dgz2: 0.3 };
const D_WINS: StepStats = { lossD: 0.3, lossG: 9.2, dx: 0.9, dgz1: 0.05, dgz2: 0.0004 };
const D_COLLAPSED: StepStats = { lossD: 0.004, lossG: 7, dx: 0.998, dgz1: 0.002, dgz2: 0.001 };

/** Feeds epochs of steps; returns each epoch's issues and the lines logged. */
function watch(config: Partial<TrainConfig>, epochs: StepStats[][]) {
  const lines: string[] = [];
  const health = new TrainingHealth(completeConfig({ recipe: "seed", ...config }), {
    batchesPerEpoch: epochs[0]!.length,
    log: (line) => lines.push(line),
  });
  let globalStep = 0;
  const issues = epochs.map((steps, epoch) => {
    for (const stats of steps) health.step(stats, { epoch, globalStep: ++globalStep });
    return health.endEpoch(epoch);
  });
  return { issues, lines, health };
}

const repeat = (stats: StepStats, n: number) => Array.from({ length: n }, () => stats);

Deno.test("TrainingHealth finds each step rule on the epochs that show it, per loss", () => {
  const cases: { name: string; config: Partial<TrainConfig>; epoch: StepStats[]; want: HealthIssue[] }[] = [
    { name: "healthy bce", config: {}, epoch: repeat(HEALTHY, 10), want: [] },
    { name: "bce, D wins all epoch", config: {}, epoch: repeat(D_WINS, 10), want: ["d-wins"] },
    {
      name: "bce, D wins on 9 of 10 steps",
      config: {},
      epoch: [...repeat(D_WINS, 9), HEALTHY],
      want: ["d-wins"],
    },
    {
      name: "bce, D wins on 8 of 10 steps",
      config: {},
      epoch: [...repeat(D_WINS, 8), ...repeat(HEALTHY, 2)],
      want: [],
    },
    { name: "bce, Loss_G 7 is not D wins", config: {}, epoch: repeat({ ...D_WINS, lossG: 7 }, 10), want: [] },
    { name: "hinge has no D wins", config: { loss: "hinge" }, epoch: repeat(D_WINS, 10), want: [] },
    {
      name: "feature matching has no D wins",
      config: { featureMatching: true },
      epoch: repeat(D_WINS, 10),
      want: [],
    },
    { name: "bce, D collapse", config: {}, epoch: repeat(D_COLLAPSED, 10), want: ["d-collapse"] },
    {
      name: "bce smoothed 0.9: the floor is the targets' entropy",
      config: { labelSmoothing: 0.9 },
      epoch: repeat({ ...D_COLLAPSED, lossD: 0.35, dx: 0.89 }, 10),
      want: ["d-collapse"],
    },
    {
      name: "bce, Loss_D 0.1 is not collapse",
      config: {},
      epoch: repeat({ ...D_COLLAPSED, lossD: 0.1 }, 10),
      want: [],
    },
    {
      name: "hinge, margins met",
      config: { loss: "hinge" },
      epoch: repeat({ lossD: 0, lossG: 2, dx: 1.4, dgz1: -1.6, dgz2: -1.5 }, 10),
      want: ["d-collapse"],
    },
    {
      name: "lsgan, Loss_D near 0",
      config: { loss: "lsgan" },
      epoch: repeat({ lossD: 0.01, lossG: 0.9, dx: 0.99, dgz1: 0.05, dgz2: 0.05 }, 10),
      want: ["d-collapse"],
    },
    {
      name: "wgan-gp's critic loss has no floor",
      config: { loss: "wgan-gp" },
      epoch: repeat({ lossD: -40, lossG: 30, dx: 20, dgz1: -20, dgz2: -20 }, 10),
      want: [],
    },
    {
      name: "bce, D wins and collapse together",
      config: {},
      epoch: repeat({ ...D_COLLAPSED, lossG: 9 }, 10),
      want: ["d-wins", "d-collapse"],
    },
    { name: "non-finite", config: {}, epoch: [HEALTHY, { ...HEALTHY, lossG: NaN }], want: ["non-finite"] },
  ];
  for (const { name, config, epoch, want } of cases) {
    assert.deepEqual(watch(config, [epoch]).issues[0], want, name);
  }
});

Deno.test("TrainingHealth reports an issue once, with the flags that apply, and lists it every epoch", () => {
  const epochs = [repeat(D_WINS, 10), repeat(HEALTHY, 10), repeat(HEALTHY, 10), repeat(D_WINS, 10)];
  const { issues, lines } = watch({}, epochs);
  // the window is the last 10 steps wherever they start: at step 11 it still holds 9 of D wins
  assert.deepEqual(issues, [["d-wins"], ["d-wins"], [], ["d-wins"]]);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /^D wins: in the 10 steps to step 10, D\(G\(z\)\) stayed below 0\.01 and Loss_G above 8/,
  );
  for (
    const flag of [
      "--recipe small-data",
      "--recipe stable",
      "--label-smoothing 0.9",
      "--augment",
      "--lr-d (e.g. 0.0001)",
    ]
  ) {
    assert.ok(lines[0]!.includes(flag), `${flag} in: ${lines[0]}`);
  }
  // flags the run already has are not suggested
  const smoothed = watch({ labelSmoothing: 0.9, augment: ["color"] }, [repeat(D_WINS, 10)]).lines[0]!;
  assert.ok(!smoothed.includes("--label-smoothing") && !smoothed.includes("--augment"), smoothed);
  const collapse = watch({}, [repeat(D_COLLAPSED, 10)]).lines.find((l) => l.startsWith("D collapse"))!;
  assert.ok(collapse.includes("--spectral-norm") && collapse.includes("--lr-d"), collapse);
});

/** `n` images of `values` pixels each, from a seeded generator; `spread` scales how they differ. */
function batch(n: number, spread: number, seed = 1): ImageBatch {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const base = Array.from({ length: 3 * 8 * 8 }, next);
  const data = new Float32Array(n * base.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < base.length; k++) {
      data[i * base.length + k] = base[k]! * (1 - spread) + next() * spread;
    }
  }
  return { data, shape: [n, 3, 8, 8] };
}

Deno.test("meanPairwiseDistance is the mean RMS difference over all pairs", () => {
  const two = { data: Float32Array.of(0, 0, 0, 0, 1, 1, 1, 1), shape: [2, 1, 2, 2] as ImageBatch["shape"] };
  assert.equal(meanPairwiseDistance(two), 1);
  // three images: pairs (0,1) 1, (0,2) 2, (1,2) 1
  const three = { data: Float32Array.of(0, 1, 2), shape: [3, 1, 1, 1] as ImageBatch["shape"] };
  assert.equal(meanPairwiseDistance(three), 4 / 3);
  assert.throws(() => meanPairwiseDistance({ data: new Float32Array(4), shape: [1, 1, 2, 2] }), RangeError);
});

Deno.test("TrainingHealth finds G collapse when the grid's samples lie far closer than a real batch's", () => {
  const lines: string[] = [];
  const health = new TrainingHealth(completeConfig({ recipe: "seed" }), {
    batchesPerEpoch: 4,
    log: (line) => lines.push(line),
  });
  health.setRealBatch(batch(16, 1, 7));
  health.grid(0, batch(16, 1, 3)); // as diverse as real images
  assert.deepEqual(health.endEpoch(0), []);
  health.grid(1, batch(16, 0.05, 3)); // one image with a little noise
  assert.deepEqual(health.endEpoch(1), ["g-collapse"]);
  assert.match(
    lines[0]!,
    /^G collapse: the fixed-noise samples of epoch 2 differ \d+\.\d times less than a real batch/,
  );
  assert.ok(lines[0]!.includes("--minibatch-std"), lines[0]);
  // a NaN sample is non-finite, not collapse
  const nan = batch(4, 1);
  nan.data[5] = NaN;
  health.grid(2, nan);
  assert.deepEqual(health.endEpoch(2), ["non-finite"]);
  // without a real batch there is no yardstick
  const alone = new TrainingHealth(completeConfig({ recipe: "seed" }), { batchesPerEpoch: 4 });
  alone.grid(0, batch(16, 0, 3));
  assert.deepEqual(alone.endEpoch(0), []);
});

interface RecordedRun {
  batchesPerEpoch: number;
  steps: [number, number, number, number, number][];
}

/** Replays a recorded run's step numbers through the rules (with the seed recipe's settings). */
async function replay(name: "seedEmoji64" | "seedFashionMnist32", batchesPerEpoch?: number) {
  const runs = JSON.parse(await Deno.readTextFile(new URL("./health_runs.json", import.meta.url)));
  const run: RecordedRun = runs[name];
  const per = batchesPerEpoch ?? run.batchesPerEpoch;
  const lines: string[] = [];
  const health = new TrainingHealth(completeConfig({ recipe: "seed" }), {
    batchesPerEpoch: per,
    log: (line) => lines.push(line),
  });
  const epochs: HealthIssue[][] = [];
  run.steps.forEach(([lossD, lossG, dx, dgz1, dgz2], i) => {
    const epoch = Math.floor(i / run.batchesPerEpoch);
    health.step({ lossD, lossG, dx, dgz1, dgz2 }, { epoch, globalStep: i + 1 });
    if ((i + 1) % run.batchesPerEpoch === 0 || i + 1 === run.steps.length) {
      epochs.push(health.endEpoch(epoch));
    }
  });
  return { epochs, lines, health };
}

// The seed recipe's emoji run takes 24 minutes for its first 60 steps here: its numbers are recorded
// (tests/gan/health_runs.json) rather than trained again.
Deno.test("the seed recipe's emoji run reports D wins in its second epoch, at step 41", async () => {
  const { epochs, lines, health } = await replay("seedEmoji64");
  assert.deepEqual(epochs, [[], ["d-wins"]]);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^D wins: in the 30 steps to step 41 \(an epoch\)/);
  assert.ok(lines[0]!.includes("--recipe small-data"), lines[0]);
  assert.deepEqual(health.findings.map((f) => [f.issue, f.epoch]), [["d-wins", 1]]);
});

Deno.test("the seed recipe's Fashion-MNIST run, which learns, reports nothing, even over 30-step windows", async () => {
  for (const window of [undefined, 30]) {
    const { epochs, lines } = await replay("seedFashionMnist32", window);
    assert.deepEqual(epochs, [[]], `window ${window ?? 469}`);
    assert.deepEqual(lines, []);
  }
});
