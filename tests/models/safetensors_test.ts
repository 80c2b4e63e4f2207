import assert from "node:assert/strict";
import { join } from "node:path";

import { writeFileAtomic } from "../../models/io/atomic_write.ts";
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from "../../models/io/half.ts";
import {
  dtypeByteSize,
  parseSafetensors,
  readSafetensors,
  type SafetensorsDtype,
  SafetensorsError,
  serializeSafetensors,
  type TensorEntry,
  writeSafetensors,
} from "../../models/io/safetensors.ts";
import { PYTHON } from "../../tasks/bench/python.ts";

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

/** Whether the reference Python can import `modules`; the cross-checks are skipped when it cannot. */
async function pythonHas(modules: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(PYTHON, {
      args: ["-c", `import ${modules}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

const hasNumpy = await pythonHas("numpy");
const hasTorch = await pythonHas("numpy, torch");

/** Runs a Python snippet with `args` as `sys.argv[1:]` and returns its stdout; fails on a non-zero exit. */
async function python(code: string, ...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(PYTHON, { args: ["-c", code, ...args] })
    .output();
  const decoder = new TextDecoder();
  assert.ok(success, `Python failed:\n${decoder.decode(stderr)}`);
  return decoder.decode(stdout);
}

/** Raw little-endian bytes of a typed array. */
function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

/** Decodes a tensor's bytes to numbers (floats) or bigints (integers, bools as 0/1). */
function valuesOf(entry: TensorEntry): (number | bigint)[] {
  const buffer = entry.data.slice().buffer;
  switch (entry.dtype) {
    case "F64":
      return [...new Float64Array(buffer)];
    case "F32":
      return [...new Float32Array(buffer)];
    case "F16":
      return [...float16ToFloat32(new Uint16Array(buffer))];
    case "BF16":
      return [...bfloat16ToFloat32(new Uint16Array(buffer))];
    case "I64":
      return [...new BigInt64Array(buffer)];
    case "I32":
      return [...new Int32Array(buffer)].map(BigInt);
    case "I16":
      return [...new Int16Array(buffer)].map(BigInt);
    case "I8":
      return [...new Int8Array(buffer)].map(BigInt);
    case "U8":
    case "BOOL":
      return [...new Uint8Array(buffer)].map(BigInt);
  }
}

/** Checks values printed by Python (`repr(float)` or `str(int)`) against ours, exactly. */
function assertSameValues(name: string, ours: (number | bigint)[], theirs: string[]): void {
  assert.equal(theirs.length, ours.length, `${name}: element count`);
  ours.forEach((value, i) => {
    const text = theirs[i]!;
    const same = typeof value === "bigint" ? BigInt(text) === value : Object.is(Number(text), value);
    assert.ok(same, `${name}[${i}]: Python has ${text}, we have ${value}`);
  });
}

/** A reader written from the format spec with json + struct + numpy; prints everything it read as JSON. */
const PYTHON_READER = `
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n].decode("utf-8"))
meta = header.pop("__metadata__", {})
data = raw[8 + n:]
NP = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
      "I8": "i1", "U8": "u1", "BOOL": "?"}
tensors = {}
for name, info in header.items():
    b, e = info["data_offsets"]
    arr = np.frombuffer(data[b:e], dtype=NP[info["dtype"]]).reshape(info["shape"])
    if info["dtype"] == "BF16":
        arr = (arr.astype("<u4") << 16).view("<f4")
    flat = arr.reshape(-1).tolist()
    values = [repr(float(v)) if arr.dtype.kind == "f" else str(int(v)) for v in flat]
    tensors[name] = {"dtype": info["dtype"], "shape": list(arr.shape), "offsets": [b, e], "values": values}
print(json.dumps({"header_length": n, "header_tail": raw[8 + len(raw[8:8 + n].rstrip(b" ")):8 + n].decode(),
                  "data_length": len(data), "metadata": meta, "tensors": tensors}))
`;

/** Output of {@link PYTHON_READER}. */
interface PythonRead {
  header_length: number;
  header_tail: string;
  data_length: number;
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; offsets: [number, number]; values: string[] }>;
}

/** One tensor of every dtype, with values that exercise sign, range and precision. */
function everyDtype(): Record<string, TensorEntry> {
  return {
    f64: { dtype: "F64", shape: [2, 2], data: bytesOf(new Float64Array([1.5, -2.25, 1e300, -0])) },
    f32: { dtype: "F32", shape: [3], data: bytesOf(new Float32Array([0.1, -3.5, 3.4028234663852886e38])) },
    f16: {
      dtype: "F16",
      shape: [2, 2],
      data: bytesOf(float32ToFloat16(new Float32Array([0.5, -1.25, 65504, 6e-8]))),
    },
    bf16: { dtype: "BF16", shape: [3], data: bytesOf(float32ToBfloat16(new Float32Array([1, -2.5, 3e38]))) },
    i64: { dtype: "I64", shape: [3], data: bytesOf(new BigInt64Array([-(2n ** 62n), 7n, 2n ** 53n + 1n])) },
    i32: { dtype: "I32", shape: [2], data: bytesOf(new Int32Array([-(2 ** 31), 2 ** 31 - 1])) },
    i16: { dtype: "I16", shape: [1, 2], data: bytesOf(new Int16Array([-32768, 32767])) },
    i8: { dtype: "I8", shape: [2], data: bytesOf(new Int8Array([-128, 127])) },
    u8: { dtype: "U8", shape: [3], data: new Uint8Array([0, 128, 255]) },
    bool: { dtype: "BOOL", shape: [3], data: new Uint8Array([1, 0, 1]) },
  };
}

/** Builds file bytes from a raw header text and data section, optionally lying about the header length. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), declared?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** A one-tensor header: `w` of `dtype` with `shape` at `offsets`. */
function header1(dtype: unknown, shape: unknown, offsets: unknown): string {
  return JSON.stringify({ w: { dtype, shape, data_offsets: offsets } });
}

// ---------------------------------------------------------------------------------------------------
// Round trips and layout
// ---------------------------------------------------------------------------------------------------

const DTYPES: [SafetensorsDtype, number][] = [
  ["F64", 8],
  ["F32", 4],
  ["F16", 2],
  ["BF16", 2],
  ["I64", 8],
  ["I32", 4],
  ["I16", 2],
  ["I8", 1],
  ["U8", 1],
  ["BOOL", 1],
];

for (const [dtype, size] of DTYPES) {
  Deno.test(`serializeSafetensors() and parseSafetensors() round-trip ${dtype} tensors`, () => {
    assert.equal(dtypeByteSize(dtype), size);
    const full = new Uint8Array(6 * size).map((_, i) => (i * 37 + 11) & 0xff);
    const entries: Record<string, TensorEntry> = {
      "main.0.weight": { dtype, shape: [2, 3], data: full },
      scalar: { dtype, shape: [], data: full.slice(0, size) },
      empty: { dtype, shape: [0, 4], data: new Uint8Array(0) },
    };
    const parsed = parseSafetensors(serializeSafetensors(entries, { format: "pt", dtype }));
    assert.deepStrictEqual(parsed, { tensors: entries, metadata: { format: "pt", dtype } });
  });
}

Deno.test("serializeSafetensors() pads the header with spaces and lays tensors out in order", () => {
  const bytes = serializeSafetensors({
    b: { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) },
    a: { dtype: "I16", shape: [2], data: bytesOf(new Int16Array([-1, 2])) },
  });
  const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(length % 8, 0);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  assert.match(
    text,
    /^\{"b":\{"dtype":"U8","shape":\[3\],"data_offsets":\[0,3\]\},"a":.*"data_offsets":\[3,7\]\}\} *$/,
  );
  assert.deepStrictEqual([...bytes.subarray(8 + length)], [1, 2, 3, 0xff, 0xff, 2, 0]);
});

Deno.test("serializeSafetensors() leaves out empty metadata and keeps awkward names", () => {
  const names = ["__proto__", "", "0", 'quo"te', "\u00e9\u{1f600}"];
  const entries = Object.fromEntries(names.map((name, i) => [name, {
    dtype: "U8" as const,
    shape: [1],
    data: new Uint8Array([i]),
  }]));
  const bytes = serializeSafetensors(entries, {});
  assert.ok(!new TextDecoder().decode(bytes).includes("__metadata__"));
  const { tensors, metadata } = parseSafetensors(bytes);
  assert.deepStrictEqual(metadata, {});
  assert.deepStrictEqual(Object.keys(tensors).sort(), [...names].sort());
  assert.equal(Object.getPrototypeOf(tensors), Object.prototype);
  assert.deepStrictEqual([...tensors["__proto__"]!.data], [0]);
});

Deno.test("parseSafetensors() returns data copies that view as aligned typed arrays", () => {
  const bytes = serializeSafetensors({
    odd: { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) },
    w: { dtype: "F32", shape: [2], data: bytesOf(new Float32Array([1.5, -2])) },
  });
  const { tensors } = parseSafetensors(bytes);
  const w = tensors.w!.data;
  assert.equal(w.byteOffset, 0);
  assert.deepStrictEqual([...new Float32Array(w.buffer)], [1.5, -2]);
  w[0] = 99;
  assert.notEqual(bytes[bytes.length - 8], 99);
});

Deno.test("parseSafetensors() accepts unpadded headers and tensors stored out of header order", () => {
  const data = new Uint8Array([9, 8, 7, 6, 5, 4]);
  const bytes = rawFile(
    '{"late":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},"early":{"dtype":"I16","shape":[2],' +
      '"data_offsets":[0,4]},"__metadata__":{"epoch":"3"}}',
    data,
  );
  const { tensors, metadata } = parseSafetensors(bytes);
  assert.deepStrictEqual(Object.keys(tensors), ["early", "late"]);
  assert.deepStrictEqual([...tensors.late!.data], [5, 4]);
  assert.deepStrictEqual(metadata, { epoch: "3" });
});

const BAD_ENTRIES: {
  name: string;
  entries: Record<string, unknown>;
  metadata?: unknown;
  error: ErrorConstructor;
  message: RegExp;
}[] = [
  {
    name: "unknown dtype",
    entries: { w: { dtype: "F8", shape: [1], data: new Uint8Array(1) } },
    error: TypeError,
    message: /Cannot serialize tensor "w": unknown dtype "F8"; use one of F64/,
  },
  {
    name: "non-integer dimension",
    entries: { w: { dtype: "U8", shape: [1.5], data: new Uint8Array(1) } },
    error: TypeError,
    message: /shape \[1.5\] must be an array of integers/,
  },
  {
    name: "negative dimension",
    entries: { w: { dtype: "U8", shape: [-1], data: new Uint8Array(1) } },
    error: RangeError,
    message: /shape \[-1\] has a negative dimension/,
  },
  {
    name: "data of the wrong length",
    entries: { w: { dtype: "F32", shape: [2, 2], data: new Uint8Array(12) } },
    error: TypeError,
    message: /data has 12 bytes but shape \[2,2\] of F32 needs 16/,
  },
  {
    name: "data that is not a Uint8Array",
    entries: { w: { dtype: "F32", shape: [1], data: new Float32Array(1) } },
    error: TypeError,
    message: /data must be a Uint8Array/,
  },
  {
    name: "reserved name",
    entries: { __metadata__: { dtype: "U8", shape: [], data: new Uint8Array(1) } },
    error: RangeError,
    message: /name is reserved for metadata/,
  },
  {
    name: "non-string metadata",
    entries: {},
    metadata: { epoch: 3 },
    error: TypeError,
    message: /Cannot serialize metadata "epoch": value is 3, expected a string/,
  },
];

for (const { name, entries, metadata, error, message } of BAD_ENTRIES) {
  Deno.test(`serializeSafetensors() rejects ${name} with ${error.name}`, () => {
    assert.throws(
      () => serializeSafetensors(entries as Record<string, TensorEntry>, metadata as Record<string, string>),
      (e: unknown) => e instanceof error && message.test((e as Error).message),
    );
  });
}

Deno.test("dtypeByteSize() rejects an unknown dtype with TypeError", () => {
  assert.throws(() => dtypeByteSize("C64" as SafetensorsDtype), TypeError);
});

// ---------------------------------------------------------------------------------------------------
// Malformed files: every problem is a SafetensorsError that names the file and the problem
// ---------------------------------------------------------------------------------------------------

const F32_PAIR = new Uint8Array(8);

const MALFORMED: { name: string; bytes: Uint8Array; message: string }[] = [
  {
    name: "empty file",
    bytes: new Uint8Array(0),
    message: "file is 0 bytes, shorter than the 8-byte header",
  },
  { name: "file shorter than 8 bytes", bytes: new Uint8Array(5), message: "file is 5 bytes" },
  {
    name: "header length beyond the file",
    bytes: rawFile("{}", new Uint8Array(0), 1000n),
    message: "header length 1000 runs past the end of the 10-byte file",
  },
  {
    name: "absurdly large header length",
    bytes: rawFile("{}", new Uint8Array(0), 2n ** 64n - 1n),
    message: "header length 18446744073709551615 is over the 100000000-byte limit",
  },
  {
    name: "header length just over the limit",
    bytes: rawFile("{}", new Uint8Array(0), 100_000_001n),
    message: "is over the 100000000-byte limit",
  },
  {
    name: "header not valid UTF-8",
    bytes: (() => {
      const bytes = rawFile('{"a":"xx"}');
      bytes[14] = 0xff;
      return bytes;
    })(),
    message: "header is not valid UTF-8",
  },
  { name: "header not valid JSON", bytes: rawFile('{"w": '), message: "header is not valid JSON" },
  { name: "header with a byte order mark", bytes: rawFile("\ufeff{}"), message: "header is not valid JSON" },
  { name: "empty header", bytes: rawFile(""), message: "header is not valid JSON" },
  {
    name: "header that is an array",
    bytes: rawFile("[]"),
    message: "header must be a JSON object, got an array",
  },
  { name: "header that is null", bytes: rawFile("null"), message: "header must be a JSON object, got null" },
  {
    name: "header that is a number",
    bytes: rawFile("8"),
    message: "header must be a JSON object, got number 8",
  },
  {
    name: "entry that is not an object",
    bytes: rawFile('{"w":[1,2]}'),
    message: 'tensor "w" must be an object with dtype, shape and data_offsets, got an array',
  },
  {
    name: "entry missing dtype",
    bytes: rawFile('{"w":{"shape":[2],"data_offsets":[0,8]}}', F32_PAIR),
    message: 'tensor "w" is missing "dtype"',
  },
  {
    name: "entry missing shape",
    bytes: rawFile('{"w":{"dtype":"F32","data_offsets":[0,8]}}', F32_PAIR),
    message: 'tensor "w" is missing "shape"',
  },
  {
    name: "entry missing data_offsets",
    bytes: rawFile('{"w":{"dtype":"F32","shape":[2]}}', F32_PAIR),
    message: 'tensor "w" is missing "data_offsets"',
  },
  {
    name: "unknown dtype",
    bytes: rawFile(header1("F8_E4M3", [8], [0, 8]), F32_PAIR),
    message: 'tensor "w" has unknown dtype "F8_E4M3"; supported dtypes are F64, F32, F16, BF16',
  },
  {
    name: "dtype of the wrong case",
    bytes: rawFile(header1("f32", [2], [0, 8]), F32_PAIR),
    message: 'unknown dtype "f32"',
  },
  {
    name: "dtype that is not a string",
    bytes: rawFile(header1(4, [2], [0, 8]), F32_PAIR),
    message: "has unknown dtype 4",
  },
  {
    name: "inherited property used as dtype",
    bytes: rawFile(header1("toString", [2], [0, 8]), F32_PAIR),
    message: 'unknown dtype "toString"',
  },
  {
    name: "negative dimension",
    bytes: rawFile(header1("F32", [-2], [0, 8]), F32_PAIR),
    message: 'tensor "w" has shape [-2], expected an array of non-negative integers',
  },
  {
    name: "non-integer dimension",
    bytes: rawFile(header1("F32", [1.5, 2], [0, 8]), F32_PAIR),
    message: "has shape [1.5,2], expected an array of non-negative integers",
  },
  {
    name: "dimension beyond 2^53",
    bytes: rawFile(header1("F32", [2 ** 60], [0, 8]), F32_PAIR),
    message: "expected an array of non-negative integers",
  },
  {
    name: "shape that is not an array",
    bytes: rawFile(header1("F32", "2", [0, 8]), F32_PAIR),
    message: 'has shape "2", expected an array',
  },
  {
    name: "data_offsets with one number",
    bytes: rawFile(header1("F32", [2], [8]), F32_PAIR),
    message: 'tensor "w" has data_offsets [8], expected two non-negative integers [begin, end]',
  },
  {
    name: "data_offsets with three numbers",
    bytes: rawFile(header1("F32", [2], [0, 8, 8]), F32_PAIR),
    message: "has data_offsets [0,8,8], expected two",
  },
  {
    name: "data_offsets that are not integers",
    bytes: rawFile(header1("F32", [2], [0, 7.5]), F32_PAIR),
    message: "has data_offsets [0,7.5], expected two",
  },
  {
    name: "data_offsets that are strings",
    bytes: rawFile(header1("F32", [2], ["0", "8"]), F32_PAIR),
    message: 'has data_offsets ["0","8"], expected two',
  },
  {
    name: "negative data_offsets",
    bytes: rawFile(header1("F32", [2], [-8, 0]), F32_PAIR),
    message: "has data_offsets [-8,0], expected two",
  },
  {
    name: "data_offsets with begin after end",
    bytes: rawFile(header1("F32", [2], [8, 0]), F32_PAIR),
    message: 'tensor "w" has data_offsets [8, 0] with begin after end',
  },
  {
    name: "data_offsets outside the data section",
    bytes: rawFile(header1("F32", [4], [0, 16]), F32_PAIR),
    message: 'tensor "w" has data_offsets [0, 16] past the end of the 8-byte data section',
  },
  {
    name: "byte length not matching the shape",
    bytes: rawFile(header1("F32", [3], [0, 8]), F32_PAIR),
    message: 'tensor "w" has 8 bytes but shape [3] of F32 needs 12',
  },
  {
    name: "shape whose element count overflows",
    bytes: rawFile(header1("F32", [2 ** 52, 2 ** 52, 2 ** 52], [0, 8]), F32_PAIR),
    message: "has 8 bytes but shape [4503599627370496,",
  },
  {
    name: "overlapping entries",
    bytes: rawFile(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
      new Uint8Array(12),
    ),
    message: 'tensors "a" and "b" overlap at data bytes 4-8',
  },
  {
    name: "two entries sharing bytes",
    bytes: rawFile(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}',
      F32_PAIR,
    ),
    message: "overlap at data bytes 0-8",
  },
  {
    name: "empty tensor inside another",
    bytes: rawFile(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}',
      F32_PAIR,
    ),
    message: 'tensors "a" and "z" overlap',
  },
  {
    name: "hole between entries",
    bytes: rawFile(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
      new Uint8Array(12),
    ),
    message: "data bytes 4-8 belong to no tensor",
  },
  {
    name: "hole before the first entry",
    bytes: rawFile(header1("F32", [1], [4, 8]), F32_PAIR),
    message: "data bytes 0-4 belong to no tensor",
  },
  {
    name: "trailing bytes after the last entry",
    bytes: rawFile(header1("F32", [1], [0, 4]), F32_PAIR),
    message: "data bytes 4-8 at the end belong to no tensor",
  },
  {
    name: "data section without tensors",
    bytes: rawFile("{}", new Uint8Array(3)),
    message: "data bytes 0-3 at the end belong to no tensor",
  },
  {
    name: "metadata that is not an object",
    bytes: rawFile('{"__metadata__":"pt"}'),
    message: '"__metadata__" must be an object of strings, got string "pt"',
  },
  {
    name: "metadata that is null",
    bytes: rawFile('{"__metadata__":null}'),
    message: '"__metadata__" must be an object of strings, got null',
  },
  {
    name: "metadata value that is not a string",
    bytes: rawFile('{"__metadata__":{"format":"pt","epoch":3}}'),
    message: 'metadata "epoch" must be a string, got number 3',
  },
  {
    name: "metadata value that is an object",
    bytes: rawFile('{"__metadata__":{"nested":{}}}'),
    message: 'metadata "nested" must be a string, got an object',
  },
];

for (const { name, bytes, message } of MALFORMED) {
  Deno.test(`parseSafetensors() rejects ${name} with SafetensorsError`, () => {
    assert.throws(
      () => parseSafetensors(bytes, "runs/bad.safetensors"),
      (error: unknown) => {
        assert.ok(error instanceof SafetensorsError, `expected SafetensorsError, got ${error}`);
        assert.equal(error.name, "SafetensorsError");
        assert.equal(error.source, "runs/bad.safetensors");
        assert.ok(
          error.message.startsWith('Cannot read safetensors "runs/bad.safetensors": '),
          error.message,
        );
        assert.ok(error.message.includes(message), `"${error.message}" lacks "${message}"`);
        assert.ok(!error.message.endsWith("."), "no trailing period");
        return true;
      },
    );
  });
}

Deno.test("parseSafetensors() accepts a valid file viewed inside a larger buffer", () => {
  const file = serializeSafetensors({
    w: { dtype: "F32", shape: [1], data: bytesOf(new Float32Array([2])) },
  });
  const big = new Uint8Array(file.length + 5);
  big.set(file, 3);
  const { tensors } = parseSafetensors(big.subarray(3, 3 + file.length));
  assert.deepStrictEqual([...new Float32Array(tensors.w!.data.buffer)], [2]);
});

// ---------------------------------------------------------------------------------------------------
// Cross-checks against a Python reader and writer written from the spec
// ---------------------------------------------------------------------------------------------------

Deno.test({
  name: "a file written by writeSafetensors() reads back identically in Python (json + struct + numpy)",
  ignore: !hasNumpy,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, "all.safetensors");
      const entries = everyDtype();
      await writeSafetensors(path, entries, { format: "pt", note: "h\u00e9llo" });
      const read: PythonRead = JSON.parse(await python(PYTHON_READER, path));
      assert.equal(read.header_length % 8, 0);
      assert.match(read.header_tail, /^ *$/);
      assert.deepStrictEqual(read.metadata, { format: "pt", note: "h\u00e9llo" });
      assert.deepStrictEqual(Object.keys(read.tensors), Object.keys(entries));
      let cursor = 0;
      for (const [name, entry] of Object.entries(entries)) {
        const theirs = read.tensors[name]!;
        assert.equal(theirs.dtype, entry.dtype);
        assert.deepStrictEqual(theirs.shape, entry.shape);
        assert.deepStrictEqual(theirs.offsets, [cursor, cursor + entry.data.length], `${name} is contiguous`);
        cursor += entry.data.length;
        assertSameValues(name, valuesOf(entry), theirs.values);
      }
      assert.equal(read.data_length, cursor);
      // Spot-check that our values are the intended ones, not just self-consistent.
      assert.deepStrictEqual(read.tensors.i64!.values, ["-4611686018427387904", "7", "9007199254740993"]);
      assert.deepStrictEqual(read.tensors.f16!.values, ["0.5", "-1.25", "65504.0", "5.960464477539063e-08"]);
      assert.deepStrictEqual(read.tensors.bf16!.values.slice(0, 2), ["1.0", "-2.5"]);
      assert.deepStrictEqual(read.tensors.bool!.values, ["1", "0", "1"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A writer from the spec: unpadded header, metadata last, data stored in reverse header order. */
const PYTHON_WRITER = `
import json, struct, sys
import numpy as np
arrays = {
    "conv.weight": ("F32", (np.arange(8, dtype="<f4") * 0.25 - 1).reshape(2, 1, 2, 2)),
    "bn.running_var": ("F64", np.array([0.1, 1e-300, -7.0], dtype="<f8")),
    "half": ("F16", np.array([0.1, -2, 65504, 1e-7, 0], dtype="<f2")),
    "bf": ("BF16", (np.array([1.0, -0.5, 3.0, 1e30], dtype="<f4").view("<u4") >> 16).astype("<u2")),
    "steps": ("I64", np.array([-(2**40), 2**62], dtype="<i8")),
    "i32": ("I32", np.array([[-7], [8]], dtype="<i4")),
    "i16": ("I16", np.array([-300, 300], dtype="<i2")),
    "i8": ("I8", np.array([-128, 127], dtype="i1")),
    "u8": ("U8", np.array([0, 255], dtype="u1")),
    "mask": ("BOOL", np.array([True, False, True])),
    "none": ("F32", np.zeros((0, 3), dtype="<f4")),
}
header, chunks, offset = {}, [], 0
for name in reversed(list(arrays)):
    dtype, arr = arrays[name]
    raw = arr.tobytes()
    header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
    chunks.append(raw)
    offset += len(raw)
header = dict(reversed(list(header.items())))
header["__metadata__"] = {"format": "pt", "epoch": "12"}
text = json.dumps(header).encode("utf-8")
if len(text) % 8 == 0:
    text += bytes([10])  # a newline (JSON whitespace) keeps the header length off a multiple of 8
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
`;

Deno.test({
  name: "readSafetensors() reads a file written by Python (json + struct + numpy)",
  ignore: !hasNumpy,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, "py.safetensors");
      await python(PYTHON_WRITER, path);
      const expected: PythonRead = JSON.parse(await python(PYTHON_READER, path));
      assert.notEqual(expected.header_length % 8, 0, "the Python file exercises an unpadded header");
      const { tensors, metadata } = await readSafetensors(path);
      assert.deepStrictEqual(metadata, { format: "pt", epoch: "12" });
      assert.deepStrictEqual(Object.keys(tensors).sort(), Object.keys(expected.tensors).sort());
      for (const [name, theirs] of Object.entries(expected.tensors)) {
        const ours = tensors[name]!;
        assert.equal(ours.dtype, theirs.dtype, name);
        assert.deepStrictEqual(ours.shape, theirs.shape, name);
        assertSameValues(name, valuesOf(ours), theirs.values);
      }
      assert.deepStrictEqual(valuesOf(tensors.steps!), [-(2n ** 40n), 2n ** 62n]);
      assert.deepStrictEqual(valuesOf(tensors["conv.weight"]!), [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------------------------------
// File I/O and atomic writes
// ---------------------------------------------------------------------------------------------------

/** Makes `dir` unwritable even for root (chmod, plus `chattr +i` as root); returns an undo, or null. */
async function makeReadOnly(dir: string): Promise<(() => Promise<void>) | null> {
  await Deno.chmod(dir, 0o555);
  let immutable = false;
  if (Deno.uid() === 0) {
    try {
      immutable = (await new Deno.Command("chattr", { args: ["+i", dir], stderr: "null" }).output()).success;
    } catch {
      immutable = false;
    }
  }
  const undo = async () => {
    if (immutable) await new Deno.Command("chattr", { args: ["-i", dir] }).output();
    await Deno.chmod(dir, 0o755);
  };
  try {
    await Deno.writeTextFile(join(dir, "probe"), "x");
  } catch {
    return undo;
  }
  await undo();
  await Deno.remove(join(dir, "probe"));
  return null;
}

const probeDir = await Deno.makeTempDir();
const canMakeReadOnly = await (async () => {
  const undo = await makeReadOnly(probeDir);
  await undo?.();
  await Deno.remove(probeDir, { recursive: true });
  return undo !== null;
})();

Deno.test("writeSafetensors() replaces an existing file and leaves no temp files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "g.safetensors");
    await Deno.writeTextFile(path, "old contents");
    await writeSafetensors(path, everyDtype(), { epoch: "1" });
    assert.deepStrictEqual(await Deno.readFile(path), serializeSafetensors(everyDtype(), { epoch: "1" }));
    assert.deepStrictEqual((await readSafetensors(path)).tensors, everyDtype());
    assert.deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["g.safetensors"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() into a missing folder names the path, suggests --out and creates nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "missing", "g.safetensors");
    await assert.rejects(writeSafetensors(path, everyDtype()), (error: Error) => {
      assert.equal(
        error.message,
        `Cannot write "${path}": folder "${join(dir, "missing")}" does not exist; ` +
          "create it first or choose another folder with --out",
      );
      assert.ok(error.cause instanceof Deno.errors.NotFound);
      return true;
    });
    assert.deepStrictEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "writeFileAtomic() into a read-only folder keeps the existing target and leaves no temp files",
  ignore: !canMakeReadOnly,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = join(dir, "state.json");
    await Deno.writeTextFile(path, '{"epoch":1}');
    const undo = (await makeReadOnly(dir))!;
    try {
      await assert.rejects(writeFileAtomic(path, new TextEncoder().encode('{"epoch":2}')), (error: Error) => {
        assert.match(error.message, /^Cannot write ".*state\.json": folder ".*" is not writable; .*--out$/);
        return true;
      });
      assert.equal(await Deno.readTextFile(path), '{"epoch":1}');
      assert.deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["state.json"]);
    } finally {
      await undo();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("writeFileAtomic() that fails after writing the temp file removes it and keeps the target", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The rename fails because the target is a non-empty folder, after the temp file was fully written.
    const path = join(dir, "g.safetensors");
    await Deno.mkdir(path);
    await Deno.writeTextFile(join(path, "keep"), "x");
    await assert.rejects(writeFileAtomic(path, new Uint8Array(1 << 20)), (error: Error) => {
      assert.ok(error.message.startsWith(`Cannot write "${path}": `), error.message);
      return true;
    });
    assert.deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["g.safetensors"]);
    assert.equal(await Deno.readTextFile(join(path, "keep")), "x");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeSafetensors() with a malformed entry throws before touching the target", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "g.safetensors");
    await Deno.writeTextFile(path, "old");
    const bad = { w: { dtype: "F32" as const, shape: [2], data: new Uint8Array(3) } };
    await assert.rejects(writeSafetensors(path, bad), TypeError);
    assert.equal(await Deno.readTextFile(path), "old");
    assert.deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["g.safetensors"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSafetensors() of a missing file names the path", async () => {
  const path = join(await Deno.makeTempDir(), "nope.safetensors");
  await assert.rejects(readSafetensors(path), (error: Error) => {
    assert.equal(error.message, `Cannot read safetensors "${path}": file not found; check the path`);
    assert.ok(error.cause instanceof Deno.errors.NotFound);
    return true;
  });
});

Deno.test("readSafetensors() of a corrupt file throws SafetensorsError naming the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "g.safetensors");
    await Deno.writeFile(path, serializeSafetensors(everyDtype()).subarray(0, 100));
    await assert.rejects(readSafetensors(path), (error: unknown) => {
      assert.ok(error instanceof SafetensorsError);
      assert.equal(error.source, path);
      assert.match(error.message, /runs past the end of the 100-byte file; the file is truncated or corrupt/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------------
// float16 and bfloat16 conversions
// ---------------------------------------------------------------------------------------------------

const F16_CASES: [string, number, number][] = [
  ["one", 1, 0x3c00],
  ["minus two", -2, 0xc000],
  ["zero", 0, 0x0000],
  ["negative zero", -0, 0x8000],
  ["largest finite", 65504, 0x7bff],
  ["just below the overflow tie", 65519.99, 0x7bff],
  ["overflow tie rounds to infinity", 65520, 0x7c00],
  ["far overflow", 1e10, 0x7c00],
  ["infinity", Infinity, 0x7c00],
  ["negative infinity", -Infinity, 0xfc00],
  ["NaN", NaN, 0x7e00],
  ["smallest normal", 2 ** -14, 0x0400],
  ["largest subnormal", 2 ** -14 - 2 ** -24, 0x03ff],
  ["smallest subnormal", 2 ** -24, 0x0001],
  ["negative smallest subnormal", -(2 ** -24), 0x8001],
  ["half the smallest subnormal ties to zero", 2 ** -25, 0x0000],
  ["just above that tie rounds up", 2 ** -25 + 2 ** -40, 0x0001],
  ["three quarters of the smallest subnormal", 3 * 2 ** -26, 0x0001],
  ["subnormal tie rounds to even upwards", 3 * 2 ** -25, 0x0002],
  ["subnormal tie rounds to even downwards", 5 * 2 ** -25, 0x0002],
  ["subnormal rounding up into the normals", 2 ** -14 - 2 ** -26, 0x0400],
  ["underflow", 2 ** -26, 0x0000],
  ["tiny", 1e-30, 0x0000],
  ["normal tie rounds to even downwards", 1 + 2 ** -11, 0x3c00],
  ["normal tie rounds to even upwards", 1 + 3 * 2 ** -11, 0x3c02],
  ["just above a normal tie", 1 + 2 ** -11 + 2 ** -20, 0x3c01],
  ["rounding carries into the exponent", 2 - 2 ** -12, 0x4000],
  ["one tenth", 0.1, 0x2e66],
  ["one third", 1 / 3, 0x3555],
];

for (const [name, value, bits] of F16_CASES) {
  Deno.test(`float32ToFloat16() rounds ${name} (${value}) to 0x${bits.toString(16).padStart(4, "0")}`, () => {
    assert.equal(float32ToFloat16(new Float32Array([value]))[0], bits);
  });
}

Deno.test("float16ToFloat32() decodes subnormals, infinities, NaN and signed zero exactly", () => {
  const bits = new Uint16Array([0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x3555, 0xc000]);
  assert.deepStrictEqual([...float16ToFloat32(bits)], [
    2 ** -24,
    2 ** -14 - 2 ** -24,
    2 ** -14,
    65504,
    Infinity,
    -Infinity,
    -0,
    0.333251953125,
    -2,
  ]);
  assert.ok(Number.isNaN(float16ToFloat32(new Uint16Array([0x7e00]))[0]));
});

Deno.test("float16ToFloat32() then float32ToFloat16() returns every one of the 65536 bit patterns", () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  assert.deepStrictEqual(float32ToFloat16(float16ToFloat32(all)), all);
});

Deno.test("the half conversions accept views at an offset into a larger buffer", () => {
  const buffer = new Float32Array([9, 1, -2, 9]);
  assert.deepStrictEqual([...float32ToFloat16(buffer.subarray(1, 3))], [0x3c00, 0xc000]);
  const halves = new Uint16Array([0, 0x3c00, 0xc000]);
  assert.deepStrictEqual([...float16ToFloat32(halves.subarray(1))], [1, -2]);
});

const BF16_CASES: [string, number, number][] = [
  ["one", 1, 0x3f80],
  ["pi", Math.PI, 0x4049],
  ["tie rounds to even downwards", 1 + 2 ** -8, 0x3f80],
  ["tie rounds to even upwards", 1 + 3 * 2 ** -8, 0x3f82],
  ["largest float32 rounds to infinity", 3.4028234663852886e38, 0x7f80],
  ["negative infinity", -Infinity, 0xff80],
  ["NaN", NaN, 0x7fc0],
  ["negative zero", -0, 0x8000],
  ["float32 subnormal", 2 ** -140, 0x0000],
];

for (const [name, value, bits] of BF16_CASES) {
  Deno.test(`float32ToBfloat16() rounds ${name} to 0x${bits.toString(16).padStart(4, "0")}`, () => {
    assert.equal(float32ToBfloat16(new Float32Array([value]))[0], bits);
  });
}

/** Interesting float32 bit patterns plus `count` seeded random ones (xorshift32). */
function float32Patterns(count: number): Uint32Array {
  const special = [
    0x00000000,
    0x80000000,
    0x7f800000,
    0xff800000,
    0x7fc00000,
    0xffc00001,
    0x7f800001,
    0x7fa00000,
    0x7f802000,
    0x7f801fff,
    0x33000000,
    0x33000001,
    0x337fffff,
    0x38000000,
    0x387fffff,
    0x38800000,
    0x477fe000,
    0x477fefff,
    0x477ff000,
    0x47800000,
    0x3f801000,
    0x3f803000,
    0x3f800fff,
    0x3f808000,
    0x3f818000,
    0x7f7fffff,
    0x00000001,
    0x007fffff,
  ];
  const out = new Uint32Array(special.length + count);
  out.set(special);
  let state = 0x9e3779b9;
  for (let i = special.length; i < out.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    // Half the draws land in float16's range, where rounding is most interesting.
    out[i] = i % 2 === 0 ? state >>> 0 : 0x30000000 + ((state >>> 0) % 0x18000000) | (state & 0x80000000);
  }
  return out;
}

/** Index and hex values of the first difference between two arrays, or null when they are equal. */
function firstDifference(
  ours: ArrayLike<number>,
  theirs: ArrayLike<number>,
  input: ArrayLike<number>,
): string | null {
  assert.equal(ours.length, theirs.length);
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] !== theirs[i]) {
      return `input 0x${input[i]!.toString(16)}: ours 0x${ours[i]!.toString(16)}, ` +
        `reference 0x${theirs[i]!.toString(16)}`;
    }
  }
  return null;
}

Deno.test({
  name: "float32ToFloat16() and float16ToFloat32() match numpy bit for bit",
  ignore: !hasNumpy,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const patterns = float32Patterns(50_000);
      await Deno.writeFile(join(dir, "f32.bin"), bytesOf(patterns));
      await python(
        `
import sys, numpy as np
d = sys.argv[1]
np.fromfile(d + "/f32.bin", "<u4").view("<f4").astype(np.float16).view("<u2").tofile(d + "/to16.bin")
np.arange(65536, dtype="<u2").view(np.float16).astype(np.float32).view("<u4").tofile(d + "/to32.bin")
`,
        dir,
      );
      const to16 = new Uint16Array((await Deno.readFile(join(dir, "to16.bin"))).buffer);
      const ours16 = float32ToFloat16(new Float32Array(patterns.buffer));
      assert.equal(firstDifference(ours16, to16, patterns), null);

      const all = new Uint16Array(65536).map((_, i) => i);
      const to32 = new Uint32Array((await Deno.readFile(join(dir, "to32.bin"))).buffer);
      const ours32 = new Uint32Array(float16ToFloat32(all).buffer);
      assert.equal(firstDifference(ours32, to32, all), null);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "float32ToBfloat16() and bfloat16ToFloat32() match PyTorch bit for bit",
  ignore: !hasTorch,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const patterns = float32Patterns(50_000);
      await Deno.writeFile(join(dir, "f32.bin"), bytesOf(patterns));
      await python(
        `
import sys, numpy as np, torch
d = sys.argv[1]
x = torch.from_numpy(np.fromfile(d + "/f32.bin", "<u4").view("<f4"))
x.to(torch.bfloat16).view(torch.int16).numpy().view("<u2").tofile(d + "/to16.bin")
b = torch.from_numpy(np.arange(65536, dtype="<u2").view("<i2")).view(torch.bfloat16)
b.to(torch.float32).numpy().view("<u4").tofile(d + "/to32.bin")
`,
        dir,
      );
      const to16 = new Uint16Array((await Deno.readFile(join(dir, "to16.bin"))).buffer);
      const ours16 = float32ToBfloat16(new Float32Array(patterns.buffer));
      // PyTorch itself writes NaN as 0x7fc0 (scalar path) or 0xffff (vectorized path): only NaN-ness counts.
      const isNaN16 = (bits: number) => (bits & 0x7f80) === 0x7f80 && (bits & 0x007f) !== 0;
      patterns.forEach((input, i) => {
        if ((input & 0x7f800000) === 0x7f800000 && (input & 0x007fffff) !== 0) {
          assert.ok(isNaN16(ours16[i]!) && isNaN16(to16[i]!), `input 0x${input.toString(16)} gives NaN`);
          to16[i] = ours16[i]!;
        }
      });
      assert.equal(firstDifference(ours16, to16, patterns), null);

      const all = new Uint16Array(65536).map((_, i) => i);
      const to32 = new Uint32Array((await Deno.readFile(join(dir, "to32.bin"))).buffer);
      const ours32 = new Uint32Array(bfloat16ToFloat32(all).buffer);
      assert.equal(firstDifference(ours32, to32, all), null);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
