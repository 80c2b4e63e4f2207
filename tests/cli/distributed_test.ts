// deno task train --nproc-per-node 2 end to end on tiny networks: it trains, a SIGTERM on the launcher
// makes rank 0 save at the step the ranks agree on, and --resume continues exactly (the same metrics as a
// run never stopped). Faults end every rank with a message naming one: a worker killed, a worker hung
// (SIGSTOP) past --dist-timeout, a port in use, an unreachable --master-addr, a batch that does not divide.
// Two launchers with --nnodes 2 (two machines, here on one) train the same run as one launcher of two.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CHECKPOINT_FILE } from "../../tasks/gan/run_checkpoint.ts";
import { makeImageFolder, readMetrics, TINY_NETWORKS } from "../fixtures.ts";

const TRAIN = new URL("../../tasks/cli/train.ts", import.meta.url).pathname;
const TINY = [...TINY_NETWORKS, "--batch-size", "4", "--log-every", "1", "--nproc-per-node", "2"];

/** A line of metrics.jsonl. */
type Metric = { lossD: number; lossG: number; dx: number; step: number };

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Runs the launcher; `onLines(stdout, pids)` is called as output arrives, with the workers' pids from the
 * launcher's first line, and may signal them.
 */
async function launch(
  args: string[],
  onLines?: (stdout: string, launcher: Deno.ChildProcess, pids: number[]) => void,
  env: Record<string, string> = {},
) {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN, "--master-port", String(freePort()), ...args],
    env: { DCGAN_LAUNCH_GRACE_S: "2", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk);
      const pids = [...(stdout.match(/Started ranks (.*) of/)?.[1] ?? "").matchAll(/pid (\d+)/g)].map((m) =>
        Number(m[1])
      );
      onLines?.(stdout, child, pids);
    }
  })();
  const stderr = new Response(child.stderr).text();
  const status = await child.status;
  await reading;
  return { code: status.code, stdout, stderr: await stderr, seconds: (performance.now() - started) / 1000 };
}

const steps = (stdout: string) => stdout.split("\n").filter((l) => l.includes("Loss_D")).length;

Deno.test("--nproc-per-node 2 trains; SIGTERM saves rank 0's checkpoint and --resume continues exactly", async () => {
  const data = await makeImageFolder(12); // 6 images a rank: 3 steps of 2 an epoch
  const straight = await Deno.makeTempDir();
  const split = await Deno.makeTempDir();
  const tmp = await Deno.makeTempDir(); // the straight run's TMPDIR: rank 1 writes nothing, there either
  try {
    // 10 epochs (30 steps), so that the SIGTERM sent after 2 lands mid-run even on a loaded machine
    const base = ["--data", data, "--epochs", "10", "--seed", "5", ...TINY];
    let signalled = false;
    // the run never stopped and the run stopped by SIGTERM, side by side
    const [a, b] = await Promise.all([
      launch([...base, "--out", straight], undefined, { TMPDIR: tmp }),
      launch([...base, "--out", split], (stdout, launcher) => {
        if (!signalled && steps(stdout) >= 2) {
          signalled = true;
          launcher.kill("SIGTERM");
        }
      }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(steps(a.stdout), 30, "one log line a step, from rank 0 alone");
    const written = await readMetrics<Metric>(straight);
    assert.deepEqual(
      written.map((m) => m.step),
      Array.from({ length: 30 }, (_, i) => i + 1),
      "one metrics line a step, from rank 0 alone",
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(tmp)), [], "rank 1 made no folder of its own");
    assert.equal(b.code, 143, b.stderr);
    assert.match(b.stderr, /SIGTERM: stopping every rank/);
    const stoppedAt = (await readMetrics<Metric>(split)).length;
    assert.ok(stoppedAt >= 2 && stoppedAt < 30, `stopped after ${stoppedAt} steps`);
    await Deno.stat(join(split, CHECKPOINT_FILE));
    const c = await launch([...base, "--out", split, "--resume"]);
    assert.equal(c.code, 0, c.stderr);
    const ours = await readMetrics<Metric>(split);
    const theirs = await readMetrics<Metric>(straight);
    assert.deepEqual(
      ours.map((m) => [m.step, m.lossD, m.lossG, m.dx]),
      theirs.map((m) => [m.step, m.lossD, m.lossG, m.dx]),
      "the resumed run logs the uninterrupted run's numbers",
    );
    for (const dir of [straight, split]) {
      assert.ok(!(await Array.fromAsync(Deno.readDir(dir))).some((e) => /rank/.test(e.name)));
    }
  } finally {
    for (const dir of [data, straight, split, tmp]) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--nnodes 2: two launchers, one worker each, train the run --nproc-per-node 2 trains", async () => {
  const data = await makeImageFolder(12);
  const [single, node0, node1] = [
    await Deno.makeTempDir(),
    await Deno.makeTempDir(),
    await Deno.makeTempDir(),
  ];
  try {
    const base = ["--data", data, "--epochs", "1", "--seed", "3", ...TINY];
    const one = await launch([...base, "--out", single]);
    assert.equal(one.code, 0, one.stderr);
    // node 1 may start first: its worker waits for node 0's store
    const port = String(freePort());
    const twoMachines = ["--nnodes", "2", "--nproc-per-node", "1", "--master-port", port];
    const [b, a] = await Promise.all([
      launch([...base, ...twoMachines, "--node-rank", "1", "--out", node1]),
      launch([...base, ...twoMachines, "--node-rank", "0", "--out", node0]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.match(a.stdout, /Started ranks 0 \(pid \d+\) of 2/);
    assert.match(b.stdout, /Started ranks 1 \(pid \d+\) of 2/);
    const numbers = (m: Metric) => [m.step, m.lossD, m.lossG, m.dx];
    assert.deepEqual(
      (await readMetrics<Metric>(node0)).map(numbers),
      (await readMetrics<Metric>(single)).map(numbers),
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(node1)), [], "node 1 writes nothing");
  } finally {
    for (const dir of [data, single, node0, node1]) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worker killed or hung ends every rank, and the launcher names the rank", async () => {
  const data = await makeImageFolder(12);
  try {
    const base = ["--data", data, "--epochs", "1000", "--dist-timeout", "8", ...TINY];
    for (const fault of ["SIGKILL", "SIGSTOP"] as const) {
      const out = await Deno.makeTempDir();
      let victim = 0;
      const run = await launch([...base, "--out", out], (stdout, _, pids) => {
        if (victim === 0 && steps(stdout) >= 2 && pids[1]) {
          victim = pids[1];
          Deno.kill(victim, fault);
        }
      });
      await Deno.remove(out, { recursive: true });
      assert.notEqual(run.code, 0);
      if (fault === "SIGKILL") {
        assert.match(run.stderr, /rank 1 was killed by SIGKILL; stopping ranks 0/);
      } else {
        // rank 0 waits for the hung rank's part of the exchange until --dist-timeout
        assert.match(run.stderr, /error: rank 0: .*rank 0 of 2/);
        assert.match(run.stderr, /rank 0 exited with code 1; stopping ranks 1/);
      }
      assert.ok(run.seconds < 60, `took ${run.seconds} s`);
    }
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("a port in use, an unreachable master and a batch that does not divide fail with what to fix", async () => {
  const data = await makeImageFolder(4);
  const out = await Deno.makeTempDir();
  try {
    const base = ["--data", data, "--out", out, "--overwrite", "--dry-run", "--dist-timeout", "3", ...TINY];
    using held = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    const port = (held.addr as Deno.NetAddr).port;
    const busy = await launch([...base, "--master-port", String(port)]);
    assert.notEqual(busy.code, 0);
    assert.match(
      busy.stderr,
      new RegExp(`port ${port} is in use on this machine; pass a free one with --master-port`),
    );
    const away = await launch([...base, "--master-addr", "no-such-host.invalid"]);
    assert.notEqual(away.code, 0);
    assert.match(away.stderr, /could not join at no-such-host\.invalid:\d+/);
    const odd = await launch([...base, "--batch-size", "5"]);
    assert.equal(odd.code, 2);
    assert.match(odd.stderr, /--batch-size 5 does not divide among 2 processes.*pass a multiple of 2/);
    const gpu = await launch([...base, "--device", "cuda"]);
    assert.equal(gpu.code, 2);
    assert.match(gpu.stderr, /NCCL is not wired yet/);
  } finally {
    for (const dir of [data, out]) await Deno.remove(dir, { recursive: true });
  }
});
