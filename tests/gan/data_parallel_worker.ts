// One rank of tests/gan/data_parallel_test.ts's parity run (not a test file itself): joins the group,
// builds the seed's DCGAN from seed 42 with DataParallel, trains STEPS steps on its shard of a small data
// set (BatchLoader's `shard`), and writes each step's numbers and its final state dicts as JSON; the job's
// `syncBatchNorm` turns SyncBatchNorm on.
// Usage: deno run -A data_parallel_worker.ts job.json ({"rank":0,"worldSize":2,"port":29600,"out":...})
import { initProcessGroup } from "../../ops/distributed.ts";
import { tensor } from "../../ops/creation.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { BatchLoader } from "../../tasks/data/loader.ts";
import { DataParallel } from "../../tasks/gan/data_parallel.ts";
import { DcganTrainer } from "../../tasks/gan/trainer.ts";

const job = JSON.parse(Deno.readTextFileSync(Deno.args[0]!));
const { rank, worldSize, port, out, steps, batchSize, count, spec, images, syncBatchNorm } = job;
using group = initProcessGroup({ rank, worldSize, masterPort: port, timeoutMs: 60_000 });
const sync = new DataParallel(group, { syncBatchNorm });
manualSeed(42);
const trainer = new DcganTrainer({ ...spec, device: "cpu", sync });
const dataset = {
  images: Uint8Array.from(images),
  count,
  channels: spec.nc,
  size: spec.imageSize,
  skipped: [],
};
const loader = new BatchLoader(dataset, {
  batchSize: batchSize / worldSize,
  seed: 7,
  shard: { rank, worldSize },
});
const stats: number[][] = [];
for (let epoch = 0; stats.length < steps; epoch++) {
  for (const batch of loader.epoch(epoch)) {
    if (stats.length === steps) break;
    using real = tensor(batch.images.data, { shape: batch.images.shape });
    const s = trainer.step(real);
    stats.push([s.lossD, s.lossG, s.dx, s.dgz1, s.dgz2]);
  }
}
const state: Record<string, { shape: number[]; data: number[] }> = {};
for (const [prefix, net] of [["G", trainer.netG], ["D", trainer.netD]] as const) {
  for (const [key, value] of Object.entries(net.stateDict())) {
    state[`${prefix}.${key}`] = {
      shape: value.shape,
      data: Array.from(value.to("float64").toArray() as Float64Array),
    };
    value.dispose();
  }
}
Deno.writeTextFileSync(out, JSON.stringify({ stats, state }));
trainer.dispose();
