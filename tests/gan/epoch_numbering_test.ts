// Epochs count from 1 in the log line, metrics.jsonl and the grid files alike; a run written when
// metrics.jsonl counted from 0 is read from 1 by the board and the plot, and renumbered by --resume.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readMetricsChunk } from "../../tasks/board/metrics_reader.ts";
import { summarizeRun } from "../../tasks/board/runs.ts";
import { parseTrainArgs } from "../../tasks/gan/config.ts";
import { truncateMetrics } from "../../tasks/gan/run_metrics.ts";
import { train } from "../../tasks/gan/train.ts";
import { readLossHistory } from "../../tasks/image/run_visuals.ts";
import { makeImageFolder, readMetrics, TINY_NETWORKS, withTempDir } from "../fixtures.ts";

type Line = { epoch: number; batch: number; step: number; lossD: number };

/** `[epoch, batch]` of every `[E/N][B/M] Loss_D` log line. */
function logged(lines: string[]): [number, number][] {
  return lines.flatMap((line) => {
    const match = line.match(/^\[(\d+)\/\d+\]\[(\d+)\/\d+\] Loss_D/);
    return match ? [[Number(match[1]), Number(match[2])] as [number, number]] : [];
  });
}

Deno.test("epochs count from 1 in the log and metrics.jsonl; an older run's file is read and resumed from 1", async () => {
  const data = await makeImageFolder(4); // 2 batches an epoch
  try {
    await withTempDir(async (out) => {
      const args = [...TINY_NETWORKS, "--data", data, "--out", out, "--batch-size", "2", "--log-every", "1"];
      const lines: string[] = [];
      await train(parseTrainArgs([...args, "--epochs", "2", "--max-steps", "3"])!, {
        log: (l) => lines.push(l),
      });
      const fresh = await readMetrics<Line>(out);
      const want: [number, number][] = [[1, 1], [1, 2], [2, 1]];
      assert.deepEqual(fresh.map((m) => [m.epoch, m.batch]), want);
      assert.deepEqual(logged(lines), want);
      await Deno.stat(join(out, "fake_samples_epoch_001.png")); // the epoch those lines call 1

      // the same run as an older version wrote it: epochs from 0
      const path = join(out, "metrics.jsonl");
      const old = fresh.map((m) => JSON.stringify({ ...m, epoch: m.epoch - 1 }) + "\n").join("");
      await Deno.writeTextFile(path, old);
      const chunk = await readMetricsChunk(path);
      assert.deepEqual(chunk.columns.epoch, [1, 1, 2]);
      const later = await readMetricsChunk(path, { from: old.indexOf("\n") + 1, token: chunk.token });
      assert.deepEqual(later.columns.epoch, [1, 2]);
      assert.equal((await summarizeRun(out, ".")).last?.epoch, 2);
      assert.deepEqual((await readLossHistory(path)).history.lossD, fresh.map((m) => m.lossD));

      lines.length = 0;
      await train(parseTrainArgs([...args, "--epochs", "2", "--resume"])!, { log: (l) => lines.push(l) });
      const resumed = await readMetrics<Line>(out);
      assert.deepEqual(resumed.map((m) => [m.epoch, m.batch, m.step]), [[1, 1, 1], [1, 2, 2], [2, 1, 3], [
        2,
        2,
        4,
      ]]);
      assert.deepEqual(resumed.slice(0, 3).map((m) => m.lossD), fresh.map((m) => m.lossD));
      assert.deepEqual(logged(lines), [[2, 2]]);
      assert.deepEqual((await readMetricsChunk(path)).columns.epoch, [1, 1, 2, 2]);
      assert.equal((await summarizeRun(out, ".")).last?.epoch, 2);
    });
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("truncateMetrics() renumbers an older run's epochs from 1, and leaves a file from 1 alone", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.jsonl");
    const record = (epoch: number, step: number) =>
      JSON.stringify({ epoch, batch: 1, step, lossD: 0.5 }) + "\n";
    await Deno.writeTextFile(path, record(0, 1) + record(1, 2) + record(1, 3));
    assert.deepEqual(await truncateMetrics(path, 2), { kept: 2, dropped: 1, renumbered: true });
    assert.equal(await Deno.readTextFile(path), record(1, 1) + record(2, 2));
    assert.deepEqual(await truncateMetrics(path, 2), { kept: 2, dropped: 0, renumbered: false });
    assert.equal(await Deno.readTextFile(path), record(1, 1) + record(2, 2));
  });
});
