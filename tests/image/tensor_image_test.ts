// makeGrid/saveImage on tensors give torchvision's make_grid/save_image pixels.
import assert from "node:assert/strict";
import { Image } from "imagescript";
import * as t from "../../mod.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

Deno.test("makeGrid() on a tensor matches torchvision.utils.make_grid", async () => {
  t.manualSeed(11);
  using images = t.randn([5, 3, 6, 7]);
  using grid = t.makeGrid(images, { nrow: 3, normalize: true, padding: 1 });
  using gray = t.makeGrid(t.tidy(() => images.slice(1, 0, 1)), { nrow: 2, padValue: 0.5 });
  const expected = await runTorch(
    `
    import torchvision.utils as vutils
    out['grid'] = vutils.make_grid(inp['x'], nrow=3, normalize=True, padding=1)
    out['gray'] = vutils.make_grid(inp['x'][:, 0:1], nrow=2, pad_value=0.5)
  `,
    { x: images },
  );
  assertClose(grid, expected.grid, { rtol: 0, atol: 1e-7 }, "make_grid normalized");
  assertClose(gray, expected.gray, { rtol: 0, atol: 1e-7 }, "make_grid 1-channel");
});

Deno.test("saveImage() writes the PNG that torchvision.utils.save_image writes", async () => {
  t.manualSeed(12);
  using images = t.rand([4, 3, 5, 5]);
  const dir = await Deno.makeTempDir();
  try {
    await t.saveImage(images, `${dir}/ours.png`, { nrow: 2 });
    await runTorch(
      `
      import torchvision.utils as vutils
      vutils.save_image(inp['x'], ${JSON.stringify(`${dir}/torch.png`)}, nrow=2)
    `,
      { x: images },
    );
    const ours = await Image.decode(await Deno.readFile(`${dir}/ours.png`));
    const theirs = await Image.decode(await Deno.readFile(`${dir}/torch.png`));
    assert.deepEqual([ours.width, ours.height], [theirs.width, theirs.height]);
    assert.deepEqual(ours.bitmap, theirs.bitmap);
    assert.throws(() => t.makeGrid(t.tidy(() => images.flatten())), /shape \[N, C, H, W\]/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
