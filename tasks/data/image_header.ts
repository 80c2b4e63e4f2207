/**
 * Reads an image's format and pixel dimensions from its header (PNG `IHDR`, JPEG `SOFn`) without
 * decoding it, so that a file claiming giant dimensions can be refused before any pixel memory is taken.
 *
 * @module
 */

/** What an image header says. */
export interface ImageHeader {
  /** The container format. */
  format: "png" | "jpeg";
  /** Width in pixels, as the header claims. */
  width: number;
  /** Height in pixels, as the header claims. */
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function readPng(bytes: Uint8Array): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) throw new Error(`PNG is truncated: ${bytes.length} bytes, too short for a header`);
  const chunk = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!);
  if (chunk !== "IHDR") throw new Error(`PNG header is corrupt: first chunk is not IHDR`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new Error(`PNG header is corrupt: it claims ${width}x${height} pixels`);
  }
  return { format: "png", width, height };
}

/** SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function readJpeg(bytes: Uint8Array): ImageHeader {
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) throw new Error(`JPEG is corrupt: no marker at byte ${i}`);
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break;
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (length < 2) throw new Error(`JPEG is corrupt: segment at byte ${i} has length ${length}`);
    if (isStartOfFrame(marker)) {
      if (i + 9 > bytes.length) break;
      const height = (bytes[i + 5]! << 8) | bytes[i + 6]!;
      const width = (bytes[i + 7]! << 8) | bytes[i + 8]!;
      if (width === 0 || height === 0) {
        throw new Error(`JPEG frame header is corrupt: it claims ${width}x${height} pixels`);
      }
      return { format: "jpeg", width, height };
    }
    i += 2 + length;
  }
  throw new Error("JPEG is truncated or corrupt: no frame header (SOF) before the image data");
}

/**
 * Reads the format and dimensions from the first bytes of a PNG or JPEG file.
 *
 * @param bytes the file's contents (the first few kilobytes are enough for most files)
 * @returns the format, width and height the header claims
 * @throws {Error} When the bytes are neither PNG nor JPEG, or the header is truncated or corrupt
 * @example
 * ```ts
 * import { readImageHeader } from "./image_header.ts";
 * const png = Uint8Array.from([
 *   0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
 *   0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10, 8, 6, 0, 0, 0,
 * ]);
 * console.log(readImageHeader(png)); // { format: "png", width: 10000, height: 10000 }
 * ```
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return readPng(bytes);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return readJpeg(bytes);
  }
  throw new Error("Not a PNG or JPEG file: the first bytes match neither signature");
}
