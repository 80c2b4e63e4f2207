// The work between epochs stays flat as a run grows (issue 16): each epoch encodes one progress.gif
// frame and reads no metrics line back, however many epochs came before; a resumed run reads
// metrics.jsonl once. Counted, not timed: TrainResult.work is the run writer's counter.
import assert from "node:assert/strict";
import { join } from "node:path";
import { gifFrameCount } from "../../tasks/image/gif_append.ts";
import { parseTrainArgs } from "../../tasks/gan/config.ts";
import { train } from "../../tasks/gan/train.ts";
import { makeImageFolder, readMetrics, TINY_NETWORKS, withTempDir } from "../fixtures.ts";

Deno.test("train() encodes one GIF frame an epoch and reads metrics.jsonl only once, at a resume", async () => {
  const data = await makeImageFolder(4, { prefix: "dcgan-work-images-" }); // 2 steps an epoch
  try {
    await withTempDir(async (dir) => {
      const run = (out: string, epochs: number, resume = false) =>
        train(
          parseTrainArgs([
            ...TINY_NETWORKS,
            "--batch-size",
            "2",
            "--data",
            data,
            "--out",
            out,
            "--epochs",
            String(epochs),
            ...(resume ? ["--resume"] : []),
          ])!,
        );
      // 5 epochs: 5 frames, 0 lines read; rebuilding the GIF and re-reading the metrics every epoch, as
      // before, made it 1 + 2 + ... + 5 = 15 frames and 2 + 4 + ... + 10 = 30 lines
      const out = join(dir, "run");
      const result = await run(out, 5);
      assert.equal(result.reason, "done");
      assert.deepEqual([result.work.framesEncoded, result.work.metricLinesRead], [5, 0]);
      assert.ok(result.work.plotsDrawn >= 1, "the loss plot is drawn at the end");
      const resumed = await run(out, 7, true);
      assert.deepEqual(
        [resumed.work.framesEncoded, resumed.work.metricLinesRead],
        [2, 10],
        "two epochs' frames; the 10 lines of the first run read once",
      );
      assert.equal(await gifFrameCount(join(out, "progress.gif")), 7);
      const steps = (await readMetrics<{ step: number }>(out)).map((record) => record.step);
      assert.deepEqual(steps, Array.from({ length: 14 }, (_, i) => i + 1));
    });
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});
