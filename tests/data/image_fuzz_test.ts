/**
 * Fuzzing the decode path: seeded mutations (bit flips, byte overwrites, truncation, header and chunk
 * length damage, half of the PNGs with their chunk CRCs made valid again) of valid PNG and JPEG files. Every input must end as a decoded image or a clean skip
 * with a reason, never an uncaught error, a crash or a hang.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Image } from "imagescript";
import { decodeFiles } from "../../tasks/data/decode_files.ts";
import { decodeImage } from "../../tasks/data/decode_image.ts";
import { emojiFiles } from "../../tasks/data/emoji.ts";
import { createRng, type Rng } from "../../tasks/data/prng.ts";
import { resizeCenterCrop } from "../../tasks/data/resize.ts";

/** The reasons a clean skip may give (see decode_image.ts and image_header.ts). */
const CLEAN_REASON =
  /^(Not a PNG or JPEG file|PNG is truncated|PNG header is corrupt|JPEG is corrupt|JPEG is truncated or corrupt|JPEG frame header is corrupt|(PNG|JPEG) header claims \d+x\d+ pixels, over the|(PNG|JPEG) data is corrupt: the decoder failed|(PNG|JPEG) is inconsistent)/;

async function seeds(): Promise<Uint8Array[]> {
  const { paths } = await emojiFiles();
  const emoji = await Promise.all([0, 500, 1500, 3000].map((i) => Deno.readFile(paths[i]!)));
  const gradient = new Image(37, 23).fill((x, y) => Image.rgbaToColor(x * 6, y * 10, 128, 255 - x));
  // Uncompressed (stored) data lets many mutations survive into the pixels, so decoding succeeds too.
  return [...emoji, await gradient.encode(), await gradient.encode(9), await gradient.encode(0)];
}

function mutate(source: Uint8Array, rng: Rng): Uint8Array {
  let bytes = source.slice();
  const kind = rng.int(6);
  if (kind <= 1) {
    for (let k = 1 + rng.int(8); k > 0; k--) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8); // bit flips
  } else if (kind === 2) {
    for (let k = 1 + rng.int(4); k > 0; k--) bytes[rng.int(bytes.length)] = rng.int(256); // byte overwrites
  } else if (kind === 3) {
    bytes = bytes.subarray(0, rng.int(bytes.length)); // truncation
  } else if (kind === 4) {
    // header damage: dimension bytes (PNG IHDR 16..23) or any of the first 40 bytes
    const at = rng.next() < 0.5 ? 16 + rng.int(8) : rng.int(Math.min(40, bytes.length));
    bytes[at] = rng.int(256);
  } else {
    // chunk/segment length damage somewhere in the file, plus a flip near it
    const at = 8 + rng.int(Math.max(1, bytes.length - 12));
    bytes.set([rng.int(256), rng.int(256), rng.int(256), rng.int(256)].slice(0, bytes.length - at), at);
    bytes[rng.int(bytes.length)]! ^= 0x80;
  }
  return bytes;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/**
 * Recomputes the CRC of every PNG chunk whose bounds still fit, so that a mutation gets past the CRC
 * check into the decoder's deeper paths (IHDR fields, zlib, filters).
 */
function fixPngCrcs(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length;) {
    const length = view.getUint32(at);
    const end = at + 8 + length;
    if (end + 4 > bytes.length) break;
    let crc = 0xffffffff;
    for (let i = at + 4; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 255]! ^ (crc >>> 8);
    view.setUint32(end, (crc ^ 0xffffffff) >>> 0);
    at = end + 4;
  }
  return bytes;
}

/** Runs one input through the decode path; returns "decoded" or "skipped", or fails the test. */
async function decodeOne(bytes: Uint8Array, label: string): Promise<"decoded" | "skipped"> {
  try {
    const image = await decodeImage(bytes, { channels: 3 });
    assert.equal(image.data.length, image.width * image.height * 3, `${label}: inconsistent image`);
    const small = resizeCenterCrop(image, 16);
    assert.equal(small.data.length, 16 * 16 * 3, `${label}: inconsistent resize`);
    return "decoded";
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(error instanceof Error, `${label}: threw a non-Error ${String(error)}`);
    assert.match(error.message, CLEAN_REASON, `${label}: unexpected failure ${error.stack}`);
    return "skipped";
  }
}

Deno.test("mutated PNGs each decode or are skipped cleanly", async () => {
  const sources = await seeds();
  const rng = createRng(20240611);
  const tally = { decoded: 0, skipped: 0 };
  for (let i = 0; i < 2000; i++) {
    const mutated = mutate(sources[i % sources.length]!, rng);
    // Half get valid chunk CRCs again: without that, the decoder's CRC check stops almost every mutation.
    const bytes = i % 2 ? fixPngCrcs(mutated) : mutated;
    tally[await decodeOne(bytes, `PNG mutation ${i}`)]++;
  }
  // Both outcomes occur: the fuzzer neither breaks every file nor leaves them all intact.
  assert.ok(tally.decoded > 20 && tally.skipped > 1000, `unbalanced fuzz: ${JSON.stringify(tally)}`);
  // The decoder still works after all that.
  assert.equal(await decodeOne(sources[0]!, "clean PNG"), "decoded");
});

Deno.test("mutated JPEGs each decode or are skipped cleanly", async () => {
  const photo = new Image(48, 40).fill((x, y) => Image.rgbaToColor(x * 5, (x * y) % 256, y * 6, 255));
  const sources = [await photo.encodeJPEG(90), await photo.encodeJPEG(30)];
  const rng = createRng(7);
  const tally = { decoded: 0, skipped: 0 };
  for (let i = 0; i < 500; i++) tally[await decodeOne(mutate(sources[i % 2]!, rng), `JPEG mutation ${i}`)]++;
  assert.ok(tally.decoded > 10 && tally.skipped > 10, `unbalanced fuzz: ${JSON.stringify(tally)}`);
});

Deno.test("decodeFiles() skips mutated files on disk and keeps the good ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcgan-fuzz-" });
  try {
    const sources = await seeds();
    const rng = createRng(99);
    const paths: string[] = [];
    for (let i = 0; i < 60; i++) {
      const path = join(dir, `f${i}.png`);
      await Deno.writeFile(
        path,
        i % 3 === 0 ? sources[i % sources.length]! : mutate(sources[i % sources.length]!, rng),
      );
      paths.push(path);
    }
    paths.push(join(dir, "vanished.png")); // listed, then gone: unreadable
    const original = console.warn;
    console.warn = () => {};
    try {
      const dataset = await decodeFiles(paths, { size: 32 });
      assert.equal(dataset.count + dataset.skipped.length, paths.length);
      assert.ok(dataset.count >= 20, `only ${dataset.count} of the 20 intact files decoded`);
      assert.equal(dataset.images.length, dataset.count * 3 * 32 * 32);
      assert.ok(dataset.skipped.some((s) => s.path.endsWith("vanished.png")));
      for (const s of dataset.skipped) assert.ok(s.reason.length > 0);
    } finally {
      console.warn = original;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
