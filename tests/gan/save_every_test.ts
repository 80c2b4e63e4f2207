// --save-every keeps the sampling generator of every N epochs (pytorch/examples' netG_epoch_N habit), and
// --overwrite removes those snapshots with the rest of the old run.

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseTrainArgs } from "../../tasks/gan/config.ts";
import { train } from "../../tasks/gan/train.ts";
import { makeImageFolder, TINY_NETWORKS } from "../fixtures.ts";

Deno.test("--save-every 2 keeps generator_epoch_002 and _004, the EMA's weights; --overwrite clears them", async () => {
  const images = await makeImageFolder(8);
  const out = await Deno.makeTempDir({ prefix: "dcgan-save-every-" });
  try {
    const flags = [...TINY_NETWORKS, "--data", images, "--batch-size", "4", "--ema", "0.9", "--out", out];
    await train(parseTrainArgs([...flags, "--epochs", "4", "--save-every", "2"])!);
    const kept = [...Deno.readDirSync(out)].map((e) => e.name).filter((n) =>
      n.startsWith("generator_epoch_")
    );
    assert.deepEqual(kept.sort(), ["generator_epoch_002.safetensors", "generator_epoch_004.safetensors"]);
    assert.deepEqual(
      await Deno.readFile(join(out, "generator_epoch_004.safetensors")),
      await Deno.readFile(join(out, "generator_ema.safetensors")),
    );
    await train(parseTrainArgs([...flags, "--epochs", "1", "--overwrite"])!);
    assert.ok(![...Deno.readDirSync(out)].some((e) => e.name.startsWith("generator_epoch_")));
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(images, { recursive: true });
  }
});
