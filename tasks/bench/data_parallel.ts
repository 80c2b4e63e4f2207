/**
 * The bench's data-parallel rows: `deno task train` on Fashion-MNIST (the seed's 64x64 DCGAN), one
 * process with every core as its threads against `--nproc-per-node 2`, one thread each (Gloo over
 * loopback), the same world batch and steps. The rate counts the images of the steps after the first few,
 * timed by metrics.jsonl's clock, so the workers' start (libtorch, the data) is left out.
 *
 * Run alone: `deno run -A tasks/bench/data_parallel.ts [--quick]`.
 *
 * @module
 */

import { join } from "node:path";
import type { BenchRow } from "./bench.ts";

const TRAIN = new URL("../cli/train.ts", import.meta.url).pathname;
/** Steps left out of the timing (the first steps allocate and warm the caches). */
const WARMUP = 3;

/** What a data-parallel bench run is. */
interface ParallelRun {
  processes: number;
  threads: number;
  batch: number;
  width: number;
  steps: number;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Images per second of one `deno task train` run, from its metrics.jsonl. */
async function trainRate(run: ParallelRun): Promise<number> {
  const out = await Deno.makeTempDir({ prefix: "dcgan-bench-ddp-" });
  try {
    const width = String(run.width);
    const args = [
      ...["run", "-A", TRAIN, "--data", "fashion-mnist", "--recipe", "seed", "--image-size", "64"],
      ...["--batch-size", String(run.batch), "--ngf", width, "--ndf", width, "--epochs", "1"],
      ...["--max-steps", String(run.steps), "--log-every", "1000", "--out", join(out, "run")],
      ...["--nproc-per-node", String(run.processes), "--master-port", String(freePort())],
    ];
    const result = await new Deno.Command(Deno.execPath(), {
      args,
      env: { DCGAN_NUM_THREADS: String(run.threads) },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(
        `train with ${run.processes} processes failed:\n${new TextDecoder().decode(result.stderr)}`,
      );
    }
    const lines = (await Deno.readTextFile(join(out, "run", "metrics.jsonl"))).trim().split("\n");
    const times = lines.map((line) => (JSON.parse(line) as { time: number }).time);
    const timed = times.slice(WARMUP - 1); // from the end of the last warm-up step
    const seconds = (timed.at(-1)! - timed[0]!) / 1000;
    return ((timed.length - 1) * run.batch) / seconds;
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

/**
 * One process with `cores` threads against that many processes of one thread each, the same training.
 *
 * @param options `quick`: small networks and few steps (a smoke run)
 * @returns two rows: the one-process rate, and the data-parallel rate with its ratio to it
 */
export async function dataParallelRows(options: { quick: boolean }): Promise<BenchRow[]> {
  const cores = 2;
  const base = options.quick
    ? { batch: 8, width: 8, steps: WARMUP + 4 }
    : { batch: 64, width: 64, steps: WARMUP + 20 };
  const one = await trainRate({ ...base, processes: 1, threads: cores });
  const many = await trainRate({ ...base, processes: cores, threads: 1 });
  const what = `train fashion-mnist 64x64 bs ${base.batch}${options.quick ? ` (ngf ${base.width})` : ""}`;
  return [
    { name: `${what}, 1 process x ${cores} threads`, unit: "img/s", ours: one },
    {
      name: `${what}, ${cores} processes x 1 thread, Gloo (ratio: to 1 process)`,
      unit: "img/s",
      ours: many,
      ratio: many / one,
    },
  ];
}

if (import.meta.main) {
  for (const row of await dataParallelRows({ quick: Deno.args.includes("--quick") })) {
    console.log(
      `${row.name}: ${row.ours.toFixed(1)} ${row.unit}${row.ratio ? ` (x${row.ratio.toFixed(2)})` : ""}`,
    );
  }
}
