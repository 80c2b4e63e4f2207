// The package as users get it from JSR: loaded over HTTP (here a loopback server over this checkout),
// it downloads the shim's C++ sources, compiles them into the cache and runs `sample`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Generator, saveStateDict } from "../mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("loaded over HTTP, the package fetches and compiles its shim and runs sample", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(join(ROOT, path));
      const type = path.endsWith(".ts")
        ? "application/typescript"
        : path.endsWith(".json")
        ? "application/json"
        : "text/plain";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const dir = await Deno.makeTempDir({ prefix: "dcgan-remote-" });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    // JSR rewrites the bare "imagescript" import to npm:imagescript@1.3.1 at publish; an import map does it here
    await Deno.writeTextFile(
      join(dir, "map.json"),
      JSON.stringify({ imports: { imagescript: "npm:imagescript@1.3.1" } }),
    );
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--import-map", join(dir, "map.json"), `${base}/mod.ts`, ...args],
        cwd: dir,
        env: { DCGAN_CACHE: join(dir, "cache") },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const version = await run(["--version"]);
    assert.equal(version.code, 0, new TextDecoder().decode(version.stderr));
    const help = await run(["sample", "--help"]);
    assert.match(new TextDecoder().decode(help.stdout), /sample --checkpoint PATH/);
    {
      using netG = new Generator({ nz: 8, ngf: 4, nc: 3, imageSize: 32 });
      await saveStateDict(netG, join(dir, "generator.safetensors"));
    }
    const sample = await run(["sample", "--checkpoint", join(dir, "generator.safetensors"), "--n", "4"]);
    const stderr = new TextDecoder().decode(sample.stderr);
    assert.equal(sample.code, 0, stderr);
    assert.match(stderr, /Compiling the libtorch shim/);
    assert.equal(new TextDecoder().decode(sample.stdout).trim(), "samples.png");
    await Deno.stat(join(dir, "samples.png"));
    // with no --checkpoint, the pretrained generator is downloaded from the package
    const pretrained = await run(["sample", "--n", "4", "--out", join(dir, "pre.png")]);
    assert.equal(pretrained.code, 0, new TextDecoder().decode(pretrained.stderr));
    await Deno.stat(join(dir, "pre.png"));
    for (const name of ["shim.cpp", "shim.h"]) {
      const [downloaded] = [...Deno.readDirSync(join(dir, "cache", "src"))];
      const copy = await Deno.readTextFile(join(dir, "cache", "src", downloaded!.name, name));
      assert.equal(copy, await Deno.readTextFile(join(ROOT, "ffi", name)), `${name} downloaded intact`);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
