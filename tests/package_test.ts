// The package as JSR checks it: `deno publish --dry-run` passes (JSR itself is unreachable here, so
// its checks are the bar) and `deno doc --lint mod.ts` finds every export documented.
import assert from "node:assert/strict";
import { runDeno } from "./fixtures.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Runs `deno args` in the package root without colours; returns the exit code and stdout + stderr. */
async function deno(args: string[]) {
  const { code, stdout, stderr } = await runDeno(args, { cwd: ROOT, env: { NO_COLOR: "1" } });
  return { code, text: stdout + stderr };
}

Deno.test("deno publish --dry-run passes without warnings and ships the shim's C++ sources and LICENSE", async () => {
  const { code, text } = await deno(["publish", "--dry-run", "--allow-dirty"]);
  assert.equal(code, 0, text);
  assert.match(text, /Success Dry run complete/);
  assert.doesNotMatch(text, /warning/i, "JSR would warn");
  for (
    const file of [
      "ffi/shim.cpp",
      "ffi/shim.h",
      "ffi/conv_fast.cpp",
      "mod.ts",
      "tasks/cli/main.ts",
      "README.md",
      "LICENSE",
      "tasks/board/page.html",
    ]
  ) {
    assert.ok(text.includes(`/${file} (`), `the package includes ${file}`);
  }
  assert.doesNotMatch(text, /\/tests\//, "tests stay out of the package");
  // benchmarks, their Python references, shell scripts and measured results are the repository's
  assert.doesNotMatch(text, /\/tasks\/bench\/|\.py \(|\.sh \(|\/results\//, "bench files stay out");
});

Deno.test("deno doc --lint mod.ts finds every export documented", async () => {
  const { code, text } = await deno(["doc", "--lint", "mod.ts"]);
  assert.equal(code, 0, text);
  assert.doesNotMatch(text, /error\[/);
});
