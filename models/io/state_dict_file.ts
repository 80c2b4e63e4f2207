/**
 * Saving and loading state dicts as safetensors files, with PyTorch's key names, so a generator saved
 * here loads into PyTorch's DCGAN (`load_state_dict(strict=True)`) and back. Files are written
 * atomically; floating tensors can be stored as float16 to halve a shipped generator.
 *
 * @module
 */

import { tensor } from "../../ops/creation.ts";
import type { DType } from "../../ops/dtype.ts";
import { Tensor } from "../../ops/tensor.ts";
import { bfloat16ToFloat32, float32ToBfloat16, float32ToFloat16 } from "./half.ts";
import { type LoadStateDictOptions, type LoadStateDictResult, Module } from "../nn/module.ts";
import { readSafetensors, type SafetensorsDtype, type TensorEntry, writeSafetensors } from "./safetensors.ts";

/** Options of {@linkcode saveStateDict}. */
export interface SaveStateDictOptions {
  /** Free-form strings stored in the file's `__metadata__` (e.g. the config as JSON). */
  metadata?: Record<string, string>;
  /** Store every floating tensor as this dtype (e.g. float16 for a small shipped generator); default: as is. */
  dtype?: "float32" | "float16";
}

const FLOATING: readonly DType[] = ["float32", "float64", "float16", "bfloat16"];

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function entryOf(t: Tensor, storeAs: SaveStateDictOptions["dtype"]): TensorEntry {
  const shape = t.shape;
  const dtype = storeAs !== undefined && FLOATING.includes(t.dtype) ? storeAs : t.dtype;
  switch (dtype) {
    case "float16":
      return { dtype: "F16", shape, data: bytesOf(float32ToFloat16(t.toFloat32Array())) };
    case "bfloat16":
      return { dtype: "BF16", shape, data: bytesOf(float32ToBfloat16(t.toFloat32Array())) };
    case "float32":
      return { dtype: "F32", shape, data: bytesOf(t.toFloat32Array()) };
    case "float64":
      return { dtype: "F64", shape, data: bytesOf(t.toArray()) };
    case "int64":
      return { dtype: "I64", shape, data: bytesOf(t.toArray()) };
    case "int32":
      return { dtype: "I32", shape, data: bytesOf(t.toArray()) };
    case "uint8":
      return { dtype: "U8", shape, data: bytesOf(t.toArray()) };
    case "bool":
      return { dtype: "BOOL", shape, data: bytesOf(t.toArray()) };
  }
}

/**
 * Writes a module's state dict (or named tensors) to a safetensors file, atomically: on failure an
 * existing file is left as it was.
 *
 * @param source a module (its `stateDict()`) or tensors by name
 * @param path the file to create or replace, e.g. `generator.safetensors`
 * @param options metadata, and dtype to store floating tensors as (float16 halves the file)
 * @returns a promise that resolves once the file is in place
 * @example
 * ```ts
 * import { Generator, saveStateDict } from "@gan/dcgan";
 * using netG = new Generator({ nz: 16, ngf: 8, imageSize: 32 });
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveStateDict(netG, path, { dtype: "float16", metadata: { nz: "16" } });
 * await Deno.remove(path);
 * ```
 */
export async function saveStateDict(
  source: Module | Readonly<Record<string, Tensor>>,
  path: string,
  options: SaveStateDictOptions = {},
): Promise<void> {
  await writeSafetensors(path, stateDictEntries(source, { ...options, path }), options.metadata);
}

/**
 * A state dict copied to host memory as safetensors entries, at once: what {@linkcode saveStateDict}
 * writes, as a snapshot that stays as it is while training goes on (write it with `writeSafetensors`).
 *
 * @param source a module (its `stateDict()`) or tensors by name
 * @param options `dtype` to store floating tensors as, and `path` to name in errors
 * @returns the entries by name, each holding its own copy of the data
 * @throws {TypeError} when a value is not a Tensor
 * @example
 * ```ts
 * import { Linear } from "@gan/dcgan";
 * import { stateDictEntries } from "./state_dict_file.ts";
 * using fc = new Linear(2, 1);
 * console.log(Object.keys(stateDictEntries(fc))); // [ "weight", "bias" ]
 * ```
 */
export function stateDictEntries(
  source: Module | Readonly<Record<string, Tensor>>,
  options: Pick<SaveStateDictOptions, "dtype"> & { path?: string } = {},
): Record<string, TensorEntry> {
  const tensors = source instanceof Module ? source.stateDict() : source;
  try {
    const entries: Record<string, TensorEntry> = {};
    for (const [name, t] of Object.entries(tensors)) {
      if (!(t instanceof Tensor)) {
        const what = options.path === undefined ? "a state dict" : `"${options.path}"`;
        throw new TypeError(`Cannot save ${what}: key "${name}" holds ${typeof t}, expected a Tensor`);
      }
      entries[name] = entryOf(t, options.dtype);
    }
    return entries;
  } finally {
    if (source instanceof Module) { for (const t of Object.values(tensors)) t.dispose(); }
  }
}

/**
 * `data`'s bytes as elements of `size` bytes, sharing them when aligned (`tensor()` copies them anyway);
 * typed arrays need their element alignment, which a file's offsets may not give.
 */
function elements<T>(
  data: Uint8Array,
  Type: new (buffer: ArrayBuffer, byteOffset: number, length: number) => T,
  size: number,
): T {
  const source = data.byteOffset % size === 0 ? data : data.slice();
  return new Type(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / size);
}

function tensorOf(entry: TensorEntry, name: string, path: string): Tensor {
  const { shape, data } = entry;
  switch (entry.dtype as SafetensorsDtype) {
    case "F32":
      return tensor(elements(data, Float32Array, 4), { shape });
    case "F64":
      return tensor(elements(data, Float64Array, 8), { shape });
    case "F16":
      return tensor(elements(data, Uint16Array, 2), { shape }); // raw float16 bits
    case "BF16": {
      using wide = tensor(bfloat16ToFloat32(elements(data, Uint16Array, 2)), { shape });
      return wide.to("bfloat16");
    }
    case "I64":
      return tensor(elements(data, BigInt64Array, 8), { shape });
    case "I32":
      return tensor(elements(data, Int32Array, 4), { shape });
    case "U8":
      return tensor(data, { shape });
    case "BOOL":
      return tensor(data, { shape, dtype: "bool" });
    default:
      throw new TypeError(
        `Cannot load checkpoint "${path}": key "${name}" has dtype ${entry.dtype}, which tensors here cannot ` +
          "hold; save it as F32, F16, I64 or I32",
      );
  }
}

/**
 * Reads a safetensors file into tensors (float16 entries stay float16; `loadStateDict` converts) and
 * its metadata.
 *
 * @param path the file (a path, a file: URL, or an http(s) URL of a file shipped in a package)
 * @returns the tensors by name, and the `__metadata__` strings (`{}` when there are none)
 * @throws {SafetensorsError} naming the file when it is not a valid safetensors file
 * @throws {Error} naming the file when it cannot be read
 * @example
 * ```ts
 * import { Linear, loadCheckpoint, saveStateDict } from "@gan/dcgan";
 * using fc = new Linear(2, 1);
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveStateDict(fc, path, { metadata: { epoch: "3" } });
 * const { tensors, metadata } = await loadCheckpoint(path);
 * console.log(metadata.epoch); // "3"
 * for (const t of Object.values(tensors)) t.dispose();
 * await Deno.remove(path);
 * ```
 */
export async function loadCheckpoint(
  path: string | URL,
): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const file = await readSafetensors(path);
  const tensors: Record<string, Tensor> = {};
  try {
    for (const [name, entry] of Object.entries(file.tensors)) {
      tensors[name] = tensorOf(entry, name, String(path));
    }
  } catch (error) {
    for (const t of Object.values(tensors)) t.dispose();
    throw error;
  }
  return { tensors, metadata: file.metadata };
}

/**
 * Reads a safetensors file's tensors, e.g. a state dict to pass to `module.loadStateDict()`.
 *
 * @param path the file
 * @returns the tensors by name; dispose them when done
 * @throws {SafetensorsError} naming the file when it is not a valid safetensors file
 * @example
 * ```ts
 * import { Linear, loadStateDictFile, saveStateDict } from "@gan/dcgan";
 * using fc = new Linear(2, 1);
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveStateDict(fc, path);
 * const state = await loadStateDictFile(path);
 * fc.loadStateDict(state);
 * for (const t of Object.values(state)) t.dispose();
 * await Deno.remove(path);
 * ```
 */
export async function loadStateDictFile(path: string): Promise<Record<string, Tensor>> {
  return (await loadCheckpoint(path)).tensors;
}

/**
 * Loads a safetensors file into a module's parameters and buffers, with errors that name the file:
 * `Cannot load checkpoint "g.safetensors": key "main.3.weight" has shape [...], expected [...]`.
 *
 * @param module the module to fill
 * @param path the file, as written by {@linkcode saveStateDict} or PyTorch's safetensors
 * @param options strict (default true)
 * @returns the keys skipped with `strict: false`
 * @throws {TypeError} naming the file, the key and both shapes when a shape differs, or the missing and
 *   unexpected keys when strict
 * @example
 * ```ts
 * import { Generator, loadStateDictInto, saveStateDict } from "@gan/dcgan";
 * using netG = new Generator({ nz: 16, ngf: 8, imageSize: 32 });
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveStateDict(netG, path, { dtype: "float16" });
 * await loadStateDictInto(netG, path);
 * await Deno.remove(path);
 * ```
 */
export async function loadStateDictInto(
  module: Module,
  path: string,
  options: Omit<LoadStateDictOptions, "source"> = {},
): Promise<LoadStateDictResult> {
  const state = await loadStateDictFile(path);
  try {
    return module.loadStateDict(state, { ...options, source: `checkpoint "${path}"` });
  } finally {
    for (const t of Object.values(state)) t.dispose();
  }
}
