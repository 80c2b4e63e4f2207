// `deno task bench --quick` runs end to end and prints its table (no timing is asserted: speed
// targets live in the bench's output, not in tests).
import assert from "node:assert/strict";
import { join } from "node:path";
import { runDeno } from "../fixtures.ts";

Deno.test("deno task bench --quick prints the table and writes its JSON", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bench = new URL("../../tasks/bench/bench.ts", import.meta.url).pathname;
    const { code, stdout, stderr } = await runDeno([
      "run",
      "-A",
      bench,
      "--quick",
      "--json",
      join(dir, "b.json"),
    ]);
    assert.equal(code, 0, stderr);
    for (const row of ["tiny add", "DCGAN train step", "sample cold start", "PNG decode", "peak RSS"]) {
      assert.match(stdout, new RegExp(row), `the table has a "${row}" row`);
    }
    const json = JSON.parse(await Deno.readTextFile(join(dir, "b.json")));
    assert.ok(json.rows.length >= 8);
    for (const row of json.rows) assert.ok(Number.isFinite(row.ours), `${row.name} measured`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task bench --device cuda without a GPU says what it needs and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bench = new URL("../../tasks/bench/bench.ts", import.meta.url).pathname;
    const json = join(dir, "gpu.json");
    const { code, stderr } = await runDeno([
      "run",
      "-A",
      bench,
      "--device",
      "cuda",
      "--quick",
      "--json",
      json,
    ]);
    if (code === 0) return; // this machine has a GPU and a CUDA shim: tests/cuda_test.ts covers it
    assert.match(stderr, /needs a GPU and a shim built against a CUDA libtorch/);
    await assert.rejects(Deno.stat(json), Deno.errors.NotFound);
    const bad = await runDeno(["run", "-A", bench, "--device", "tpu"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /bench --device must be cpu or cuda, got "tpu"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
