// The board's JSON endpoints and files over a runs folder made here (no training): run discovery and
// status, metrics read by byte offset (torn lines, a replaced file), eval reports, and every way of
// naming a path outside the runs folder refused: "..", encoded "%2e%2e", absolute paths, backslashes,
// symbolic links out, a foreign Host, over the handler and over a real socket.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import { createBoardHandler } from "../../tasks/board/handler.ts";
import { readMetricsChunk } from "../../tasks/board/metrics_reader.ts";
import { withTempDir } from "../fixtures.ts";

const SECRET = "TOP-SECRET-4711";
/** A 1x1 PNG. */
const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

const line = (step: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ epoch: 0, batch: step, step, time: 1e12 + step, lossD: 1 / step, lossG: step, ...extra }) +
  "\n";

/** Writes a run folder: config, metrics, grids, other files. */
async function makeRun(dir: string, config: Record<string, unknown>, steps: number, files: string[] = []) {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ epochs: 2, maxSteps: 0, ...config }));
  let text = "";
  for (let s = 1; s <= steps; s++) text += line(s);
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), text);
  for (const file of files) await Deno.writeFile(join(dir, file), PNG);
  const old = new Date(Date.now() - 3600_000);
  for (const file of ["config.json", "metrics.jsonl", ...files]) await Deno.utime(join(dir, file), old, old);
}

/** The start time field of /proc/<pid>/stat, as train.lock records it. */
function processStart(pid: number): string | undefined {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

/** A runs folder with one run of each status, a hidden and a linked one, and a secret outside. */
async function makeRunsFolder(base: string): Promise<string> {
  const root = join(base, "runs");
  const outside = join(base, "outside");
  await Deno.mkdir(outside, { recursive: true });
  await Deno.writeTextFile(join(outside, "secret.json"), JSON.stringify({ secret: SECRET }));
  await Deno.writeTextFile(join(outside, "secret.png"), SECRET);
  await makeRun(join(outside, "foreign-run"), {}, 2);

  await makeRun(join(root, "done"), { epochs: 2 }, 4, [
    "fake_samples_epoch_001.png",
    "fake_samples_epoch_002.png",
  ]);
  await Deno.mkdir(join(root, "done", "eval"));
  await Deno.writeTextFile(
    join(root, "done", "eval", "eval.json"),
    JSON.stringify({ fidName: "FID", fid: 12.5, kid: { mean: 0.01, std: 0.002 } }),
  );
  await Deno.symlink(join(outside, "secret.json"), join(root, "done", "leak.json"));
  await Deno.symlink(join(outside, "secret.png"), join(root, "done", "fake_samples_epoch_003.png"));

  await makeRun(join(root, "group", "killed"), { epochs: 5 }, 3, ["fake_samples_epoch_001.png"]);
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  await Deno.writeTextFile(
    join(root, "group", "killed", "train.lock"),
    JSON.stringify({ pid: dead.pid, host: hostname(), since: "", token: "t" }),
  );

  await makeRun(join(root, "live"), { epochs: 5 }, 1);
  await Deno.writeTextFile(
    join(root, "live", "train.lock"),
    JSON.stringify({
      pid: Deno.pid,
      host: hostname(),
      started: processStart(Deno.pid),
      since: "",
      token: "t",
    }),
  );

  await makeRun(join(root, "interrupted"), { epochs: 5 }, 2);
  await makeRun(join(root, "capped"), { epochs: 5, maxSteps: 3 }, 3);
  await makeRun(join(root, ".hidden"), {}, 1);
  await Deno.symlink(join(outside, "foreign-run"), join(root, "linked"));
  return root;
}

async function get(handler: (r: Request) => Promise<Response>, path: string, init?: RequestInit) {
  const response = await handler(new Request(`http://127.0.0.1:6006${path}`, init));
  const body = await response.text();
  return { status: response.status, type: response.headers.get("content-type") ?? "", body };
}

Deno.test("board /api/runs lists each run with its config, status, grids and eval report", async () => {
  await withTempDir(async (base) => {
    const root = await makeRunsFolder(base);
    const handler = createBoardHandler(root);
    const { status, body } = await get(handler, "/api/runs");
    assert.equal(status, 200);
    const { runs } = JSON.parse(body);
    const byId = Object.fromEntries(runs.map((run: { id: string }) => [run.id, run]));
    assert.deepEqual(Object.keys(byId), ["capped", "done", "group/killed", "interrupted", "live"]);
    const statuses = Object.fromEntries(
      runs.map((run: { id: string; status: string }) => [run.id, run.status]),
    );
    assert.deepEqual(statuses, {
      capped: "finished",
      done: "finished",
      "group/killed": "stopped",
      interrupted: "stopped",
      live: "training",
    });
    assert.match(byId["capped"].statusReason, /--max-steps 3/);
    assert.match(byId["group/killed"].statusReason, /is gone/);
    assert.match(byId["live"].statusReason, new RegExp(`process ${Deno.pid}`));
    assert.equal(byId["done"].config.epochs, 2);
    assert.equal(byId["done"].last.step, 4);
    // a linked file is not listed as a grid: only regular files are
    assert.deepEqual(byId["done"].grids.map((g: { epoch: number }) => g.epoch), [1, 2]);
    assert.equal(byId["done"].evalReport, "eval/eval.json");
    assert.equal(byId["live"].evalReport, undefined);
  });
});

Deno.test("board /api/metrics reads metrics.jsonl by byte offset and starts over when it is replaced", async () => {
  await withTempDir(async (base) => {
    const root = await makeRunsFolder(base);
    const handler = createBoardHandler(root);
    const metrics = async (query: string) =>
      JSON.parse((await get(handler, `/api/metrics?run=done&${query}`)).body);
    const first = await metrics("from=0");
    assert.equal(first.rows, 4);
    assert.deepEqual(first.columns.step, [1, 2, 3, 4]);
    assert.deepEqual(first.columns.lossD, [1, 1 / 2, 1 / 3, 1 / 4]);
    assert.equal(first.next, first.size);

    // a new record with a nested eval field, and a torn line being written
    const path = join(root, "done", "metrics.jsonl");
    const torn = line(6).slice(0, 20);
    await Deno.writeTextFile(path, line(5, { fid: 80, kid: { mean: 0.1, std: 0.01 } }) + torn, {
      append: true,
    });
    const second = await metrics(`from=${first.next}&token=${first.token}`);
    assert.equal(second.reset, false);
    assert.equal(second.rows, 1);
    assert.deepEqual(second.columns.fid, [80]);
    assert.deepEqual(second.columns["kid.mean"], [0.1]);
    assert.equal(second.next, second.size - torn.length, "the torn line waits for its newline");

    await Deno.writeTextFile(path, line(6).slice(20), { append: true });
    const third = await metrics(`from=${second.next}&token=${second.token}`);
    assert.deepEqual([third.rows, third.columns.step, third.columns.fid], [1, [6], undefined]);

    // a resume rewrites the file atomically, cut back to the checkpoint: a new file, read from 0
    await Deno.writeTextFile(path + ".tmp", line(1) + line(2));
    await Deno.rename(path + ".tmp", path);
    const fourth = await metrics(`from=${third.next}&token=${third.token}`);
    assert.equal(fourth.reset, true);
    assert.deepEqual(fourth.columns.step, [1, 2]);

    // an offset that does not follow a newline (the file was cut and grew again) also starts over
    const fifth = await metrics(`from=5&token=${fourth.token}`);
    assert.deepEqual([fifth.reset, fifth.from, fifth.rows], [true, 0, 2]);
  });
});

Deno.test("readMetricsChunk reads at most maxBytes a call, never splitting a line", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.jsonl");
    await Deno.writeTextFile(path, Array.from({ length: 10 }, (_, i) => line(i + 1)).join(""));
    const steps: number[] = [];
    let chunk = await readMetricsChunk(path, { maxBytes: 200 });
    let calls = 1;
    steps.push(...chunk.columns.step as number[]);
    while (chunk.next < chunk.size) {
      chunk = await readMetricsChunk(path, { from: chunk.next, token: chunk.token, maxBytes: 200 });
      steps.push(...chunk.columns.step as number[]);
      calls++;
    }
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(calls >= 4, `${calls} calls for ${chunk.size} bytes in 200-byte chunks`);
    assert.equal((await readMetricsChunk(join(dir, "missing.jsonl"))).rows, 0);
  });
});

Deno.test("board /api/eval and /file serve a run's report and images", async () => {
  await withTempDir(async (base) => {
    const root = await makeRunsFolder(base);
    const handler = createBoardHandler(root);
    const report = await get(handler, "/api/eval?run=done");
    assert.equal(report.status, 200);
    assert.equal(JSON.parse(report.body).fid, 12.5);
    assert.equal((await get(handler, "/api/eval?run=live")).status, 404);
    const response = await handler(
      new Request("http://127.0.0.1/file?run=done&path=fake_samples_epoch_002.png"),
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "image/png");
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), PNG);
    assert.equal((await get(handler, "/file?run=done&path=eval/eval.json")).status, 200);
    assert.equal((await get(handler, "/file?run=done&path=missing.png")).status, 404);
    assert.equal((await get(handler, "/file?run=nope&path=config.json")).status, 404);
  });
});

Deno.test("board serves its page and uPlot itself, with no address outside", async () => {
  const handler = createBoardHandler("no-such-folder");
  const page = await get(handler, "/");
  assert.equal(page.status, 200);
  assert.match(page.type, /text\/html/);
  assert.match(page.body, /<script src="\/static\/uplot\.js">/);
  assert.doesNotMatch(page.body, /https?:\/\//, "no CDN");
  const uplot = await get(handler, "/static/uplot.js");
  assert.match(uplot.body, /uPlot \(v1\.6\.32\)/);
  assert.match(uplot.type, /javascript/);
  assert.match((await get(handler, "/static/uplot.css")).body, /\.uplot/);
  assert.match((await get(handler, "/static/board.js")).body, /\/api\/runs/);
  assert.match((await get(handler, "/static/charts.js")).body, /\/api\/metrics/);
  assert.deepEqual(
    JSON.parse((await get(handler, "/api/runs")).body).runs,
    [],
    "a missing folder lists no runs",
  );
  assert.equal((await get(handler, "/nope")).status, 404);
});

/** Requests that name something outside the runs folder, each refused with 403. */
const REFUSED: [string, string][] = [
  ["a .. in the file path", "/file?run=done&path=../interrupted/config.json"],
  ["an encoded .. in the file path", "/file?run=done&path=%2e%2e%2Finterrupted%2Fconfig.json"],
  ["an encoded .. in the run", "/api/metrics?run=%2e%2e"],
  ["a .. run", "/api/runs/../metrics?run=..&from=0"],
  ["a run under ..", "/api/eval?run=done%2F..%2F..%2Foutside"],
  ["an absolute file path", "/file?run=done&path=%2Fetc%2Fhostname.json"],
  ["an absolute run", "/api/metrics?run=%2Ftmp"],
  ["a backslash", "/file?run=done&path=..%5C..%5Coutside%5Csecret.json"],
  ["a NUL byte", "/file?run=done&path=eval.json%00.png"],
  ["a file linked out of the run", "/file?run=done&path=leak.json"],
  ["a grid linked out of the run", "/file?run=done&path=fake_samples_epoch_003.png"],
  ["a run folder linked out", "/api/metrics?run=linked"],
  ["a file type the board does not serve", "/file?run=done&path=metrics.jsonl"],
  ["an empty segment", "/file?run=done&path=eval%2F%2Feval.json"],
];

Deno.test("board refuses paths outside the runs folder: .., %2e%2e, absolute, backslash, links out", async () => {
  await withTempDir(async (base) => {
    const root = await makeRunsFolder(base);
    const handler = createBoardHandler(root);
    for (const [what, path] of REFUSED) {
      const { status, body } = await get(handler, path);
      assert.equal(status, 403, `${what}: ${path} -> ${status} ${body}`);
      assert.ok(!body.includes(SECRET), `${what} leaks the secret`);
    }
    assert.equal((await get(handler, "/api/runs", { method: "POST" })).status, 405, "read-only");
    const foreign = await handler(
      new Request("http://evil.example/api/runs", { headers: { host: "evil.example" } }),
    );
    assert.equal(foreign.status, 403, "a foreign Host (DNS rebinding) is refused");
    await foreign.body?.cancel();
  });
});

/** Sends one raw HTTP request line (no URL normalisation by a client) and returns the response text. */
async function rawRequest(port: number, target: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
  );
  let text = "";
  const buffer = new Uint8Array(65536);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  conn.close();
  return text;
}

Deno.test("board over a socket on 127.0.0.1: raw ../ and %2e%2e request lines never reach outside", async () => {
  await withTempDir(async (base) => {
    const root = await makeRunsFolder(base);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, createBoardHandler(root));
    try {
      const { port } = server.addr;
      const runs = await fetch(`http://127.0.0.1:${port}/api/runs`);
      assert.equal(runs.status, 200);
      assert.equal((await runs.json()).runs.length, 5);
      for (
        const target of [
          "/../outside/secret.json",
          "/%2e%2e/outside/secret.json",
          "/file/../../outside/secret.json",
          "/file?run=done&path=../../outside/secret.json",
          "/file?run=done&path=%2e%2e/%2e%2e/outside/secret.json",
          "/file?run=done&path=%252e%252e/%252e%252e/outside/secret.json",
          `/file?run=done&path=${encodeURIComponent(join(base, "outside", "secret.json"))}`,
          "/file?run=done&path=leak.json",
        ]
      ) {
        const response = await rawRequest(port, target);
        const status = Number(response.match(/^HTTP\/1\.1 (\d+)/)?.[1]);
        assert.ok(
          status === 403 || status === 404 || status === 400,
          `${target} -> ${response.slice(0, 80)}`,
        );
        assert.ok(!response.includes(SECRET), `${target} leaks the secret`);
      }
    } finally {
      await server.shutdown();
    }
  });
});
