/**
 * Reading and writing the safetensors format in plain TypeScript, byte for byte compatible with the
 * Rust and Python `safetensors` packages.
 *
 * A file is an 8-byte little-endian u64 `N`, then `N` bytes of UTF-8 JSON header, then the data
 * section. The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
 * (offsets relative to the data section) plus an optional `"__metadata__"` object of strings. Tensors
 * tile the data section exactly, with no overlaps and no holes.
 *
 * The format's types and checks are in safetensors_format.ts, the parser in safetensors_parse.ts;
 * this module writes files and reads them, and re-exports the rest.
 *
 * @module
 */

import { writeFileAtomic } from "./atomic_write.ts";
import {
  byteLengthOf,
  DTYPE_LIST,
  isDtype,
  METADATA_KEY,
  show,
  type TensorEntry,
} from "./safetensors_format.ts";
import { parseSafetensors } from "./safetensors_parse.ts";

export {
  dtypeByteSize,
  type SafetensorsDtype,
  SafetensorsError,
  type TensorEntry,
} from "./safetensors_format.ts";
export { parseSafetensors } from "./safetensors_parse.ts";

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
