// The examples and the README's "use it from your own script" section run as written (tiny configs).
import assert from "node:assert/strict";
import { join } from "node:path";
import { Image } from "imagescript";
import { PYTHON, runDeno } from "./fixtures.ts";
import { REFERENCE_DIR } from "./torch_ref.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Runs `deno args` in `cwd` and returns its stdout; fails with its stderr on a non-zero exit. */
async function deno(args: string[], cwd = ROOT) {
  const { code, stdout, stderr } = await runDeno(args, { cwd });
  assert.equal(code, 0, `deno ${args.join(" ")} failed:\n${stderr}`);
  return stdout;
}

Deno.test("examples/gan_2d_points.ts learns the ring", async () => {
  const out = await deno(["run", "-A", "examples/gan_2d_points.ts", "1500"]);
  const radius = Number(out.match(/mean radius .*: ([\d.]+)/)?.[1]);
  assert.ok(Math.abs(radius - 1) < 0.15, `mean radius ${radius}`);
});

Deno.test("examples/load_pytorch_checkpoint.ts samples from a generator PyTorch saved", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `
import sys, torch
sys.path.insert(0, ${JSON.stringify(REFERENCE_DIR)})
from torch_reference import Generator, weights_init
from safetensors_io import save_safetensors
torch.manual_seed(3)
netG = Generator(32, 8, 3); netG.apply(weights_init)
save_safetensors(${JSON.stringify(join(dir, "netG.safetensors"))}, netG.state_dict())
`;
    const py = await new Deno.Command(PYTHON, { args: ["-c", script], stderr: "piped" }).output();
    assert.ok(py.success, new TextDecoder().decode(py.stderr));
    const out = await deno([
      "run",
      "-A",
      "examples/load_pytorch_checkpoint.ts",
      join(dir, "netG.safetensors"),
      join(dir, "g.png"),
    ]);
    assert.match(out, /loaded a 64x64 generator with nz 32, ngf 8/);
    const grid = await Image.decode(await Deno.readFile(join(dir, "g.png")));
    assert.deepEqual([grid.width, grid.height], [4 * 66 + 2, 4 * 66 + 2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/train_own_folder.ts trains on a folder of images", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (let i = 0; i < 6; i++) {
      const image = new Image(48, 40).fill(Image.rgbaToColor(40 * i, 255 - 40 * i, 128, 255));
      await Deno.writeFile(join(dir, `${i}.png`), await image.encode());
    }
    const out = await deno(["run", "-A", join(ROOT, "examples/train_own_folder.ts"), dir, "1"], dir);
    assert.match(out, /Data: .* 6 images of 3x32x32/);
    const run = out.match(/samples and checkpoints are in (.*)/)?.[1];
    assert.ok(run, out);
    await Deno.stat(join(dir, run, "generator.safetensors"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's 'use it from your own script' section runs as written", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const section = readme.split("## Use it from your own script")[1];
  const code = section?.match(/```ts\n([\s\S]*?)```/)?.[1];
  assert.ok(code, "the README has a ts block in that section");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "script.ts"), code);
    const imports = {
      "@gan/dcgan": join(ROOT, "mod.ts"),
      "jsr:@gan/dcgan": join(ROOT, "mod.ts"),
      imagescript: "npm:imagescript@1.3.1",
    };
    const map = { imports };
    await Deno.writeTextFile(join(dir, "map.json"), JSON.stringify(map));
    const out = await deno(["run", "-A", "--import-map", join(dir, "map.json"), join(dir, "script.ts")], dir);
    assert.ok(out.trim().length > 0, "the script prints something");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
