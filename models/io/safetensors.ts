/**
 * Reading and writing the safetensors format in plain TypeScript, byte for byte compatible with the
 * Rust and Python `safetensors` packages.
 *
 * A file is an 8-byte little-endian u64 `N`, then `N` bytes of UTF-8 JSON header, then the data
 * section. The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
 * (offsets relative to the data section) plus an optional `"__metadata__"` object of strings. Tensors
 * tile the data section exactly, with no overlaps and no holes.
 *
 * @module
 */

import { writeFileAtomic } from "./atomic_write.ts";

/** An element type a safetensors file can hold. Multi-byte values are little-endian. */
export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

const DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

const DTYPE_LIST = Object.keys(DTYPE_SIZES).join(", ");

/** The Rust reference refuses headers over 100 MB; so do we, before allocating anything. */
const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = "__metadata__";

/** One tensor as stored in a file: its element type, its shape and its raw little-endian bytes. */
export interface TensorEntry {
  /** The element type. */
  dtype: SafetensorsDtype;
  /** The size of each dimension; `[]` for a scalar. */
  shape: number[];
  /** The elements in row-major order, `product(shape) * dtypeByteSize(dtype)` bytes. */
  data: Uint8Array;
}

/**
 * Thrown when bytes are not a valid safetensors file. The message names the source and the problem.
 *
 * @example
 * ```ts
 * import { parseSafetensors, SafetensorsError } from "./safetensors.ts";
 *
 * try {
 *   parseSafetensors(new Uint8Array(3), "g.safetensors");
 * } catch (error) {
 *   console.log(error instanceof SafetensorsError); // true
 * }
 * ```
 */
export class SafetensorsError extends Error {
  /** Always `"SafetensorsError"`. */
  override name = "SafetensorsError";
  /** The file (or other label) the bad bytes came from. */
  readonly source: string;

  /**
   * Creates the error with the message `Cannot read safetensors "<source>": <problem>`.
   *
   * @param source The file (or other label) the bad bytes came from.
   * @param problem What is wrong and how to fix it, in sentence case without a trailing period.
   */
  constructor(source: string, problem: string) {
    super(`Cannot read safetensors "${source}": ${problem}`);
    this.source = source;
  }
}

/**
 * Returns the size in bytes of one element of `dtype`.
 *
 * @param dtype A safetensors element type.
 * @returns The element size: 8, 4, 2 or 1.
 * @throws {TypeError} When `dtype` is not a known safetensors dtype.
 * @example
 * ```ts
 * import { dtypeByteSize } from "./safetensors.ts";
 *
 * console.log(dtypeByteSize("BF16")); // 2
 * ```
 */
export function dtypeByteSize(dtype: SafetensorsDtype): number {
  if (!isDtype(dtype)) {
    throw new TypeError(`Unknown safetensors dtype ${show(dtype)}; use one of ${DTYPE_LIST}`);
  }
  return DTYPE_SIZES[dtype];
}

/**
 * Encodes tensors and optional metadata as a safetensors file. Tensors are laid out in the order of
 * `Object.entries(entries)`, back to back; the header is padded with spaces to a multiple of 8 bytes
 * like the Rust reference, so every tensor starts 8-byte aligned when all sizes are multiples of 8.
 *
 * @param entries The tensors by name.
 * @param metadata Free-form string pairs stored under `"__metadata__"`; left out when empty.
 * @returns The complete file contents.
 * @throws {TypeError} When an entry has an unknown dtype, a non-integer shape, or data whose length
 * does not match its shape, or a metadata value is not a string.
 * @throws {RangeError} When a shape has a negative dimension or a tensor is named `"__metadata__"`.
 * @example
 * ```ts
 * import { serializeSafetensors } from "./safetensors.ts";
 *
 * const weight = new Float32Array([1, 2, 3, 4]);
 * const bytes = serializeSafetensors(
 *   { "main.0.weight": { dtype: "F32", shape: [2, 2], data: new Uint8Array(weight.buffer) } },
 *   { format: "pt" },
 * );
 * console.log(bytes.length % 8); // 0
 * ```
 */
export function serializeSafetensors(
  entries: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const fields: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new TypeError(`Cannot serialize metadata "${key}": value is ${show(value)}, expected a string`);
      }
    }
    fields.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  const tensors = Object.entries(entries);
  let offset = 0;
  for (const [name, entry] of tensors) {
    checkEntry(name, entry);
    const info = {
      dtype: entry.dtype,
      shape: entry.shape,
      data_offsets: [offset, offset + entry.data.length],
    };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += entry.data.length;
  }
  const json = new TextEncoder().encode(`{${fields.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, entry] of tensors) {
    out.set(entry.data, at);
    at += entry.data.length;
  }
  return out;
}

/** Checks one tensor handed to {@link serializeSafetensors}; a failure is a caller bug, not bad input. */
function checkEntry(name: string, entry: TensorEntry): void {
  const what = `Cannot serialize tensor "${name}"`;
  if (name === METADATA_KEY) throw new RangeError(`${what}: the name is reserved for metadata; rename it`);
  if (!isDtype(entry.dtype)) {
    throw new TypeError(`${what}: unknown dtype ${show(entry.dtype)}; use one of ${DTYPE_LIST}`);
  }
  if (!Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isSafeInteger(d))) {
    throw new TypeError(`${what}: shape ${show(entry.shape)} must be an array of integers`);
  }
  if (entry.shape.some((d) => d < 0)) {
    throw new RangeError(`${what}: shape ${show(entry.shape)} has a negative dimension`);
  }
  if (!(entry.data instanceof Uint8Array)) {
    throw new TypeError(`${what}: data must be a Uint8Array of raw little-endian bytes`);
  }
  const expected = byteLengthOf(entry.dtype, entry.shape);
  if (entry.data.length !== expected) {
    throw new TypeError(
      `${what}: data has ${entry.data.length} bytes but shape ${
        show(entry.shape)
      } of ${entry.dtype} needs ${expected}`,
    );
  }
}

/** A tensor entry that passed the per-entry checks, with its offsets kept for the layout check. */
interface Located {
  name: string;
  entry: TensorEntry;
  begin: number;
  end: number;
}

/**
 * Decodes and fully validates a safetensors file. Each tensor's `data` is a copy (its own aligned
 * `ArrayBuffer`), so it can be viewed as a typed array directly. Tensors come back in data-section
 * order.
 *
 * @param bytes The complete file contents.
 * @param source A label for error messages, usually the file path.
 * @returns The tensors by name and the metadata (`{}` when the file has none).
 * @throws {SafetensorsError} When the bytes are not a valid safetensors file, and for no other reason.
 * @example
 * ```ts
 * import { parseSafetensors, serializeSafetensors } from "./safetensors.ts";
 *
 * const bytes = serializeSafetensors({ step: { dtype: "I64", shape: [], data: new Uint8Array(8) } });
 * const { tensors, metadata } = parseSafetensors(bytes, "state.safetensors");
 * console.log(tensors.step?.shape, metadata); // [] {}
 * ```
 */
export function parseSafetensors(
  bytes: Uint8Array,
  source = "<bytes>",
): { tensors: Record<string, TensorEntry>; metadata: Record<string, string> } {
  const fail: (problem: string) => never = (problem) => {
    throw new SafetensorsError(source, problem);
  };
  const corrupt = "the file is truncated or corrupt; save it again";

  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length; ${corrupt}`);
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${declared} is over the ${MAX_HEADER_BYTES}-byte limit; ${corrupt}`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) {
    fail(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file; ${corrupt}`);
  }

  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(8, 8 + headerLength),
    );
  } catch {
    fail(`header is not valid UTF-8; ${corrupt}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${error instanceof Error ? error.message : String(error)}); ${corrupt}`);
  }
  if (!isPlainObject(header)) fail(`header must be a JSON object, got ${kindOf(header)}; ${corrupt}`);

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata(header[METADATA_KEY], fail);
  const located: Located[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    located.push(readEntryInfo(name, info, dataLength, fail));
  }

  // The tensors must tile the data section: sorted by offset, each starts where the previous ended.
  located.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Located | undefined;
  for (const item of located) {
    if (item.begin < cursor && previous !== undefined) {
      fail(
        `tensors "${previous.name}" and "${item.name}" overlap at data bytes ${item.begin}-${cursor}; ${corrupt}`,
      );
    }
    if (item.begin > cursor) fail(`data bytes ${cursor}-${item.begin} belong to no tensor; ${corrupt}`);
    cursor = item.end;
    previous = item;
  }
  if (cursor !== dataLength) {
    fail(`data bytes ${cursor}-${dataLength} at the end belong to no tensor; ${corrupt}`);
  }

  const tensors = located.map(({ name, entry, begin, end }) => {
    entry.data = bytes.slice(dataStart + begin, dataStart + end);
    return [name, entry] as const;
  });
  return { tensors: Object.fromEntries(tensors), metadata };
}

/** Validates `"__metadata__"`: absent, or an object whose values are all strings. */
function readMetadata(value: unknown, fail: (problem: string) => never): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    fail(`"${METADATA_KEY}" must be an object of strings, got ${kindOf(value)}; store metadata as strings`);
  }
  const pairs = Object.entries(value);
  for (const [key, item] of pairs) {
    if (typeof item !== "string") {
      fail(`metadata "${key}" must be a string, got ${kindOf(item)}; store metadata values as strings`);
    }
  }
  return Object.fromEntries(pairs) as Record<string, string>;
}

/** Validates one header entry on its own: fields, dtype, shape, offsets inside the data, byte length. */
function readEntryInfo(
  name: string,
  info: unknown,
  dataLength: number,
  fail: (problem: string) => never,
): Located {
  const what = `tensor "${name}"`;
  const fix = "the file is corrupt; save it again";
  if (!isPlainObject(info)) {
    fail(`${what} must be an object with dtype, shape and data_offsets, got ${kindOf(info)}; ${fix}`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  for (const [field, value] of [["dtype", dtype], ["shape", shape], ["data_offsets", offsets]] as const) {
    if (value === undefined) fail(`${what} is missing "${field}"; ${fix}`);
  }
  if (!isDtype(dtype)) {
    fail(`${what} has unknown dtype ${show(dtype)}; supported dtypes are ${DTYPE_LIST}`);
  }
  if (!isIndexArray(shape)) {
    fail(`${what} has shape ${show(shape)}, expected an array of non-negative integers; ${fix}`);
  }
  if (!isIndexArray(offsets) || !isPair(offsets)) {
    fail(
      `${what} has data_offsets ${show(offsets)}, expected two non-negative integers [begin, end]; ${fix}`,
    );
  }
  const [begin, end] = offsets;
  if (begin > end) fail(`${what} has data_offsets [${begin}, ${end}] with begin after end; ${fix}`);
  if (end > dataLength) {
    fail(
      `${what} has data_offsets [${begin}, ${end}] past the end of the ${dataLength}-byte data section; ` +
        "the file is truncated or corrupt; save it again",
    );
  }
  const dims = shape.map((d) => d + 0); // Normalizes -0 to 0.
  const expected = byteLengthOf(dtype, dims);
  if (end - begin !== expected) {
    fail(
      `${what} has ${end - begin} bytes but shape ${show(dims)} of ${dtype} needs ${expected}; ${fix}`,
    );
  }
  return {
    name,
    entry: { dtype, shape: dims, data: new Uint8Array(0) },
    begin,
    end,
  };
}

/**
 * Reads and validates a safetensors file.
 *
 * @param path The file to read.
 * @returns The tensors by name and the metadata (`{}` when the file has none).
 * @throws {SafetensorsError} When the file is not a valid safetensors file.
 * @throws {Error} When the file cannot be read; the message names `path`, `cause` holds the
 * `Deno.errors` error.
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, { bias: { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) } });
 * const { tensors } = await readSafetensors(path);
 * console.log(tensors.bias?.data); // Uint8Array(3) [ 1, 2, 3 ]
 * await Deno.remove(path);
 * ```
 */
export async function readSafetensors(
  path: string | URL,
): Promise<{ tensors: Record<string, TensorEntry>; metadata: Record<string, string> }> {
  const source = String(path);
  let bytes: Uint8Array;
  if (path instanceof URL && path.protocol !== "file:") {
    // a file shipped inside a package loaded from a registry (e.g. the pretrained generator on JSR)
    const response = await fetch(path).catch((error) => {
      throw new Error(`Cannot download "${source}": ${error.message}`, { cause: error });
    });
    if (!response.ok) throw new Error(`Cannot download "${source}": HTTP ${response.status}`);
    return parseSafetensors(new Uint8Array(await response.arrayBuffer()), source);
  }
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new Error(describeReadFailure(source, error), { cause: error });
  }
  return parseSafetensors(bytes, source);
}

/**
 * Writes tensors and optional metadata to a safetensors file atomically (see {@link writeFileAtomic}):
 * on failure an existing file at `path` is left as it was and no temporary file remains.
 *
 * @param path The file to create or replace.
 * @param entries The tensors by name, written in this order.
 * @param metadata Free-form string pairs stored under `"__metadata__"`.
 * @returns A promise that resolves once the file is in place.
 * @throws {TypeError} When an entry is malformed (see {@link serializeSafetensors}).
 * @throws {RangeError} When an entry has a negative dimension or a reserved name.
 * @throws {Error} When the file cannot be written; the message names `path` and says how to fix it.
 * @example
 * ```ts
 * import { writeSafetensors } from "./safetensors.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * const noise = new Float32Array(100);
 * await writeSafetensors(path, { noise: { dtype: "F32", shape: [1, 100], data: new Uint8Array(noise.buffer) } });
 * await Deno.remove(path);
 * ```
 */
export async function writeSafetensors(
  path: string,
  entries: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(entries, metadata));
}

/** Says why reading `path` failed and what to do about it. */
function describeReadFailure(path: string, error: unknown): string {
  const what = `Cannot read safetensors "${path}"`;
  if (error instanceof Deno.errors.NotFound) return `${what}: file not found; check the path`;
  if (error instanceof Deno.errors.IsADirectory) return `${what}: it is a folder; pass the file inside it`;
  if (error instanceof Deno.errors.PermissionDenied) {
    return `${what}: permission denied; make the file readable`;
  }
  if (error instanceof Deno.errors.NotCapable) {
    return `${what}: Deno has no read permission; run with --allow-read`;
  }
  return `${what}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Bytes needed for `shape` of `dtype`. Past 2^53 the result is inexact but still too large to match. */
function byteLengthOf(dtype: SafetensorsDtype, shape: readonly number[]): number {
  if (shape.includes(0)) return 0; // Before multiplying: a huge product times 0 would be NaN.
  return shape.reduce((n, d) => n * d, DTYPE_SIZES[dtype]);
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && Object.hasOwn(DTYPE_SIZES, value);
}

function isIndexArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function isPair(value: number[]): value is [number, number] {
  return value.length === 2;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${show(value)}`;
}

/** A short, safe rendering of an arbitrary value for an error message. */
function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
