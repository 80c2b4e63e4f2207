// Nothing is loaded from where others can write (issue 17, items 3 and 4). Each case plants something
// that would run if it were loaded or imported (a library whose constructor writes a marker file, a
// torch.py that does the same, a tampered C++ source) and checks that the marker never appears. Rebuilds
// are made to fail fast (no g++ on PATH), so no case compiles the shim.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureShim, pythonTorchRoot, shimLibraryPath } from "../../ffi/build.ts";
import { sourceHashesModule } from "../../ffi/shim_sources.ts";
import { withTempDir } from "../fixtures.ts";

const FFI_DIR = new URL("../../ffi/", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/** C code that writes `marker` when the library holding it is loaded. */
function constructorWriting(marker: string): string {
  return `#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
  FILE* f = fopen(${JSON.stringify(marker)}, "w");
  if (f) { fputs("planted code ran", f); fclose(f); }
}
`;
}

/** Compiles a library at `path` whose constructor writes `marker`. */
async function plantLibrary(path: string, marker: string): Promise<void> {
  const source = `${path}.c`;
  await Deno.writeTextFile(source, constructorWriting(marker));
  const gcc = await new Deno.Command("gcc", {
    args: ["-shared", "-fPIC", "-o", path, source],
    stderr: "piped",
  }).output();
  assert.ok(gcc.success, new TextDecoder().decode(gcc.stderr));
  await Deno.remove(source);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Runs `fn` with some environment variables set (undefined: removed), then puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, Deno.env.get(name)]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** ensureShim() then loading what it returns, as ffi.ts does; the error message, or "" when it loaded. */
function ensureAndLoad(): string {
  try {
    Deno.dlopen(ensureShim({ quiet: true }), {}).close();
    return "";
  } catch (error) {
    return (error as Error).message;
  }
}

/** No g++ on PATH: a rebuild fails at once with "Cannot run g++" instead of compiling for a minute. */
const NO_COMPILER = { PATH: "/nonexistent-bin", DCGAN_SHIM: undefined, LIBTORCH: undefined };

Deno.test("ensureShim() without DCGAN_CACHE, XDG_CACHE_HOME or HOME fails instead of using /tmp", async () => {
  const message = await withEnv(
    { ...NO_COMPILER, DCGAN_CACHE: undefined, XDG_CACHE_HOME: undefined, HOME: undefined },
    ensureAndLoad,
  );
  assert.match(
    message,
    /Cannot choose a cache folder .*DCGAN_CACHE, XDG_CACHE_HOME and HOME.*set DCGAN_CACHE/,
  );
  // a relative HOME would put the cache wherever the program runs: refused the same way
  const relative = await withEnv(
    { ...NO_COMPILER, DCGAN_CACHE: undefined, XDG_CACHE_HOME: undefined, HOME: "." },
    ensureAndLoad,
  );
  assert.match(relative, /Cannot choose a cache folder/);
});

Deno.test("ensureShim() rebuilds a library in its cache that another user made, and never loads it", async () => {
  await withTempDir(async (dir) => {
    const marker = join(dir, "marker");
    const cache = join(dir, "cache");
    const library = await withEnv({ DCGAN_CACHE: cache }, shimLibraryPath);
    await Deno.mkdir(join(library, ".."), { recursive: true, mode: 0o700 });
    await plantLibrary(library, marker);
    await Deno.chown(library, 65534, 65534); // nobody's file in our private folder
    const message = await withEnv({ ...NO_COMPILER, DCGAN_CACHE: cache }, ensureAndLoad);
    assert.match(message, /Cannot run g\+\+ to compile the libtorch shim/, "it tried to rebuild");
    assert.equal(await exists(marker), false, "the planted library ran");
    assert.equal(await exists(library), false, "the planted library is removed, not kept for later");
  }, { prefix: "dcgan-shim-cache-" });
});

Deno.test("ensureShim() refuses cache folders that other users can write, naming the folder", async () => {
  await withTempDir(async (dir) => {
    const marker = join(dir, "marker");
    const cache = join(dir, "cache");
    const library = await withEnv({ DCGAN_CACHE: cache }, shimLibraryPath);
    const keyDir = join(library, "..");
    await Deno.mkdir(keyDir, { recursive: true, mode: 0o700 });
    await plantLibrary(library, marker); // ours, but in a folder anyone could have put it in
    for (const open of [keyDir, cache]) {
      await Deno.chmod(open, 0o777);
      const message = await withEnv({ ...NO_COMPILER, DCGAN_CACHE: cache }, ensureAndLoad);
      assert.match(message, new RegExp(`Cannot use the shim cache folder "${open}": other users can write`));
      assert.match(message, /chmod go-w.*DCGAN_CACHE/);
      assert.equal(await exists(marker), false, "the library in a world-writable folder ran");
      await Deno.chmod(open, 0o700);
    }
  }, { prefix: "dcgan-shim-cache-" });
});

Deno.test("the Python probe for torch's headers never imports a torch.py from the current folder", async () => {
  await withTempDir(async (dir) => {
    const marker = join(dir, "marker");
    await Deno.writeTextFile(
      join(dir, "torch.py"),
      `open(${
        JSON.stringify(marker)
      }, "w").write("planted torch.py ran")\n__file__ = "/nowhere/torch/__init__.py"\n`,
    );
    const cwd = Deno.cwd();
    Deno.chdir(dir);
    let root: string | undefined;
    try {
      root = pythonTorchRoot();
    } finally {
      Deno.chdir(cwd);
    }
    assert.equal(await exists(marker), false, "python3 imported the torch.py of the current folder");
    assert.ok(root && await exists(join(root, "include/ATen/ATen.h")), `the real torch, got ${root}`);
  }, { prefix: "dcgan-torch-py-" });
});

Deno.test("source_hashes.ts records the SHA-256 of every C++ source in ffi/", async () => {
  const recorded = await Deno.readTextFile(join(FFI_DIR, "source_hashes.ts"));
  assert.equal(
    recorded,
    await sourceHashesModule(FFI_DIR),
    "a shim source changed: regenerate ffi/source_hashes.ts with `deno run -A ffi/build.ts --write-hashes`",
  );
  for (const entry of Deno.readDirSync(FFI_DIR)) {
    if (/\.(cpp|h)$/.test(entry.name)) {
      assert.ok(recorded.includes(`"${entry.name}"`), `${entry.name} has a hash`);
    }
  }
});

/** Serves this checkout over HTTP as JSR would serve the package, with `shim.cpp` replaced by `shimCpp`. */
function serveCheckout(shimCpp: string | undefined): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    if (path === "/ffi/shim.cpp" && shimCpp !== undefined) return new Response(shimCpp);
    try {
      const type = path.endsWith(".ts") ? "application/typescript" : "text/plain";
      return new Response(await Deno.readFile(join(ROOT, path)), { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

/** Runs `script` (ES module text) in a fresh deno with DCGAN_CACHE set; its exit code and stderr. */
async function runDeno(script: string, cache: string): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-lock", script], // the HTTP-served sources stay out of the repo's deno.lock
    env: { DCGAN_CACHE: cache, PATH: "/nonexistent-bin" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("loaded over HTTP, a shim source that differs from its recorded hash is neither kept nor compiled", async () => {
  await withTempDir(async (dir) => {
    const marker = join(dir, "marker");
    const real = await Deno.readTextFile(join(FFI_DIR, "shim.cpp"));
    const tampered = `${real}\n${constructorWriting(marker)}`;
    // (1) the download is altered on the way
    const altered = serveCheckout(tampered);
    try {
      const base = `http://127.0.0.1:${altered.addr.port}`;
      const { code, stderr } = await runDeno(
        `import { ensureShim, prepareShimSources } from "${base}/ffi/build.ts";
await prepareShimSources();
Deno.dlopen(ensureShim({ quiet: true }), {});`,
        join(dir, "cache"),
      );
      assert.notEqual(code, 0);
      assert.match(stderr, /shim\.cpp does not match the SHA-256 the package records for it/);
      assert.equal(await exists(marker), false, "the tampered source was compiled and loaded");
    } finally {
      await altered.shutdown();
    }
    // (2) a tampered copy already in the cache is downloaded again, not compiled
    const cached = join(dir, "cache", "src", "remote", "shim.cpp");
    await Deno.mkdir(join(cached, ".."), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(cached, tampered);
    const intact = serveCheckout(undefined);
    try {
      const base = `http://127.0.0.1:${intact.addr.port}`;
      const { code, stderr } = await runDeno(
        `import { prepareShimSources } from "${base}/ffi/build.ts";
console.error(await prepareShimSources());`,
        join(dir, "cache"),
      );
      assert.equal(code, 0, stderr);
      assert.equal(await Deno.readTextFile(cached), real, "the cached tampered source was kept");
    } finally {
      await intact.shutdown();
    }
  }, { prefix: "dcgan-shim-src-" });
});
