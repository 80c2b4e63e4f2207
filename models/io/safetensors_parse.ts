/**
 * Decoding a safetensors file: the 8-byte header length, the JSON header and each tensor's bytes, with
 * every check the Rust reference makes (header size limit, UTF-8, dtypes, shapes, offsets inside the
 * data, tensors tiling the data section with no overlaps and no holes).
 *
 * @module
 */

import {
  byteLengthOf,
  DTYPE_LIST,
  isDtype,
  isIndexArray,
  isPair,
  isPlainObject,
  kindOf,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  SafetensorsError,
  show,
  type TensorEntry,
} from "./safetensors_format.ts";

/** A tensor entry that passed the per-entry checks, with its offsets kept for the layout check. */
interface Located {
  name: string;
  entry: TensorEntry;
  begin: number;
  end: number;
}

/**
 * What to say when `bytes` look like a PyTorch `torch.save` file rather than safetensors: a zip archive
 * (`PK\x03\x04`, torch.save's format since 1.6) or a bare pickle (protocol 2-5, the legacy format).
 * Only consulted once the bytes have failed a safetensors check, so a valid file is never misnamed.
 */
function pytorchPickleProblem(bytes: Uint8Array, source: string): string | undefined {
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  const pickle = bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] >= 2 && bytes[1] <= 5;
  if (!zip && !pickle) return undefined;
  const name = source.split("/").pop() ?? source;
  const target = name.replace(/\.(pth|pt|pkl|bin|ckpt|tar)$/i, "") + ".safetensors";
  return `it is a PyTorch pickle (torch.save, ${zip ? "zip" : "legacy"} format), not a safetensors file; ` +
    "convert it once with PyTorch and the safetensors package (pip install safetensors): " +
    `python3 -c "import torch; from safetensors.torch import save_file; ` +
    `save_file(torch.load('${name}', map_location='cpu'), '${target}')" ` +
    "(for a checkpoint that holds several state dicts, save the one you need, e.g. ['netG'])";
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

  // a file that is not safetensors at all fails one of the first checks: say what it is when we can
  const notSafetensors = (problem: string): never => fail(pytorchPickleProblem(bytes, source) ?? problem);
  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length; ${corrupt}`);
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    notSafetensors(`header length ${declared} is over the ${MAX_HEADER_BYTES}-byte limit; ${corrupt}`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) {
    notSafetensors(
      `header length ${headerLength} runs past the end of the ${bytes.length}-byte file; ${corrupt}`,
    );
  }

  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(8, 8 + headerLength),
    );
  } catch {
    notSafetensors(`header is not valid UTF-8; ${corrupt}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    notSafetensors(
      `header is not valid JSON (${error instanceof Error ? error.message : String(error)}); ${corrupt}`,
    );
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
