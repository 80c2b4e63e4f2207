// `deno task board`: the program prints its address, serves the runs folder given as its first argument
// on 127.0.0.1 and stops cleanly on Ctrl-C; bad flags exit 2.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runDeno, withTempDir } from "../fixtures.ts";

const PROGRAM = new URL("../../tasks/cli/board.ts", import.meta.url).pathname;

Deno.test("deno task board serves the folder it is given on 127.0.0.1 and stops on Ctrl-C", async () => {
  await withTempDir(async (runs) => {
    await Deno.mkdir(join(runs, "first"));
    await Deno.writeTextFile(join(runs, "first", "config.json"), JSON.stringify({ epochs: 1 }));
    const board = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", PROGRAM, runs, "--port", "0"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = board.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let banner = "";
    while (!banner.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      banner += value;
    }
    const url = banner.match(/http:\/\/127\.0\.0\.1:\d+\//)?.[0];
    try {
      assert.ok(url, `prints its address: ${banner}`);
      const { runs: listed } = await (await fetch(`${url}api/runs`)).json();
      assert.deepEqual(listed.map((run: { id: string }) => run.id), ["first"]);
    } finally {
      board.kill("SIGINT");
      await reader.cancel();
      assert.equal((await board.status).code, 0, "Ctrl-C stops the server and exits 0");
    }
  });
});

Deno.test("deno task board refuses a bad port and a file as the runs folder", async () => {
  const port = await runDeno(["run", "-A", PROGRAM, "--port", "70000"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port must be an integer from 0 to 65,535/);
  const file = await runDeno(["run", "-A", PROGRAM, PROGRAM, "--port", "0"]);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /is a file, not a runs folder/);
  const help = await runDeno(["run", "-A", PROGRAM, "--help"]);
  assert.match(help.stdout, /Usage: deno task board \[runs\/\]/);
});
