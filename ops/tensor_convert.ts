/**
 * `Tensor`'s readback and conversion ops, declared and documented on the `Tensor` interface in
 * ./tensor.ts, which alone imports this file and installs them on `Tensor.prototype`.
 *
 * @module
 */

import { checkStatus, shim } from "../ffi/ffi.ts";
import { capturingError, isCapturing } from "./capture_state.ts";
import { type Device, parseDevice } from "./device.ts";
import { type DType, dtypeCode, dtypeSize, type HostArray } from "./dtype.ts";
import { type MemoryFormat, type Tensor, wrap } from "./tensor.ts";

const itemScratch = new Float64Array(1);

function memoryFormatCode(format: MemoryFormat): number {
  if (format === "contiguous_format") return 0;
  if (format === "channels_last") return 1;
  throw new TypeError(`Unknown memory format "${format}": use "contiguous_format" or "channels_last"`);
}

/** Bodies of `toArray`, `toFloat32Array`, `item`, `to`, `cpu`, `clone`, `ref` and `(is)contiguous`. */
export const convertMethods = {
  toArray(): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array {
    const dtype = this.dtype;
    if (dtype === "float16" || dtype === "bfloat16") {
      using wide = this.to("float32");
      return wide.toArray();
    }
    const n = this.numel();
    const out: HostArray = dtype === "float32"
      ? new Float32Array(n)
      : dtype === "float64"
      ? new Float64Array(n)
      : dtype === "int64"
      ? new BigInt64Array(n)
      : dtype === "int32"
      ? new Int32Array(n)
      : new Uint8Array(n);
    if (isCapturing()) throw capturingError("toArray");
    checkStatus("toArray", shim().t_copy_to_host(this.handle, out, BigInt(n * dtypeSize(dtype))));
    return out as Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
  },

  toFloat32Array(): Float32Array {
    if (this.dtype === "float32") return this.toArray() as Float32Array;
    using converted = this.to("float32");
    return converted.toArray() as Float32Array;
  },

  item(): number {
    if (isCapturing()) throw capturingError("item");
    checkStatus("item", shim().t_item(this.handle, itemScratch));
    return itemScratch[0]!;
  },

  to(target: Device | DType | { device?: Device; dtype?: DType }): Tensor {
    const spec = typeof target === "string"
      ? (target === "cpu" || target.startsWith("cuda")
        ? { device: target as Device }
        : { dtype: target as DType })
      : target;
    // device type -1: the shim keeps the tensor's device
    const dev = spec.device === undefined ? { type: -1, index: -1 } : parseDevice(spec.device);
    const dtype = dtypeCode(spec.dtype ?? this.dtype);
    return wrap("to", shim().t_to(this.handle, dtype, dev.type, dev.index));
  },

  cpu(): Tensor {
    return this.to("cpu");
  },

  clone(): Tensor {
    return wrap("clone", shim().t_clone(this.handle));
  },

  ref(): Tensor {
    return wrap("ref", shim().t_shallow_clone(this.handle));
  },

  contiguous(memoryFormat: MemoryFormat = "contiguous_format"): Tensor {
    if (memoryFormat === "contiguous_format") return wrap("contiguous", shim().t_contiguous(this.handle));
    return wrap("contiguous", shim().t_contiguous_format(this.handle, memoryFormatCode(memoryFormat)));
  },

  isContiguous(memoryFormat: MemoryFormat = "contiguous_format"): boolean {
    const status = shim().t_is_contiguous_format(this.handle, memoryFormatCode(memoryFormat));
    checkStatus("isContiguous", status);
    return status === 1;
  },
} satisfies Partial<Tensor> & ThisType<Tensor>;
