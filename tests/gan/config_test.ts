// The one train config (tasks/gan/config.ts): every field has its row and resume rule, --resume merges by
// that rule, an old config.json is completed from the table's defaults, and the trainer checks what it is
// given with the table's checks. Plus: the library train() prints nothing and reports through its hooks.
import assert from "node:assert/strict";
import {
  completeConfig,
  givenSettings,
  parseTrainArgs,
  resumeConfig,
  TRAIN_FIELDS,
  type TrainConfig,
} from "../../tasks/gan/config.ts";
import { resumeOverrides, settingsGiven } from "../../tasks/gan/resume_notes.ts";
import { train, type TrainStart } from "../../tasks/gan/train.ts";
import { DcganTrainer } from "../../tasks/gan/trainer.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { makeImageFolder, TINY_NETWORKS } from "../fixtures.ts";

Deno.test("every TrainConfig field has one row with a flag, a help line and a resume rule", () => {
  // every optional field given, so that the parsed config holds every key of TrainConfig
  const config: Required<TrainConfig> = parseTrainArgs(["--data", "d", "--category", "c"]) as Required<
    TrainConfig
  >;
  assert.deepEqual(Object.keys(TRAIN_FIELDS).sort(), Object.keys(config).sort());
  const flags = new Set<string>();
  for (const [field, spec] of Object.entries(TRAIN_FIELDS)) {
    assert.ok(spec.resume === "checkpoint" || spec.resume === "flag", `${field} has a resume rule`);
    assert.ok(spec.help.length > 0, `${field} has a help line`);
    assert.ok(!flags.has(spec.flag), `--${spec.flag} is declared once`);
    flags.add(spec.flag);
  }
});

Deno.test("--resume keeps the checkpoint's settings and takes the command line's where the rule says flag", () => {
  const saved = parseTrainArgs([
    "--nz",
    "16",
    "--loss",
    "wgan-gp",
    "--epochs",
    "3",
    "--out",
    "old",
    "--seed",
    "5",
  ])!;
  const given = parseTrainArgs([
    "--nz",
    "64",
    "--loss",
    "hinge",
    "--epochs",
    "9",
    "--out",
    "new",
    "--resume",
  ])!;
  const merged = resumeConfig(saved, given);
  for (const [field, spec] of Object.entries(TRAIN_FIELDS) as [keyof TrainConfig, { resume: string }][]) {
    const from = spec.resume === "flag" ? given : saved;
    assert.deepEqual(merged[field], from[field], `${field} (${spec.resume})`);
  }
  assert.deepEqual([merged.nz, merged.loss, merged.nCritic, merged.seed], [16, "wgan-gp", 5, 5]);
  assert.deepEqual([merged.epochs, merged.out, merged.resume], [9, "new", true]);
});

Deno.test("a config.json from before the variants resumes with the table's defaults for what it lacks", () => {
  const old = {
    epochs: 5,
    batchSize: 64,
    imageSize: 32,
    nz: 100,
    ngf: 32,
    ndf: 32,
    lr: 2e-4,
    beta1: 0.5,
    device: "cpu",
    out: "runs/old",
    resume: false,
    seed: 7,
    dryRun: false,
    maxSteps: 0,
    logEvery: 50,
  } as Partial<TrainConfig>;
  const merged = resumeConfig(old, parseTrainArgs(["--out", "runs/old", "--resume", "--epochs", "8"])!);
  assert.deepEqual(
    [merged.nz, merged.seed, merged.epochs, merged.beta2, merged.loss, merged.nCritic, merged.labelSmoothing],
    [100, 7, 8, 0.999, "bce", 1, 1],
  );
  assert.deepEqual([merged.replay, merged.ema, merged.conditional, merged.amp, merged.cudaGraph], [
    0,
    0,
    false,
    "off",
    false,
  ]);
  assert.equal(
    completeConfig({ loss: "wgan-gp" }).beta2,
    0.9,
    "a loss-dependent default follows the saved loss",
  );
});

Deno.test("the trainer checks its settings with the table's checks, naming the field", () => {
  const spec = { nz: 8, ngf: 4, ndf: 4, nc: 3, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu" as const };
  const cases: [object, RegExp][] = [
    [{ nCritic: 0 }, /^nCritic must be a positive integer, got 0$/],
    [{ ema: 1 }, /^ema must be a number in \[0, 1\), e\.g\. 0\.999, got 1$/],
    [{ lr: 2 }, /^lr must be a number in \(0, 1\), e\.g\. 0\.0002, got 2$/],
    [{ loss: "wgan" }, /^loss must be one of bce, lsgan, hinge, wgan-gp, got "wgan"$/],
    [{ loss: "hinge", labelSmoothing: 0.9 }, /^labelSmoothing sets the real target of bce and lsgan/],
    [{ realLabel: 1.5 }, /^labelSmoothing must be a number in \(0, 1\]/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(
      () => new DcganTrainer({ ...spec, ...bad }),
      (e: Error) => e instanceof RangeError && message.test(e.message),
    );
  }
});

Deno.test("train() prints nothing itself: its lines, start and steps go to the hooks", async () => {
  const data = await makeImageFolder(4);
  const out = await Deno.makeTempDir({ prefix: "dcgan-hooks-" });
  manualSeed(0); // loads the shim first: a first load may say that it compiles it
  const printed: unknown[] = [];
  const [log, error] = [console.log, console.error];
  console.log = console.error = (...args: unknown[]) => printed.push(args);
  try {
    const args = [...TINY_NETWORKS, "--batch-size", "2", "--data", data, "--out", out, "--max-steps", "3"];
    const lines: string[] = [];
    const starts: TrainStart[] = [];
    const steps: number[] = [];
    const result = await train(parseTrainArgs(args)!, {
      log: (line) => lines.push(line),
      onStart: (start) => starts.push(start),
      onStep: (_, position) => steps.push(position.globalStep),
      shouldStop: () => steps.length === 2,
    });
    assert.deepEqual(printed, []);
    assert.equal(result.reason, "interrupted");
    assert.deepEqual(steps, [1, 2]);
    assert.equal(starts.length, 1);
    assert.deepEqual([starts[0]!.totalSteps, starts[0]!.batchesPerEpoch, starts[0]!.position.globalStep], [
      3,
      2,
      0,
    ]);
    assert.match(lines.join("\n"), /Data: .* 4 images/);
    assert.match(lines.join("\n"), /\[1\/25\]\[2\/2\] Loss_D: /);
  } finally {
    [console.log, console.error] = [log, error];
    await Deno.remove(data, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a seed run resumed with no length flags keeps the seed's length, not the default recipe's", () => {
  const saved = completeConfig({ recipe: "seed", nz: 16 });
  const given = completeConfig({ resume: true });
  const merged = resumeConfig(saved, given);
  assert.equal(merged.recipe, "seed");
  assert.equal(merged.epochs, 25);
  assert.equal(merged.maxSteps, 0);
  const longer = resumeConfig(saved, completeConfig({ resume: true, epochs: 40 }));
  assert.equal(longer.epochs, 40);
});

Deno.test("--resume merges by the settings given: by flag when known, else those unlike their defaults", () => {
  assert.deepEqual([...givenSettings(completeConfig({ recipe: "seed", lr: 1e-3, out: "runs/x" }))].sort(), [
    "lr",
    "out",
    "recipe",
  ]); // not lrD and lrG, which follow lr
  const saved = completeConfig({ recipe: "seed", out: "runs/x" });
  const args = ["--out", "runs/x", "--resume", "--epochs", "100000"]; // the default recipe's own length
  const given = parseTrainArgs(args)!;
  const byFlag = resumeConfig(saved, given, settingsGiven(args));
  assert.deepEqual([byFlag.epochs, byFlag.maxSteps, byFlag.recipe], [100000, 0, "seed"]);
  const byValue = resumeConfig(saved, given); // 100000 is the default there: the run's own length
  assert.deepEqual([byValue.epochs, byValue.maxSteps], [25, 0]);
  // a changed loss counts as given without the flags too (its default comes from the recipe)
  assert.match(
    resumeOverrides(saved, completeConfig({ recipe: "seed", loss: "hinge", out: "runs/x" })) ?? "",
    /ignored: --loss "hinge" \(the run uses "bce"\);/,
  );
});
