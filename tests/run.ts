/**
 * `deno task test`: runs each test file in its own `deno test` process, two at a time.
 *
 * One process per file because the shim's state is per process: the libtorch RNG that
 * `manualSeed` seeds and the live-tensor count that the leak tests read would be shared by test
 * files running side by side in one process (as `deno test --parallel` runs them). Each process uses
 * one libtorch thread, so two of them do not oversubscribe the cores.
 *
 * Usage: deno run -A tests/run.ts [file or filter ...]
 *
 * @module
 */

const root = new URL("./", import.meta.url).pathname;
const filters = Deno.args;
/** Test files under `dir`, as paths relative to tests/ (the folders mirror the source layout). */
function testFiles(dir: string, prefix = ""): string[] {
  return [...Deno.readDirSync(dir)].flatMap((entry) =>
    entry.isDirectory
      ? testFiles(`${dir}${entry.name}/`, `${prefix}${entry.name}/`)
      : entry.name.endsWith("_test.ts")
      ? [`${prefix}${entry.name}`]
      : []
  );
}

const files = testFiles(root)
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();
const jobs = Number(Deno.env.get("DCGAN_TEST_JOBS") ?? 2);

// decoded test image folders go to a cache of this run, not the user's (the shim's cache is shared)
const dataCache = Deno.env.get("DCGAN_DATA_CACHE") ?? await Deno.makeTempDir({ prefix: "dcgan-test-data-" });

let passed = 0;
let failed = 0;
const failedFiles: string[] = [];
const started = performance.now();

async function runFile(name: string): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", `${root}${name}`],
    env: {
      DCGAN_NUM_THREADS: Deno.env.get("DCGAN_NUM_THREADS") ?? "1",
      DCGAN_DATA_CACHE: dataCache,
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  await Deno.stdout.write(new TextEncoder().encode(text));
  const summary = text.match(/(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/);
  passed += Number(summary?.[1] ?? 0);
  failed += Number(summary?.[2] ?? 0);
  if (!output.success) {
    failedFiles.push(name);
    if (!summary) failed += 1; // the file did not even run (type error, crash)
  }
}

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.max(1, jobs) }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) await runFile(name);
  }),
);

if (!Deno.env.get("DCGAN_DATA_CACHE")) await Deno.remove(dataCache, { recursive: true });
const seconds = ((performance.now() - started) / 1000).toFixed(0);
console.log(
  `\n${files.length} test files in ${seconds}s${
    failedFiles.length ? `; failed: ${failedFiles.join(", ")}` : ""
  }`,
);
console.log(`tests: ${passed} passed, ${failed} failed`);
Deno.exit(failedFiles.length > 0 ? 1 : 0);
