// loadDataset() as a script calls it from @gan/dcgan: the folder it names, with or without a log.
import assert from "node:assert/strict";
import { BatchLoader, loadDataset } from "../../mod.ts";
import { makeImageFolder } from "../fixtures.ts";

Deno.test("loadDataset() loads the --data folder for a script, logging only when given a log", async () => {
  const dir = await makeImageFolder(3);
  try {
    const quiet = await loadDataset({ data: dir, imageSize: 32 });
    assert.deepEqual([quiet.count, quiet.channels, quiet.size], [3, 3, 32]);
    const lines: string[] = [];
    const logged = await loadDataset({ data: dir, imageSize: 32 }, (line) => lines.push(line));
    assert.deepEqual(logged.images, quiet.images);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^Data: .*, 3 images of 3x32x32 \(\d+\.\ds\)$/);
    const [batch] = new BatchLoader(quiet, { batchSize: 2, seed: 0 }).epoch(0);
    assert.deepEqual(batch?.images.shape, [2, 3, 32, 32]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
