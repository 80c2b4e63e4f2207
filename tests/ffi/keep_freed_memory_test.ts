// The shim keeps freed memory in the process (t_keep_freed_memory, ffi/shim.cpp): a step that allocates
// what the last one freed touches the same pages again instead of faulting in fresh ones. Counted in page
// faults, not timed. A 64 MiB tensor is made, filled and freed in rounds: with glibc's defaults
// (DCGAN_KEEP_FREED_MEMORY=0) every round faults in all its pages; with the shim's setting a round
// faults none, except one after Deno itself calls malloc_trim (which it does now and then), so the test
// looks at the round that faulted least.
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const PAGES = (64 << 20) / 4096; // 16,384 pages a round

/** The minor page faults of each of 8 rounds, after a first one, as a JSON array. */
const SCRIPT = `
import * as t from "${ROOT}mod.ts";
const minorFaults = () => Number(Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ")[7]);
const round = () => t.tidy(() => t.full([16, 1024, 1024], 1).sum().item()); // 64 MiB of float32
round();
const faults = [];
for (let i = 0; i < 8; i++) {
  const before = minorFaults();
  round();
  faults.push(minorFaults() - before);
}
console.log(JSON.stringify(faults));
`;

async function faultsPerRound(env: Record<string, string>): Promise<number[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", `${ROOT}deno.json`, SCRIPT],
    env,
    stderr: "inherit",
  }).output();
  assert.ok(output.success, "the page-fault script failed");
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test("freed tensors' pages are reused by the next allocation, and faulted in afresh with glibc's defaults", async () => {
  const kept = await faultsPerRound({});
  const released = await faultsPerRound({ DCGAN_KEEP_FREED_MEMORY: "0" });
  assert.ok(Math.min(...kept) < PAGES / 8, `with the shim's setting, every round faulted: ${kept}`);
  assert.ok(Math.min(...released) > PAGES / 2, `with glibc's defaults, a round faulted only: ${released}`);
});
