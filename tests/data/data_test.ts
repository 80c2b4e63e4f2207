/**
 * The data pipeline against PIL/torchvision on the same inputs (resize + crop, decode + composite +
 * grayscale), the image folder loader and its cache, the emoji and Fashion-MNIST data sets, and the
 * batch loader.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Image } from "imagescript";
import { decodeDatasetCache, encodeDatasetCache } from "../../tasks/data/dataset_cache.ts";
import { decodeFiles } from "../../tasks/data/decode_files.ts";
import { decodeImage } from "../../tasks/data/decode_image.ts";
import { emojiFiles, loadEmojiDataset } from "../../tasks/data/emoji.ts";
import { FASHION_MNIST_DIR, loadFashionMnist, parseIdx } from "../../tasks/data/fashion_mnist.ts";
import { readImageHeader } from "../../tasks/data/image_header.ts";
import { loadImageFolder } from "../../tasks/data/image_folder.ts";
import { BatchLoader, NORMALIZE_TABLE } from "../../tasks/data/loader.ts";
import { createRng, permutation } from "../../tasks/data/prng.ts";
import { centerCrop, resizeCenterCrop, resizedSize } from "../../tasks/data/resize.ts";
import type { ImageDataset } from "../../tasks/data/types.ts";
import { python, withTempDir } from "../fixtures.ts";

/** Largest absolute difference between two byte arrays of equal length. */
function maxDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length, "lengths differ");
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Captures console.warn lines while `fn` runs. */
async function captureWarnings<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(" "));
  try {
    return { value: await fn(), warnings };
  } finally {
    console.warn = original;
  }
}

/**
 * The reference pipeline in Python (composite on white, optional "L", Resize, CenterCrop, CHW) for each
 * `[size, channels]` config; config k's images, concatenated, go to `ref<k>.bin` in `dir`.
 */
async function referencePipeline(
  dir: string,
  files: string[],
  configs: readonly (readonly [number, number])[],
) {
  await python(
    dir,
    `
import numpy as np
from PIL import Image
import torchvision.transforms as T
def pipeline(path, size, channels):
    im = Image.open(path).convert("RGBA")
    im = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im)
    im = im.convert("RGB" if channels == 3 else "L")
    im = T.Compose([T.Resize(size), T.CenterCrop(size)])(im)
    a = np.asarray(im)
    return a.transpose(2, 0, 1) if a.ndim == 3 else a
for k, (size, channels) in enumerate(${JSON.stringify(configs)}):
    out = np.concatenate([pipeline(p, size, channels).reshape(-1) for p in ${JSON.stringify(files)}])
    out.astype(np.uint8).tofile(f"ref{k}.bin")
`,
  );
}

// ---------------------------------------------------------------------------------------------------
// resize

Deno.test("resizeCenterCrop() matches torchvision Resize + CenterCrop on PIL images exactly", async () => {
  const cases: [number, number, number, number][] = [
    // width, height, size, channels
    [72, 64, 64, 3],
    [64, 64, 32, 3],
    [100, 80, 64, 3],
    [80, 100, 64, 1],
    [28, 28, 64, 1],
    [28, 28, 32, 1],
    [65, 64, 64, 3], // crop offset 0.5 rounds to even (0)
    [67, 64, 64, 3], // crop offset 1.5 rounds to even (2)
    [333, 517, 64, 3],
    [1000, 37, 16, 3],
    [5, 7, 64, 3],
    [640, 480, 64, 3],
  ];
  await withTempDir(async (dir) => {
    const rng = createRng(7);
    const inputs = cases.map(([w, h, , c]) => Uint8Array.from({ length: w * h * c }, () => rng.int(256)));
    for (const [i, data] of inputs.entries()) await Deno.writeFile(join(dir, `in${i}.bin`), data);
    await python(
      dir,
      `
import json, numpy as np
from PIL import Image
import torchvision.transforms as T
for i, (w, h, size, c) in enumerate(${JSON.stringify(cases)}):
    a = np.fromfile(f"in{i}.bin", dtype=np.uint8).reshape((h, w, c) if c == 3 else (h, w))
    out = T.Compose([T.Resize(size), T.CenterCrop(size)])(Image.fromarray(a))
    np.asarray(out).tofile(f"out{i}.bin")
`,
    );
    for (const [i, [w, h, size, c]] of cases.entries()) {
      const ours = resizeCenterCrop({ data: inputs[i]!, width: w, height: h, channels: c }, size);
      const ref = await Deno.readFile(join(dir, `out${i}.bin`));
      assert.equal(maxDiff(ours.data, ref), 0, `${w}x${h}x${c} -> ${size}: differs from PIL`);
    }
  });
});

Deno.test("resizedSize() and centerCrop() follow torchvision's size and offset rules", () => {
  assert.deepEqual(resizedSize({ width: 100, height: 80 }, 64), { width: 80, height: 64 });
  assert.deepEqual(resizedSize({ width: 64, height: 200 }, 32), { width: 32, height: 100 });
  assert.deepEqual(resizedSize({ width: 3, height: 7 }, 2), { width: 2, height: 4 });
  // Smaller than the crop: zero padding, the extra pixel on the right.
  const tiny = centerCrop({ data: Uint8Array.from([9, 9, 9]), width: 3, height: 1, channels: 1 }, 4);
  assert.deepEqual([...tiny.data.subarray(0, 4)], [0, 0, 0, 0]);
  assert.deepEqual([...tiny.data.subarray(4, 8)], [9, 9, 9, 0]);
  assert.throws(
    () => resizeCenterCrop({ data: new Uint8Array(5), width: 2, height: 2, channels: 1 }, 2),
    TypeError,
  );
  assert.throws(
    () => resizeCenterCrop({ data: new Uint8Array(4), width: 2, height: 2, channels: 1 }, 0),
    RangeError,
  );
});

// ---------------------------------------------------------------------------------------------------
// decoding real files

Deno.test("decoded PNGs match PIL: alpha on white, grayscale 'L', resize (emoji and PIL-written files)", async () => {
  await withTempDir(async (dir) => {
    const { paths } = await emojiFiles();
    const picked = paths.filter((_, i) => i % 97 === 0); // 40 real emoji PNGs with transparency
    // PNG variants written by PIL: RGB, L, P (palette), RGBA, odd sizes. (16-bit PNGs are checked below:
    // PIL 9.4 opens them as mode "I" and clips to 255 on conversion, where we keep the high byte.)
    await python(
      dir,
      `
import numpy as np
from PIL import Image
rng = np.random.default_rng(3)
rgb = rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)
Image.fromarray(rgb).save("rgb.png")
Image.fromarray(rgb[:, :, 0]).save("gray.png")
Image.fromarray(rgb).convert("P").save("palette.png")
Image.fromarray(rng.integers(0, 256, (50, 33, 4), dtype=np.uint8)).save("rgba.png")
Image.fromarray(rgb[:, :, 1].astype(np.uint16) * 257).save("gray16.png")
`,
    );
    const files = [...picked, ...["rgb", "gray", "palette", "rgba"].map((n) => join(dir, `${n}.png`))];
    const configs = [[64, 3], [32, 3], [48, 1]] as const;
    await referencePipeline(dir, files, configs);
    for (const [k, [size, channels]] of configs.entries()) {
      const ours = await decodeFiles(files, { size, channels });
      assert.equal(ours.count, files.length);
      const ref = await Deno.readFile(join(dir, `ref${k}.bin`));
      assert.equal(maxDiff(ours.images, ref), 0, `size ${size}, ${channels} channel(s): differs from PIL`);
    }
    const gray16 = await decodeImage(await Deno.readFile(join(dir, "gray16.png")), { channels: 1 });
    const rgb = await decodeImage(await Deno.readFile(join(dir, "rgb.png")));
    assert.deepEqual(gray16.data, Uint8Array.from({ length: 45 * 70 }, (_, i) => rgb.data[i * 3 + 1]!));
  });
});

Deno.test("decoded JPEGs stay within 3 levels of PIL's libjpeg after resize", async () => {
  await withTempDir(async (dir) => {
    await python(
      dir,
      `
import numpy as np
from PIL import Image
rng = np.random.default_rng(0)
y, x = np.mgrid[0:120, 0:160]
a = np.stack([128 + 100 * np.sin(x / 7 + y / 11), 128 + 90 * np.cos(x / 5 - y / 9), 128 + 60 * np.sin(x * y / 300)], -1)
a = np.clip(a + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
Image.fromarray(a).save("photo.jpg", quality=90)
Image.fromarray(a).save("photo444.jpg", quality=90, subsampling=0)
Image.fromarray(a).save("progressive.jpg", quality=85, progressive=True)
Image.fromarray(a[:, :, 0]).save("gray.jpg", quality=90)
`,
    );
    const files = ["photo", "photo444", "progressive", "gray"].map((n) => join(dir, `${n}.jpg`));
    const configs = [[160, 3], [64, 3], [64, 1]] as const;
    await referencePipeline(dir, files, configs);
    for (const [k, [size, channels]] of configs.entries()) {
      const ours = await decodeFiles(files, { size, channels });
      const diff = maxDiff(ours.images, await Deno.readFile(join(dir, `ref${k}.bin`)));
      assert.ok(diff <= 3, `size ${size}, ${channels} channel(s): JPEG differs from PIL by ${diff}`);
    }
  });
});

Deno.test("readImageHeader() reads PNG and JPEG sizes and rejects other bytes", async () => {
  const png = await new Image(7, 5).encode();
  assert.deepEqual(readImageHeader(png), { format: "png", width: 7, height: 5 });
  const jpeg = await new Image(9, 4).fill(0x808080ff).encodeJPEG(80);
  assert.deepEqual(readImageHeader(jpeg), { format: "jpeg", width: 9, height: 4 });
  assert.throws(() => readImageHeader(new TextEncoder().encode("GIF89a....")), /Not a PNG or JPEG/);
  assert.throws(() => readImageHeader(png.subarray(0, 20)), /truncated/);
  assert.throws(() => readImageHeader(jpeg.subarray(0, 6)), /no frame header/);
});

/** A PNG whose IHDR claims `width` x `height` pixels but holds almost no data. */
function giantPngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 6, 0, 0, 0], 24);
  return bytes;
}

/** A JPEG SOF0 header claiming `width` x `height`. */
function giantJpegHeader(width: number, height: number): Uint8Array {
  return Uint8Array.from([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0,
    4,
    0,
    0, // SOI, APP0 (length 4)
    0xff,
    0xc0,
    0,
    11,
    8,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    1,
    1,
    0x11,
    0,
  ]);
}

Deno.test("decodeImage() refuses images over the pixel limit before decoding", async () => {
  await assert.rejects(
    () => decodeImage(giantPngHeader(10000, 10000)),
    /PNG header claims 10000x10000 pixels/,
  );
  await assert.rejects(
    () => decodeImage(giantJpegHeader(60000, 60000)),
    /JPEG header claims 60000x60000 pixels/,
  );
  await assert.rejects(
    () => decodeImage(giantPngHeader(100, 100), { maxPixels: 99 }),
    /over the 99-pixel limit/,
  );
  await assert.rejects(() => decodeImage(new Uint8Array(10)), /Not a PNG or JPEG/);
  await assert.rejects(() => decodeImage(giantPngHeader(10, 10)), /PNG data is corrupt/);
});

// ---------------------------------------------------------------------------------------------------
// image folder

async function writeFolder(root: string): Promise<void> {
  await Deno.mkdir(join(root, "cats", "deep", "deeper"), { recursive: true });
  await Deno.mkdir(join(root, "dogs"), { recursive: true });
  await Deno.writeFile(join(root, "cats", "a.png"), await new Image(72, 64).fill(0xff0000ff).encode());
  await Deno.writeFile(
    join(root, "cats", "deep", "b.PNG"),
    await new Image(40, 50).fill(0x00ff0080).encode(),
  );
  await Deno.writeFile(
    join(root, "cats", "deep", "deeper", "c.JPG"),
    await new Image(80, 60).fill(0x2040c0ff).encodeJPEG(95),
  );
  await Deno.writeFile(join(root, "dogs", "d.jpeg"), await new Image(64, 64).fill(0xffffffff).encodeJPEG(95));
  await Deno.writeFile(
    join(root, "dogs", "broken.png"),
    new TextEncoder().encode("\x89PNG\r\n\x1a\n not really"),
  );
  await Deno.writeFile(join(root, "dogs", "giant.png"), giantPngHeader(20000, 20000));
  await Deno.writeTextFile(join(root, "dogs", "notes.txt"), "not an image");
}

Deno.test("loadImageFolder() loads nested PNG/JPEG files, labels by subfolder, skips bad files", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "images");
    await writeFolder(root);
    const { value: dataset, warnings } = await captureWarnings(() =>
      loadImageFolder(root, { size: 32, cacheDir: join(dir, "cache") })
    );
    assert.equal(dataset.count, 4);
    assert.equal(dataset.channels, 3);
    assert.equal(dataset.size, 32);
    assert.equal(dataset.images.length, 4 * 3 * 32 * 32);
    assert.deepEqual(dataset.names, ["cats", "dogs"]);
    assert.deepEqual([...dataset.labels!], [0, 0, 0, 1]); // cats/a, cats/deep/b, cats/deep/deeper/c, dogs/d
    // cats/a.png is pure red: plane 0 all 255, plane 1 all 0.
    assert.ok(dataset.images.subarray(0, 1024).every((v) => v === 255));
    assert.ok(dataset.images.subarray(1024, 2048).every((v) => v === 0));
    // b.PNG is half-transparent green over white: (127, 255, 127).
    assert.equal(dataset.images[3 * 1024], 127);
    assert.equal(dataset.images[3 * 1024 + 1024], 255);
    assert.deepEqual(dataset.skipped.map((s) => s.path.split("/").pop()).sort(), ["broken.png", "giant.png"]);
    assert.match(
      dataset.skipped.find((s) => s.path.endsWith("giant.png"))!.reason,
      /20000x20000 pixels, over/,
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /Skipped 2 of 6 image files in folder ".*images": .*broken\.png.*giant\.png/);
  });
});

Deno.test("loadImageFolder() converts to grayscale like PIL's 'L'", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "x.png"), await new Image(8, 8).fill(0x2040c0ff).encode());
    const dataset = await loadImageFolder(dir, { size: 8, channels: 1, cache: false });
    assert.equal(dataset.images.length, 64);
    assert.equal(dataset.labels, undefined); // no class subfolders
    // L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
    assert.equal(dataset.images[0], (0x20 * 19595 + 0x40 * 38470 + 0xc0 * 7471 + 0x8000) >> 16);
  });
});

Deno.test("loadImageFolder() names the folder when it is empty or missing", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "empty", "sub"), { recursive: true });
    await Deno.writeTextFile(join(dir, "empty", "sub", "readme.txt"), "no images here");
    await assert.rejects(
      () => loadImageFolder(join(dir, "empty"), { size: 32, cache: false }),
      (e: Error) => e.message.includes(`No images in folder "${join(dir, "empty")}"`),
    );
    await assert.rejects(
      () => loadImageFolder(join(dir, "missing"), { size: 32, cache: false }),
      /Cannot read image folder ".*missing": it does not exist/,
    );
    await Deno.writeFile(join(dir, "bad.png"), new Uint8Array(3));
    const { warnings } = await captureWarnings(() =>
      assert.rejects(() => loadImageFolder(dir, { size: 32, cache: false }), /None of the 1 images in folder/)
    );
    assert.equal(warnings.length, 1);
  });
});

Deno.test("loadImageFolder() reads its cache on the second load and rebuilds when a file changes", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "images");
    const cacheDir = join(dir, "cache");
    await Deno.mkdir(root);
    const file = join(root, "a.png");
    await Deno.writeFile(file, await new Image(16, 16).fill(0x000000ff).encode());
    await Deno.writeFile(join(root, "b.png"), await new Image(16, 16).fill(0x808080ff).encode());
    let decoded = 0;
    const options = { size: 16, cacheDir, onProgress: () => decoded++ };

    const first = await loadImageFolder(root, options);
    assert.equal(decoded, 2);
    const cacheFiles = [];
    for await (const entry of Deno.readDir(cacheDir)) cacheFiles.push(entry.name);
    assert.equal(cacheFiles.length, 1);
    assert.match(cacheFiles[0]!, /^folder-[0-9a-f]{32}\.ganu8$/);

    const second = await loadImageFolder(root, options);
    assert.equal(decoded, 2, "second load decoded files instead of reading the cache");
    assert.deepEqual(second.images, first.images);

    // A new mtime invalidates the cache, and so do new contents.
    const { mtime } = await Deno.stat(file);
    await Deno.utime(file, new Date(mtime!.getTime() + 5000), new Date(mtime!.getTime() + 5000));
    await loadImageFolder(root, options);
    assert.equal(decoded, 4);
    await Deno.writeFile(file, await new Image(16, 16).fill(0x0a0a0aff).encode());
    const changed = await loadImageFolder(root, options);
    assert.equal(decoded, 6);
    assert.equal(changed.images[0], 10);
    await loadImageFolder(root, options);
    assert.equal(decoded, 6);

    // Other sizes or channels get their own cache file.
    await loadImageFolder(root, { ...options, channels: 1 });
    assert.equal(decoded, 8);
  });
});

Deno.test("dataset cache files round-trip and torn files are ignored", () => {
  const dataset: ImageDataset = {
    images: Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i),
    count: 2,
    channels: 3,
    size: 2,
    labels: Int32Array.from([5, -1]),
    names: ["a", "b"],
    skipped: [{ path: "x.png", reason: "PNG data is corrupt" }],
  };
  const bytes = encodeDatasetCache(dataset);
  const back = decodeDatasetCache(bytes)!;
  assert.deepEqual(back.images, dataset.images);
  assert.deepEqual(back.labels, dataset.labels);
  assert.deepEqual(back.names, dataset.names);
  assert.deepEqual(back.skipped, dataset.skipped);
  assert.equal(decodeDatasetCache(bytes.subarray(0, bytes.length - 1)), undefined);
  assert.equal(decodeDatasetCache(new Uint8Array(8)), undefined);
});

// ---------------------------------------------------------------------------------------------------
// emoji

Deno.test("loadEmojiDataset() loads all 3,786 Twemoji PNGs and filters by category", async () => {
  await withTempDir(async (cacheDir) => {
    const all = await loadEmojiDataset({ cacheDir });
    assert.equal(all.count, 3786);
    assert.equal(all.skipped.length, 0);
    assert.equal(all.images.length, 3786 * 3 * 64 * 64);
    assert.equal(all.names!.length, 10);
    assert.equal(new Set(all.labels).size, 10);

    const smileys = await loadEmojiDataset({
      cacheDir,
      size: 32,
      channels: 1,
      category: "Smileys & Emotion",
    });
    const index = all.names!.indexOf("Smileys & Emotion");
    assert.equal(smileys.count, 169);
    assert.equal(smileys.images.length, 169 * 32 * 32);
    assert.ok(smileys.labels!.every((l) => l === index));
    assert.equal(all.labels!.filter((l) => l === index).length, 169);
  });
});

Deno.test("loadEmojiDataset() lists the valid categories for an unknown one", async () => {
  await assert.rejects(
    () => loadEmojiDataset({ category: "Smileys", cache: false }),
    (e: Error) =>
      e instanceof RangeError && e.message.startsWith('Unknown emoji category "Smileys": expected one of') &&
      e.message.includes('"Smileys & Emotion"') && e.message.includes('"Flags"'),
  );
});

// ---------------------------------------------------------------------------------------------------
// Fashion-MNIST

Deno.test("loadFashionMnist() gives 1-channel images with labels 0..9", async () => {
  const train = await loadFashionMnist();
  assert.equal(train.count, 60000);
  assert.equal(train.channels, 1);
  assert.equal(train.size, 28);
  assert.equal(train.images.length, 60000 * 28 * 28);
  const counts = new Array(10).fill(0);
  for (const l of train.labels!) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(6000));
  assert.equal(train.names!.length, 10);

  const test = await loadFashionMnist({ train: false, size: 32 });
  assert.equal(test.count, 10000);
  assert.equal(test.images.length, 10000 * 32 * 32);
  assert.ok(test.labels!.every((l) => l >= 0 && l <= 9));
  await assert.rejects(() => loadFashionMnist({ size: 48 as 32 }), RangeError);
});

Deno.test("loadFashionMnist() resizes like torchvision Resize on the PIL image", async () => {
  const test64 = await loadFashionMnist({ train: false, size: 64 });
  await withTempDir(async (dir) => {
    await python(
      dir,
      `
import gzip, os, numpy as np
from PIL import Image
import torchvision.transforms as T
d = "${FASHION_MNIST_DIR}"
path = os.path.join(d, "t10k-images-idx3-ubyte")
raw = gzip.open(path + ".gz").read() if os.path.exists(path + ".gz") else open(path, "rb").read()
a = np.frombuffer(raw[16:], dtype=np.uint8).reshape(-1, 28, 28)[:50]
np.stack([np.asarray(T.Resize(64)(Image.fromarray(x, mode="L"))) for x in a]).tofile("ref.bin")
`,
    );
    const ref = await Deno.readFile(join(dir, "ref.bin"));
    assert.equal(maxDiff(test64.images.subarray(0, 50 * 64 * 64), ref), 0);
  });
});

Deno.test("loadFashionMnist() says which package to install when the files are missing", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(() => loadFashionMnist({ dir }), /apt-get install -y dataset-fashion-mnist/);
  });
  assert.throws(() => parseIdx(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 9, 1])), /truncated/);
  assert.throws(() => parseIdx(Uint8Array.from([1, 2, 3, 4])), /bad magic number/);
});

// ---------------------------------------------------------------------------------------------------
// batch loader

function syntheticDataset(count: number, channels: number, size: number, withLabels = true): ImageDataset {
  const per = channels * size * size;
  const images = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) images.fill(i % 256, i * per, (i + 1) * per); // image i is all i
  const dataset: ImageDataset = { images, count, channels, size, skipped: [] };
  if (withLabels) dataset.labels = Int32Array.from({ length: count }, (_, i) => i * 10);
  return dataset;
}

Deno.test("BatchLoader normalizes exactly like ToTensor + Normalize(0.5, 0.5)", async () => {
  await withTempDir(async (dir) => {
    await python(
      dir,
      `
import numpy as np
from PIL import Image
import torchvision.transforms as T
x = np.arange(256, dtype=np.uint8).reshape(16, 16)
t = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])(Image.fromarray(x, mode="L"))
t.numpy().astype(np.float32).tofile("ref.bin")
`,
    );
    const ref = new Float32Array((await Deno.readFile(join(dir, "ref.bin"))).buffer);
    assert.deepEqual(NORMALIZE_TABLE, ref);
    const dataset: ImageDataset = {
      images: Uint8Array.from({ length: 256 }, (_, i) => i),
      count: 1,
      channels: 1,
      size: 16,
      skipped: [],
    };
    const [batch] = new BatchLoader(dataset, { batchSize: 1 }).epoch(0);
    assert.deepEqual(batch!.images.data, ref);
    assert.deepEqual(batch!.images.shape, [1, 1, 16, 16]);
  });
});

Deno.test("BatchLoader shuffles reproducibly per epoch and yields a smaller last batch", () => {
  const dataset = syntheticDataset(10, 1, 2);
  const loader = new BatchLoader(dataset, { batchSize: 4, seed: 123 });
  assert.equal(loader.batchesPerEpoch, 3);
  const seen = (e: number, l = loader) => {
    const batches = []; // copied as they come: a batch's buffers are reused by the next one
    for (const b of l.epoch(e)) {
      batches.push({ indices: [...b.indices], labels: [...b.labels!], n: b.images.shape[0] });
    }
    return batches;
  };
  const epoch0 = seen(0);
  assert.deepEqual(epoch0.map((b) => b.n), [4, 4, 2]);
  const order0 = epoch0.flatMap((b) => b.indices);
  assert.deepEqual([...order0].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(order0, [...permutation(10, 123)]);
  assert.deepEqual(epoch0.flatMap((b) => b.labels), order0.map((i) => i * 10));
  // Same seed, same epoch: same order (a resumed run); next epoch: seed + 1.
  assert.deepEqual(seen(0, new BatchLoader(dataset, { batchSize: 4, seed: 123 })), epoch0);
  assert.deepEqual(seen(1).flatMap((b) => b.indices), [...permutation(10, 124)]);
  assert.deepEqual(seen(0, new BatchLoader(dataset, { batchSize: 4, seed: 122 })).flatMap((b) => b.indices), [
    ...permutation(10, 122),
  ]);
  assert.notDeepEqual(seen(1).flatMap((b) => b.indices), order0);
  assert.notDeepEqual([...permutation(10, 122)], order0);

  const dropped = new BatchLoader(dataset, { batchSize: 4, dropLast: true, shuffle: false });
  assert.equal(dropped.batchesPerEpoch, 2);
  assert.deepEqual([...dropped.epoch(0)].map((b) => [...b.indices]), [[0, 1, 2, 3], [4, 5, 6, 7]]);
});

Deno.test("BatchLoader writes each image's pixels in NCHW order and reuses its buffers", () => {
  const dataset = syntheticDataset(5, 3, 4, false);
  const loader = new BatchLoader(dataset, { batchSize: 2, shuffle: false });
  const buffers = new Set<Float32Array>();
  for (const { images, indices, labels } of loader) {
    assert.equal(labels, undefined);
    buffers.add(images.data);
    for (const [k, index] of indices.entries()) {
      const expected = NORMALIZE_TABLE[index]!;
      assert.ok(images.data.subarray(k * 48, (k + 1) * 48).every((v) => v === expected));
    }
  }
  assert.equal(buffers.size, 2); // one buffer for batches of 2, one for the last batch of 1
  assert.throws(() => new BatchLoader(dataset, { batchSize: 0 }), RangeError);
  assert.throws(() => new BatchLoader({ ...dataset, count: 6 }, { batchSize: 2 }), TypeError);
});
