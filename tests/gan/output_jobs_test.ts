// The run writer's queue, when it falls behind the epochs: the newest checkpoint is written first, and an
// older checkpoint job that holds a --save-every snapshot writes only the snapshot afterwards, never its
// older state over the newest checkpoint.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readSafetensors } from "../../models/io/safetensors.ts";
import { JobQueue, type JobReply, type OutputJob } from "../../tasks/gan/output_jobs.ts";
import { withTempDir } from "../fixtures.ts";

/** A safetensors job writing `value` (one float) into each file. */
function weights(dir: string, value: number, files: string[]): OutputJob {
  const entries = {
    w: { dtype: "F32" as const, shape: [1], data: new Uint8Array(Float32Array.of(value).buffer) },
  };
  return { kind: "safetensors", files: files.map((file) => ({ path: join(dir, file), entries })) };
}

async function valueIn(path: string): Promise<number> {
  const { tensors } = await readSafetensors(path);
  const { data } = tensors.w!;
  return new Float32Array(data.slice().buffer)[0]!;
}

Deno.test("a writer behind the epochs writes the newest checkpoint first, then an older job's snapshot alone", async () => {
  await withTempDir(async (dir) => {
    const replies: JobReply[] = [];
    let done: () => void;
    const finished = new Promise<void>((resolve) => done = resolve);
    const queue = new JobQueue((reply) => {
      replies.push(reply);
      if (replies.length === 4) done();
    });
    const run = ["checkpoint.safetensors", "generator.safetensors"];
    queue.push(1, weights(dir, 1, run)); // epoch 1: starts at once; the next three wait behind it
    queue.push(2, weights(dir, 2, [...run, "generator_epoch_002.safetensors"]));
    queue.push(3, weights(dir, 3, run));
    queue.push(4, weights(dir, 4, [...run, "generator_epoch_004.safetensors"]));
    await finished;
    assert.deepEqual(replies.map((r) => [r.id, r.ok]), [[1, true], [3, true], [4, true], [2, true]]);
    assert.equal(await valueIn(join(dir, "checkpoint.safetensors")), 4);
    assert.equal(await valueIn(join(dir, "generator.safetensors")), 4);
    assert.equal(await valueIn(join(dir, "generator_epoch_002.safetensors")), 2);
    assert.equal(await valueIn(join(dir, "generator_epoch_004.safetensors")), 4);
  });
});
