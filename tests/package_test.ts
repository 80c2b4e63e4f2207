// The package as JSR checks it: `deno publish --dry-run` passes (JSR itself is unreachable here, so
// its checks are the bar), every entry point is documented, doc examples import the package by name and
// type-check, and `@gan/dcgan` keeps the common API while the subpaths hold the rest.
import assert from "node:assert/strict";
import { join } from "node:path";
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
      "ffi/conv_matmul.cpp",
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

/** The package's entry points, as deno.json's `exports` names them. */
async function entryPoints(): Promise<Record<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  return config.exports;
}

Deno.test("deno doc --lint finds every export of every entry point documented", async () => {
  const entries = Object.values(await entryPoints());
  assert.ok(entries.length >= 8, `entry points: ${entries.join(", ")}`);
  for (const files of [["mod.ts"], entries]) {
    const { code, text } = await deno(["doc", "--lint", ...files]);
    assert.equal(code, 0, text);
    assert.doesNotMatch(text, /error\[/);
  }
});

Deno.test("doc examples import from @gan/dcgan and type-check, as do docs/library.md's", async () => {
  const relative: string[] = [];
  const files = await libraryFiles();
  for (const file of files) {
    const text = await Deno.readTextFile(join(ROOT, file));
    for (const line of text.split("\n")) {
      if (/^\s*\*\s*import .* from "(\.\.?\/)+mod\.ts";/.test(line)) relative.push(`${file}: ${line.trim()}`);
    }
  }
  assert.deepEqual(relative, [], "examples import the package by name, as a user's script does");
  const { code, text } = await deno(["check", "--doc", ...files]);
  assert.equal(code, 0, text);
  const docs = await deno(["check", "--doc-only", "docs/library.md"]);
  assert.equal(docs.code, 0, docs.text);
});

/** Every library .ts file under ops/, models/, tasks/ and ffi/, and mod.ts, relative to the root. */
async function libraryFiles(): Promise<string[]> {
  const files = ["mod.ts"];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(join(ROOT, dir))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  for (const dir of ["ops", "models", "tasks", "ffi"]) await walk(dir);
  return files.sort();
}

Deno.test("@gan/dcgan keeps the common API and leaves internals to the subpaths", async () => {
  const entries = await entryPoints();
  const modules: Record<string, Record<string, unknown>> = {};
  for (const [name, path] of Object.entries(entries)) modules[name] = await import(join(ROOT, path));
  const root = modules["."]!;
  for (
    const name of [
      "InceptionA",
      "InceptionE",
      "InceptionAux",
      "BasicConv2d",
      "GP_WEIGHT",
      "INCEPTION_EXPORT_HELP",
    ]
  ) {
    assert.ok(!(name in root), `${name} is not exported from @gan/dcgan`);
  }
  for (const name of ["InceptionA", "BasicConv2d", "InceptionV3", "frechetDistance"]) {
    assert.ok(name in modules["./metrics"]!, `@gan/dcgan/metrics exports ${name}`);
  }
  const common = [
    "Tensor",
    "randn",
    "Module",
    "Conv2d",
    "Adam",
    "Generator",
    "train",
    "loadGenerator",
    "saveImage",
    "gridImage",
    "displayGrid",
    "evaluate",
    "loadDataset",
    "loadImageFolder",
    "loadFashionMnist",
    "loadEmojiDataset",
    "BatchLoader",
  ];
  for (const name of common) assert.ok(name in root, `@gan/dcgan exports ${name}`);
  const expected: Record<string, string[]> = {
    "./ops": ["conv2d", "CudaGraph", "initProcessGroup"],
    "./nn": ["Module", "ConvNd", "kaimingUniform", "Adam", "saveStateDict"],
    "./gan": ["generatorLayers", "gradientPenalty", "diffAugment", "RECIPES", "TrainingHealth"],
    "./data": ["loadImageFolder", "DeviceBatches", "decodeImage", "FASHION_MNIST_CLASSES"],
    "./image": ["makeGridArray", "encodePng", "gridImage"],
    "./cli": ["main"],
  };
  for (const [entry, names] of Object.entries(expected)) {
    for (const name of names) {
      assert.ok(name in modules[entry]!, `@gan/dcgan${entry.slice(1)} exports ${name}`);
    }
  }
  // a name in two entry points is one binding, not two copies
  assert.equal(root.Tensor, modules["./ops"]!.Tensor);
  assert.equal(root.gridImage, modules["./image"]!.gridImage);
});
