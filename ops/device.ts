/**
 * Device names, as in PyTorch: `"cpu"`, `"cuda"` (the current GPU) or `"cuda:N"`.
 *
 * @module
 */

/** A device name: `"cpu"`, `"cuda"` or `"cuda:N"`. */
export type Device = "cpu" | "cuda" | `cuda:${number}`;

/** A device as the shim takes it: type code (0 cpu, 1 cuda) and index (-1 for the current one). */
export interface DeviceCode {
  /** 0 for cpu, 1 for cuda. */
  type: number;
  /** The GPU's index, or -1 for the current one. */
  index: number;
}

/**
 * Parses a device name.
 *
 * @param device `"cpu"`, `"cuda"` or `"cuda:N"`
 * @returns its shim codes
 * @throws {TypeError} for anything else
 * @example
 * ```ts
 * import { parseDevice } from "./device.ts";
 * console.log(parseDevice("cuda:1")); // { type: 1, index: 1 }
 * ```
 */
export function parseDevice(device: string): DeviceCode {
  if (device === "cpu") return { type: 0, index: -1 };
  if (device === "cuda") return { type: 1, index: -1 };
  const match = /^cuda:(\d+)$/.exec(device);
  if (match) return { type: 1, index: Number(match[1]) };
  throw new TypeError(`Unknown device "${device}": use "cpu", "cuda" or "cuda:N"`);
}

/**
 * The name of a device from its shim codes.
 *
 * @param type 0 for cpu, 1 for cuda
 * @param index the GPU's index
 * @returns `"cpu"` or `"cuda:N"`
 */
export function deviceName(type: number, index: number): Device {
  return type === 0 ? "cpu" : `cuda:${Math.max(index, 0)}`;
}
