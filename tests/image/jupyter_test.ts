// Grids in Deno's Jupyter kernel: the MIME bundle a PngImage hands the kernel, and displayGrid's path
// through Deno.jupyter.display (faked here: the kernel is not needed to check what it is given).
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { Image } from "imagescript";
import { displayGrid, gridImage, manualSeed, PngImage, randn, saveImage } from "../../mod.ts";
import { withTempDir } from "../fixtures.ts";

const DISPLAY = Symbol.for("Jupyter.display");

/** What Deno's kernel does with a value (its `format()`): call the display method for a MIME bundle. */
async function kernelFormat(value: unknown): Promise<Record<string, unknown>> {
  const method = (value as Record<symbol, unknown>)[DISPLAY];
  assert.equal(typeof method, "function", 'the value has a Symbol.for("Jupyter.display") method');
  return await (method as () => unknown).call(value) as Record<string, unknown>;
}

Deno.test("gridImage() gives the kernel an image/png bundle of the PNG that saveImage() writes", async () => {
  manualSeed(5);
  using fake = randn([6, 3, 8, 8]);
  const options = { nrow: 3, normalize: true, valueRange: [-1, 1] as [number, number] };
  const grid = gridImage(fake, options);
  assert.ok(grid instanceof PngImage);
  assert.deepEqual([grid.width, grid.height], [3 * 10 + 2, 2 * 10 + 2]);
  const bundle = await kernelFormat(grid);
  assert.deepEqual(Object.keys(bundle), ["image/png"]);
  const png = Buffer.from(bundle["image/png"] as string, "base64");
  await withTempDir(async (dir) => {
    await saveImage(fake, join(dir, "grid.png"), options);
    assert.deepEqual(new Uint8Array(png), await Deno.readFile(join(dir, "grid.png")));
  });
  const image = await Image.decode(png);
  assert.deepEqual([image.width, image.height], [32, 22]);
  assert.equal(png[25], 2, "an RGB PNG");
  assert.throws(() => new PngImage(new Uint8Array(30)), /not a PNG file/);
});

Deno.test("displayGrid() sends the grid through Deno.jupyter.display, and outside a kernel says how to run one", async () => {
  using fake = randn([4, 1, 5, 5]);
  await assert.rejects(
    displayGrid(fake),
    /outside Deno's Jupyter kernel: run the notebook with `deno jupyter`/,
  );
  const shown: Record<string, unknown>[] = [];
  // Deno.jupyter has a setter; a fake display formats the value as the kernel's does
  (Deno as { jupyter: unknown }).jupyter = {
    display: async (value: unknown) => void shown.push(await kernelFormat(value)),
  };
  await displayGrid(fake, { nrow: 2 });
  assert.equal(shown.length, 1);
  const image = await Image.decode(Buffer.from(shown[0]!["image/png"] as string, "base64"));
  assert.deepEqual([image.width, image.height], [2 * 7 + 2, 2 * 7 + 2]);
});
