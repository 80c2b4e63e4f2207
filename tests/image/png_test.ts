// PNG output: the fewest channels that keep every pixel, read back by PIL pixel for pixel.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Image } from "imagescript";
import { encodePng, writeImage, writePng } from "../../tasks/image/png.ts";
import type { HostImage } from "../../tasks/data/types.ts";
import { python, withTempDir } from "../fixtures.ts";

/** Random pixels; `gray` repeats one value over R, G and B, `alpha` sets every alpha byte. */
function pixels(width: number, height: number, channels: number, how: { gray?: boolean; alpha?: number }) {
  const data = new Uint8Array(width * height * channels);
  let seed = 7;
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < channels; c++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      data[i * channels + c] = how.gray && c > 0 && c < 3 ? data[i * channels]! : seed >> 23;
    }
    if (channels === 4 && how.alpha !== undefined) data[i * 4 + 3] = how.alpha;
  }
  return { data, width, height, channels } satisfies HostImage;
}

Deno.test("writePng() writes RGB, gray or RGBA as the pixels need, and PIL reads the same pixels", async () => {
  const cases = [
    { name: "rgb", image: pixels(5, 3, 3, {}), mode: "RGB" },
    { name: "opaque_rgba", image: pixels(4, 6, 4, { alpha: 255 }), mode: "RGB" },
    { name: "gray_rgb", image: pixels(7, 2, 3, { gray: true }), mode: "L" },
    { name: "gray", image: pixels(3, 3, 1, {}), mode: "L" },
    { name: "rgba", image: pixels(4, 4, 4, {}), mode: "RGBA" },
  ];
  await withTempDir(async (dir) => {
    for (const { name, image } of cases) await writePng(image, join(dir, `${name}.png`));
    await python(
      dir,
      `
import json
from PIL import Image
out = {}
for name in ${JSON.stringify(cases.map((c) => c.name))}:
    im = Image.open(name + ".png")
    out[name] = [im.mode, im.size, list(im.convert("RGBA").tobytes())]
json.dump(out, open("out.json", "w"))
`,
    );
    const read = JSON.parse(await Deno.readTextFile(join(dir, "out.json")));
    for (const { name, image, mode } of cases) {
      const [theirMode, size, rgba] = read[name];
      assert.equal(theirMode, mode, name);
      assert.deepEqual(size, [image.width, image.height], name);
      const expected = (await Image.decode(await Deno.readFile(join(dir, `${name}.png`)))).bitmap;
      assert.deepEqual(rgba, [...expected], `${name}: PIL and imagescript read the same pixels`);
      const { data, channels } = image;
      for (let i = 0; i < image.width * image.height; i++) {
        const want = channels === 1
          ? [data[i]!, data[i]!, data[i]!, 255]
          : [...data.subarray(i * channels, i * channels + 3), channels === 4 ? data[i * 4 + 3]! : 255];
        assert.deepEqual(rgba.slice(i * 4, i * 4 + 4), want, `${name} pixel ${i}`);
      }
    }
  });
});

Deno.test("a grid as RGB PNG is a third smaller than imagescript's RGBA, with the same pixels", async () => {
  const grid = await Image.decode(
    await Deno.readFile(new URL("../../docs/images/pretrained_grid.png", import.meta.url)),
  );
  const rgba = await grid.encode();
  const { bitmap, width, height } = grid;
  const ours = encodePng({ data: new Uint8Array(bitmap), width, height, channels: 4 });
  assert.equal(ours[25], 2, "colour type 2 (RGB)");
  assert.ok(ours.length < 0.7 * rgba.length, `RGB ${ours.length} bytes, RGBA ${rgba.length}`);
  assert.deepEqual((await Image.decode(ours)).bitmap, bitmap);
  await withTempDir(async (dir) => {
    await writeImage(grid, join(dir, "grid.png"));
    assert.deepEqual(
      await Deno.readFile(join(dir, "grid.png")),
      ours,
      "writeImage() writes encodePng()'s bytes",
    );
  });
  assert.throws(
    () => encodePng({ data: new Uint8Array(8), width: 2, height: 2, channels: 2 }),
    /2 channels: expected 1 \(gray\), 3 \(RGB\) or 4 \(RGBA\)/,
  );
  assert.throws(
    () => encodePng({ data: new Uint8Array(8), width: 2, height: 2, channels: 3 }),
    /8 bytes, expected 2x2x3/,
  );
});
