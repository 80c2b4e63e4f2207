// train(options) from a script: a few settings, the rest filled as `deno task train` fills them from
// flags (the recipe's defaults among them); unknown settings and refused values named before anything runs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, parseTrainArgs, resolveTrainConfig, type TrainConfig } from "../../tasks/gan/config.ts";
import { train } from "../../tasks/gan/train.ts";
import { makeImageFolder, withTempDir } from "../fixtures.ts";

Deno.test("train({ data, ...a few settings }) runs the config the CLI makes of the same flags", async () => {
  const data = await makeImageFolder(4);
  try {
    await withTempDir(async (dir) => {
      const out = join(dir, "run");
      const flags = ["--data", data, "--out", out, "--image-size", "32", "--nz", "8", "--batch-size", "2"];
      const cli = parseTrainArgs([...flags, "--dry-run"])!;
      let started: TrainConfig | undefined;
      const result = await train(
        { data, out, imageSize: 32, nz: 8, batchSize: 2, dryRun: true },
        { onStart: (start) => started = start.config },
      );
      assert.equal(result.reason, "dry-run");
      assert.deepEqual(started, cli);
      assert.deepEqual(
        JSON.parse(await Deno.readTextFile(join(out, "config.json"))),
        JSON.parse(JSON.stringify(cli)),
      );
      // the default recipe's settings, and those computed from the settings given
      assert.deepEqual([cli.recipe, cli.ngf, cli.loss, cli.ema, cli.maxSteps], [
        "small-data",
        32,
        "hinge",
        0.999,
        9000,
      ]);
      const wgan = ["--recipe", "seed", "--loss", "wgan-gp", "--lr", "0.0003"];
      assert.deepEqual(
        resolveTrainConfig({ recipe: "seed", loss: "wgan-gp", lr: 3e-4, out }),
        parseTrainArgs([...wgan, "--out", out]),
      );
    });
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("train(options) names an unknown setting and a refused value, by field, before it touches --out", async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ epoch: 3 }, 'Unknown train setting "epoch": did you mean "epochs"?'],
    [{ ema: 1 }, "ema must be a number in [0, 1), e.g. 0.999, got 1"],
    [{ epochs: "3" }, 'epochs must be a positive integer up to 100,000, got "3"'],
    [
      { netG: "g.safetensors", resume: true },
      "netG starts a new run from saved weights and resume continues",
    ],
  ];
  await withTempDir(async (dir) => {
    for (const [options, message] of cases) {
      await assert.rejects(
        () => train({ ...options, out: join(dir, "run") } as Partial<TrainConfig>),
        (e: Error) => e instanceof ConfigError && e.message.startsWith(message),
        JSON.stringify(options),
      );
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});
