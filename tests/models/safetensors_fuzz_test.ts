import assert from "node:assert/strict";

import {
  dtypeByteSize,
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  type TensorEntry,
} from "../../models/io/safetensors.ts";

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one PRNG. */
class Dice {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array {
    return new Uint8Array(n).map(() => this.int(256));
  }
}

const SEED = 0x5afe7e45;
const CASES = 5000;

/** A valid file with a spread of dtypes, a scalar, an empty tensor and metadata. */
function baseFile(dice: Dice): Uint8Array {
  const entry = (dtype: TensorEntry["dtype"], shape: number[]): TensorEntry => ({
    dtype,
    shape,
    data: dice.bytes(shape.reduce((n, d) => n * d, dtypeByteSize(dtype))),
  });
  return serializeSafetensors({
    "main.0.weight": entry("F32", [2, 3]),
    "main.1.running_mean": entry("F64", [3]),
    "main.1.num_batches_tracked": entry("I64", []),
    half: entry("F16", [3]),
    bf: entry("BF16", [2]),
    mask: entry("BOOL", [5]),
    empty: entry("U8", [0, 2]),
    small: entry("I8", [1]),
  }, { format: "pt", epoch: "7" });
}

function headerLength(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

/** Reassembles a file from a header text and data section with a correct length prefix. */
function assemble(header: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const ODD_VALUES: unknown[] = [
  -1,
  0,
  -0,
  1,
  1.5,
  2 ** 53,
  2 ** 60,
  1e308,
  -1e308,
  "2",
  "",
  null,
  true,
  [],
  {},
  [1, 2],
  "F32",
  "I64",
  "F8_E4M3",
  "__proto__",
];

/** Edits one field of the parsed JSON header, keeping the result valid JSON. */
function editJson(dice: Dice, bytes: Uint8Array): Uint8Array {
  const n = headerLength(bytes);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    return bytes.slice(); // Already broken by an earlier mutation.
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) return bytes.slice();
  let data = bytes.subarray(8 + n);
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const name = names.length > 0 ? dice.pick(names) : "w";
  const info = header[name] as Record<string, unknown> | null | undefined;
  const shape = info?.shape;
  const offsets = info?.data_offsets;
  if (!info || !Array.isArray(shape) || !Array.isArray(offsets)) return bytes.slice();
  switch (dice.int(13)) {
    case 0:
      info.dtype = dice.pick([
        "F64",
        "F32",
        "F16",
        "BF16",
        "I64",
        "I32",
        "I16",
        "I8",
        "U8",
        "BOOL",
        ...ODD_VALUES,
      ]);
      break;
    case 1:
      if (shape.length > 0) shape[dice.int(shape.length)] = dice.pick(ODD_VALUES);
      else shape.push(dice.pick(ODD_VALUES));
      break;
    case 2:
      if (dice.int(2) === 0) shape.push(dice.pick([0, 1, 2, 3]));
      else shape.pop();
      break;
    case 3:
      offsets[dice.int(2)] = (offsets[dice.int(2)] as number) + dice.pick([-8, -4, -2, -1, 1, 2, 4, 8]);
      break;
    case 4:
      offsets[dice.int(3)] = dice.pick(ODD_VALUES);
      break;
    case 5:
      info.data_offsets = [offsets[1], offsets[0]];
      break;
    case 6:
      delete info[dice.pick(["dtype", "shape", "data_offsets"])];
      break;
    case 7:
      header[name] = dice.pick(ODD_VALUES);
      break;
    case 8:
      delete header[name];
      break;
    case 9:
      header[`extra${dice.int(3)}`] = {
        dtype: "U8",
        shape: [dice.int(4)],
        data_offsets: [dice.int(90), dice.int(90)],
      };
      if (dice.int(2) === 0) data = new Uint8Array([...data, ...dice.bytes(dice.int(4))]);
      break;
    case 10:
      header.__metadata__ = dice.pick([...ODD_VALUES, { epoch: dice.pick(ODD_VALUES) }, { a: "b" }]);
      break;
    case 11:
      header.__metadata__ = header[name];
      break;
    default:
      data = data.subarray(0, dice.int(data.length + 1));
  }
  let text = JSON.stringify(header);
  if (dice.int(3) === 0) text = JSON.stringify(dice.pick([[header], null, 7, "x"]));
  text += " ".repeat(dice.int(9));
  return assemble(text, data);
}

/** Applies one random byte-level or JSON-level mutation to a copy of `bytes`. */
function mutate(dice: Dice, bytes: Uint8Array): Uint8Array {
  const n = headerLength(bytes);
  const out = bytes.slice();
  switch (dice.int(7)) {
    case 0: {
      // Bit flips, mostly in the length prefix and header where parsing decisions are made.
      for (let k = 1 + dice.int(4); k > 0; k--) {
        const at = dice.int(3) > 0 ? dice.int(Math.min(out.length, 8 + n)) : dice.int(out.length);
        // Flipping the top bit mostly makes invalid UTF-8, so flip it less often than the others.
        out[at]! ^= 1 << dice.int(dice.int(2) === 0 ? 7 : 8);
      }
      return out;
    }
    case 1:
      return out.subarray(0, dice.int(out.length));
    case 2: {
      const at = dice.int(out.length + 1);
      return new Uint8Array([...out.subarray(0, at), ...dice.bytes(1 + dice.int(16)), ...out.subarray(at)]);
    }
    case 3: {
      const at = dice.int(out.length);
      return new Uint8Array([...out.subarray(0, at), ...out.subarray(at + 1 + dice.int(16))]);
    }
    case 4: {
      const lengths = [
        0n,
        1n,
        2n,
        7n,
        BigInt(n - 1),
        BigInt(n + 1),
        BigInt(out.length - 8),
        BigInt(out.length - 7),
      ];
      const length = dice.pick([
        ...lengths,
        BigInt(dice.int(2 ** 31)),
        2n ** 63n,
        2n ** 64n - 1n,
        100_000_000n,
        (BigInt(dice.int(2 ** 32)) << 32n) | BigInt(dice.int(2 ** 32)),
      ]);
      new DataView(out.buffer).setBigUint64(0, length < 0n ? 0n : length, true);
      return out;
    }
    case 5: {
      // Overwrite a run of header bytes with JSON-significant characters.
      const chars = new TextEncoder().encode('{}[]",:-0123456789.eE nul\\\u00e9');
      const at = 8 + dice.int(n);
      for (let k = dice.int(4); k >= 0 && at + k < 8 + n; k--) out[at + k] = dice.pick([...chars]);
      return out;
    }
    default:
      return editJson(dice, bytes);
  }
}

Deno.test(`parseSafetensors() either parses or throws SafetensorsError for ${CASES} mutated files`, () => {
  const dice = new Dice(SEED);
  const base = baseFile(dice);
  let parsed = 0;
  let slowest = 0;
  const started = performance.now();
  for (let i = 0; i < CASES; i++) {
    let bytes = mutate(dice, base);
    if (dice.int(4) === 0 && bytes.length >= 8) bytes = mutate(dice, bytes);
    const context = `case ${i} (seed 0x${SEED.toString(16)})`;
    const t0 = performance.now();
    let result: ReturnType<typeof parseSafetensors>;
    try {
      result = parseSafetensors(bytes, "fuzz.safetensors");
    } catch (error) {
      if (!(error instanceof SafetensorsError)) {
        assert.fail(
          `${context}: expected SafetensorsError, got ${error instanceof Error ? error.stack : error}`,
        );
      }
      assert.ok(error.message.startsWith('Cannot read safetensors "fuzz.safetensors": '), error.message);
      continue;
    } finally {
      slowest = Math.max(slowest, performance.now() - t0);
    }
    parsed++;
    // A parsed file is self-consistent: sizes match shapes, the tensors tile the data section, and
    // writing it back and reading it again gives the same result.
    let total = 0;
    for (const [name, entry] of Object.entries(result.tensors)) {
      const expected = entry.shape.reduce((n, d) => n * d, dtypeByteSize(entry.dtype));
      assert.equal(entry.data.length, expected, `${context}: ${name} size`);
      total += expected;
    }
    assert.equal(total, bytes.length - 8 - headerLength(bytes), `${context}: tensors cover the data section`);
    const again = parseSafetensors(serializeSafetensors(result.tensors, result.metadata));
    assert.deepStrictEqual(again, result, `${context}: re-serializes consistently`);
  }
  const elapsed = performance.now() - started;
  // Both outcomes must be exercised, or the mutations are too timid or too destructive.
  assert.ok(parsed >= CASES / 100, `only ${parsed} of ${CASES} mutated files parsed`);
  assert.ok(CASES - parsed >= CASES / 2, `only ${CASES - parsed} of ${CASES} mutated files were rejected`);
  assert.ok(slowest < 250, `slowest parse took ${slowest.toFixed(1)} ms`);
  assert.ok(elapsed < 5000, `fuzzing took ${elapsed.toFixed(0)} ms`);
});

Deno.test("parseSafetensors() rejects random bytes of every length up to 64 with SafetensorsError", () => {
  const dice = new Dice(SEED + 1);
  for (let length = 0; length <= 64; length++) {
    for (let k = 0; k < 20; k++) {
      const bytes = dice.bytes(length);
      // Keep some prefixes plausible so that the header text, not just the length, gets exercised.
      if (length >= 8 && k % 2 === 0) {
        new DataView(bytes.buffer).setBigUint64(0, BigInt(dice.int(length - 7)), true);
      }
      try {
        parseSafetensors(bytes);
      } catch (error) {
        assert.ok(error instanceof SafetensorsError, `length ${length}: got ${error}`);
      }
    }
  }
});
