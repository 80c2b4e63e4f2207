// The sample command: grids, truncation, interpolation (PNG and GIF), latent arithmetic, and the
// errors a user meets; plus the latent-space math it uses.
import assert from "node:assert/strict";
import { join } from "node:path";
import { GIF, Image } from "imagescript";
import * as t from "../../mod.ts";
import { main as sample } from "../../tasks/cli/sample.ts";
import { imageSize } from "../fixtures.ts";

async function withGenerator(fn: (dir: string, checkpoint: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "dcgan-sample-" });
  try {
    t.manualSeed(1);
    using netG = t.weightsInit(new t.Generator({ nz: 8, ngf: 4, nc: 3, imageSize: 32 }));
    await t.saveStateDict(netG, join(dir, "generator.safetensors"));
    await fn(dir, join(dir, "generator.safetensors"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A PNG's decoded RGBA bytes: the file also holds its creation time, which differs between two writes. */
async function pixels(path: string): Promise<Uint8ClampedArray> {
  return (await Image.decode(await Deno.readFile(path))).bitmap;
}

async function quietly(args: string[]): Promise<{ code: number; errors: string[] }> {
  const errors: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = () => {};
  console.error = (line: string) => errors.push(line);
  try {
    return { code: await sample(args), errors };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

Deno.test("sample writes an n-image grid, reproducible by seed, from a file or a run folder", async () => {
  await withGenerator(async (dir, checkpoint) => {
    assert.equal(
      (await quietly(["--checkpoint", checkpoint, "--n", "6", "--nrow", "3", "--out", join(dir, "a.png")]))
        .code,
      0,
    );
    assert.deepEqual(await imageSize(join(dir, "a.png")), [3 * 34 + 2, 2 * 34 + 2]);
    assert.equal(
      (await quietly(["--checkpoint", dir, "--n", "6", "--nrow", "3", "--out", join(dir, "b.png")])).code,
      0,
    );
    assert.deepEqual(await pixels(join(dir, "a.png")), await pixels(join(dir, "b.png")));
    await quietly([
      "--checkpoint",
      dir,
      "--n",
      "6",
      "--seed",
      "5",
      "--truncate",
      "0.5",
      "--out",
      join(dir, "c.png"),
    ]);
    assert.notDeepEqual(await pixels(join(dir, "a.png")), await pixels(join(dir, "c.png")));
  });
});

Deno.test("sample interpolate writes a strip or a GIF with one frame per step", async () => {
  await withGenerator(async (dir, checkpoint) => {
    const base = ["interpolate", "--checkpoint", checkpoint, "--from", "1", "--to", "2", "--steps", "5"];
    assert.equal((await quietly([...base, "--out", join(dir, "walk.png")])).code, 0);
    assert.deepEqual(await imageSize(join(dir, "walk.png")), [5 * 34 + 2, 34 + 2]);
    assert.equal((await quietly([...base, "--out", join(dir, "walk.gif")])).code, 0);
    const gif = await GIF.decode(await Deno.readFile(join(dir, "walk.gif")));
    assert.equal(gif.length, 5);
  });
});

Deno.test("sample --save-z then arithmetic averages and combines saved latent vectors", async () => {
  await withGenerator(async (dir, checkpoint) => {
    const z = join(dir, "z.safetensors");
    await quietly(["--checkpoint", checkpoint, "--n", "8", "--save-z", z, "--out", join(dir, "grid.png")]);
    const { tensors } = await t.loadCheckpoint(z);
    assert.deepEqual(tensors.z!.shape, [8, 8, 1, 1]);
    Object.values(tensors).forEach((x) => x.dispose());
    const ok = await quietly([
      "arithmetic",
      "--checkpoint",
      checkpoint,
      "--z",
      z,
      "--expr",
      "1,4 - 2 + 3",
      "--out",
      join(dir, "ar.png"),
    ]);
    assert.equal(ok.code, 0, ok.errors.join("\n"));
    assert.deepEqual(await imageSize(join(dir, "ar.png")), [4 * 34 + 2, 34 + 2]);
    const bad = await quietly(["arithmetic", "--checkpoint", checkpoint, "--z", z, "--expr", "1 + 9"]);
    assert.equal(bad.code, 2);
    assert.match(bad.errors[0]!, /sample 9 does not exist; indices go from 0 to 7/);
  });
});

Deno.test("sample's errors name the problem and the fix", async () => {
  await withGenerator(async (dir, checkpoint) => {
    const cases: [string[], number, RegExp][] = [
      [["--checkpoint", join(dir, "none")], 1, /does not exist; pass --checkpoint/],
      [["--checkpoint", checkpoint, "--n", "0"], 2, /--n must be a positive integer up to 4,096/],
      [["--checkpoint", checkpoint, "--truncate=-1"], 2, /--truncate must be a number > 0/],
      [["--checkpoint", checkpoint, "--class", "1"], 2, /--class needs a conditional generator/],
      [["--checkpoint", checkpoint, "--device", "cuda"], 2, /no CUDA here; use --device cpu/],
      [["--checkpoint", checkpoint, "--bogus"], 2, /Unknown option '--bogus'; see --help/],
      [["arithmetic", "--checkpoint", checkpoint], 2, /arithmetic needs --z/],
    ];
    for (const [args, code, message] of cases) {
      const result = await quietly(args);
      assert.equal(result.code, code, `${args.join(" ")}: ${result.errors.join(" ")}`);
      assert.match(result.errors.join("\n"), message);
    }
  });
});

Deno.test("sample without --checkpoint draws from the pretrained generator shipped with the package", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await quietly(["--n", "4", "--nrow", "2", "--out", join(dir, "pre.png")]);
    assert.equal(result.code, 0, result.errors.join("\n"));
    assert.match(result.errors.join("\n"), /pretrained emoji generator/);
    assert.deepEqual(await imageSize(join(dir, "pre.png")), [2 * 66 + 2, 2 * 66 + 2]);
    using netG = await t.loadGenerator(
      new URL("../../models/pretrained/emoji_64.safetensors", import.meta.url),
    );
    assert.deepEqual([netG.nz, netG.ngf, netG.imageSize], [128, 32, 64]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("slerp keeps the ends and the norm; latent expressions parse and combine", () => {
  const a = Float32Array.of(3, 0), b = Float32Array.of(0, 3);
  assert.deepEqual(Array.from(t.slerp(a, b, 0)), [3, 0]);
  const mid = t.slerp(a, b, 0.5);
  assert.ok(Math.abs(Math.hypot(mid[0]!, mid[1]!) - 3) < 1e-5, "slerp between equal norms keeps the norm");
  assert.ok(Math.abs(mid[0]! - mid[1]!) < 1e-6);
  assert.deepEqual(t.parseLatentExpression("1,4 - 2 + 3", 5), [
    { sign: 1, indices: [1, 4] },
    { sign: -1, indices: [2] },
    { sign: 1, indices: [3] },
  ]);
  assert.throws(() => t.parseLatentExpression("1 -- 2", 5), /must be terms like/);
  const combined = t.combineLatents(Float32Array.of(1, 0, 0, 1, 2, 2), 2, [{ sign: 1, indices: [0, 2] }, {
    sign: -1,
    indices: [1],
  }]);
  assert.deepEqual(Array.from(combined), [1.5, 1, 0, 1, 1.5, 0]);
});
