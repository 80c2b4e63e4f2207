// ops/distributed.ts in one process: a world of one needs no peer, so the collectives' own arithmetic is
// checked here (the scale DDP's average uses, one bucket per dtype, values copied back in place), and the
// checks that run before libtorch. Two processes: tests/gan/data_parallel_test.ts and tests/cli.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import { distributedAvailable, initProcessGroup } from "../../ops/distributed.ts";
import { TorchError } from "../../ffi/ffi.ts";
import { shimOptionalHeaders } from "../../ffi/build.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("the shim's cache key sees Gloo's headers exactly when the loaded shim was built with them", () => {
  // a shim cached before libgloo-dev was installed must not be reused once it is: the key covers the headers
  const headers = shimOptionalHeaders();
  assert.equal(
    headers.includes("gloo/context.h"),
    distributedAvailable(),
    `headers found: ${headers.join(", ")}`,
  );
});

Deno.test("a world of one: allReduce scales in place per dtype, broadcast and barrier return, dispose is idempotent", () => {
  assert.equal(distributedAvailable(), true, "the shim has c10d's Gloo backend (libgloo-dev)");
  const group = initProcessGroup({ rank: 0, worldSize: 1, masterPort: freePort(), timeoutMs: 10_000 });
  try {
    assert.equal(group.rank, 0);
    assert.equal(group.worldSize, 1);
    t.tidy(() => {
      const a = t.tensor([1, 2, 3, 4]).view([2, 2]);
      const b = t.tensor([8]);
      const c = t.tensor(new Float64Array([10, 20]));
      const live = t.liveTensorCount();
      group.allReduce([a, b, c], { scale: 0.25 });
      assert.equal(t.liveTensorCount(), live, "no handle left behind");
      assert.deepEqual([...a.toFloat32Array()], [0.25, 0.5, 0.75, 1]);
      assert.deepEqual(a.shape, [2, 2]);
      assert.deepEqual([...b.toFloat32Array()], [2]);
      assert.deepEqual([...(c.toArray() as Float64Array)], [2.5, 5]);
      const p = t.ones([3], { requiresGrad: true }); // a parameter: written without recording
      group.broadcast([p], 0);
      assert.deepEqual([...p.toFloat32Array()], [1, 1, 1]);
      assert.throws(() => group.broadcast([p], 1), /root rank 1 is outside 0\.\.0/);
    });
    group.barrier();
  } finally {
    group.dispose();
    group.dispose();
  }
  assert.throws(() => group.barrier(), (e: Error) => e instanceof TorchError && /destroyed/.test(e.message));
});

Deno.test("initProcessGroup refuses a bad rank, world, port or backend before joining", () => {
  const cases: [Parameters<typeof initProcessGroup>[0], RegExp][] = [
    [{ rank: 2, worldSize: 2 }, /Rank must be an integer in 0\.\.1, got 2/],
    [{ rank: 0, worldSize: 0 }, /World size must be a positive integer, got 0/],
    [{ rank: 0, worldSize: 1, masterPort: 70000 }, /Master port must be an integer in 1\.\.65535, got 70000/],
    [{ rank: 0, worldSize: 1, backend: "nccl" }, /The nccl backend is not available: only gloo/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => initProcessGroup(options),
      (e: Error) => e instanceof RangeError && message.test(e.message),
    );
  }
});

Deno.test("a rank that cannot reach rank 0 fails within the timeout, naming the address", () => {
  const port = freePort();
  const started = performance.now();
  assert.throws(
    () => initProcessGroup({ rank: 1, worldSize: 2, masterPort: port, timeoutMs: 1000 }),
    (e: Error) =>
      e instanceof TorchError &&
      new RegExp(`rank 1 of 2 could not join at 127\\.0\\.0\\.1:${port}: cannot reach rank 0`).test(
        e.message,
      ),
  );
  assert.ok(performance.now() - started < 10_000);
});
