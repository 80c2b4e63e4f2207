// A run checkpoint's metadata is checked field by field when it is loaded (issue 17, item 10): each
// tampered field is refused with a message naming the file and the field, before anything trusts it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../../models/io/safetensors.ts";
import { randn } from "../../ops/creation.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { completeConfig } from "../../tasks/gan/config.ts";
import { loadRunCheckpoint, saveRunCheckpoint } from "../../tasks/gan/run_checkpoint.ts";
import { DcganTrainer } from "../../tasks/gan/trainer.ts";
import { withTempDir } from "../fixtures.ts";

const CONFIG = completeConfig({ nz: 8, ngf: 4, ndf: 4, imageSize: 32, epochs: 3, device: "cpu" });

/** Saves a checkpoint of one step of a tiny run at `path`. */
async function saveTinyRun(path: string): Promise<void> {
  manualSeed(0);
  const trainer = new DcganTrainer({ ...CONFIG, nc: 3, numClasses: 0 });
  try {
    {
      using real = randn([2, 3, 32, 32]);
      trainer.step(real);
    }
    using fixedNoise = randn([4, CONFIG.nz, 1, 1]);
    const position = { epoch: 1, batch: 2, globalStep: 5 };
    await saveRunCheckpoint(path, { trainer, fixedNoise, position, config: CONFIG });
  } finally {
    trainer.dispose();
  }
}

type Json = Record<string, unknown>;

/** Each case edits the parsed JSON of one metadata field; the load must fail with `message`. */
const TAMPERED: { key: string; edit: (value: Json) => unknown; message: RegExp }[] = [
  {
    key: "config",
    edit: (c) => ({ ...c, loss: "evil" }),
    message: /metadata config\.loss must be one of .*got "evil"/,
  },
  {
    key: "config",
    edit: (c) => ({ ...c, nz: "8" }),
    message: /metadata config\.nz must be a positive integer/,
  },
  { key: "config", edit: () => [1, 2], message: /metadata config must be an object, got \[1,2\]/ },
  {
    key: "position",
    edit: (p) => ({ ...p, globalStep: "a" }),
    message: /metadata position\.globalStep must be an integer >= 0, got "a"/,
  },
  {
    key: "position",
    edit: (p) => ({ ...p, epoch: 1e9 }),
    message: /metadata position\.epoch 1000000000 is past the run's 3 epochs/,
  },
  {
    key: "position",
    edit: (p) => ({ ...p, batch: -1 }),
    message: /metadata position\.batch must be an integer >= 0/,
  },
  {
    key: "position",
    edit: (p) => ({ ...p, globalStep: 0 }),
    message: /position\.globalStep 0 is below the 1 epochs and 2 batches/,
  },
  { key: "position", edit: () => null, message: /metadata position must be an object, got null/ },
  {
    key: "optimizers",
    edit: (o) => ({ ...o, optimizerG: { ...(o.optimizerG as Json), steps: [1.5] } }),
    message: /metadata optimizers\.optimizerG\.steps\[0\] must be an integer >= 0, got 1\.5/,
  },
  {
    key: "optimizers",
    edit: (o) => {
      const d = o.optimizerD as { group: Json };
      return { ...o, optimizerD: { ...d, group: { ...d.group, lr: "fast" } } };
    },
    message: /metadata optimizers\.optimizerD\.group\.lr must be a number > 0, got "fast"/,
  },
  {
    key: "optimizers",
    edit: (o) => {
      const d = o.optimizerD as { group: Json };
      return { ...o, optimizerD: { ...d, group: { ...d.group, betas: [0.5, 1.5] } } };
    },
    message: /metadata optimizers\.optimizerD\.group\.betas\[1\] must be in \[0, 1\), got 1\.5/,
  },
  {
    key: "optimizers",
    edit: (o) => ({ ...o, optimizerD: undefined }),
    message: /optimizers\.optimizerD must be an object/,
  },
  {
    key: "generator_stats",
    edit: (s) => ({ ...s, lossG: "evil" }),
    message: /metadata generator_stats\.lossG must be a finite number, got "evil"/,
  },
];

Deno.test("loadRunCheckpoint() refuses each tampered metadata field, naming the file and the field", async () => {
  await withTempDir(async (dir) => {
    const good = join(dir, "checkpoint.safetensors");
    await saveTinyRun(good);
    const { tensors, metadata } = await readSafetensors(good);
    const intact = await loadRunCheckpoint(good);
    assert.deepEqual(intact.position, { epoch: 1, batch: 2, globalStep: 5 });
    const trainer = new DcganTrainer({ ...CONFIG, nc: 3, numClasses: 0 });
    try {
      intact.restore(trainer, "cpu").dispose();
    } finally {
      trainer.dispose();
    }
    await assert.rejects(
      () => loadRunCheckpoint(join(dir, "none.safetensors")),
      /no checkpoint at ".*none\.safetensors"; pass --out .*start a run that never saved one again with --overwrite/,
    );
    const bad = join(dir, "tampered.safetensors");
    for (const { key, edit, message } of TAMPERED) {
      const edited = JSON.stringify(edit(JSON.parse(metadata[key]!)));
      await writeSafetensors(bad, tensors, { ...metadata, [key]: edited });
      await assert.rejects(
        () => loadRunCheckpoint(bad),
        (error: Error) => {
          assert.match(error.message, new RegExp(`^Cannot resume from "${bad}": `));
          assert.match(error.message, message);
          return true;
        },
        `${key} = ${edited}`,
      );
    }
    await writeSafetensors(bad, tensors, { ...metadata, config: "{not json" });
    await assert.rejects(() => loadRunCheckpoint(bad), /metadata "config" is not valid JSON/);
    const { fixed_noise: _, ...noNoise } = tensors;
    await writeSafetensors(bad, { ...noNoise, fixed_noise: tensors.rng_state! }, metadata);
    await assert.rejects(
      () => loadRunCheckpoint(bad),
      /tensor "fixed_noise" has shape \[\d+\], expected \[N,8,1,1\]/,
    );
  }, { prefix: "dcgan-ckpt-" });
});
