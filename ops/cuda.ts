/**
 * CUDA-only runtime: whole-step CUDA graphs (`torch.cuda.CUDAGraph`), synchronization and the caching
 * allocator's memory statistics. These come from `ffi/cuda.cpp`, which is compiled only against a CUDA
 * libtorch (PyTorch 2.4 or newer); elsewhere every function here throws an error that says so, and
 * {@linkcode cudaExtensionLoaded} answers false. Also autocast (`torch.autocast`), whose CPU half is in
 * every shim and whose CUDA half is CUDA-only like the rest.
 *
 * @module
 */

import { checkStatus, shim, type Symbols, TorchError } from "../ffi/ffi.ts";
import { isCapturing, setCapturing } from "./capture_state.ts";
import { type Device, parseDevice } from "./device.ts";
import { type DType, dtypeCode } from "./dtype.ts";
import { type Tensor, wrap } from "./tensor.ts";

/** Raised when a CUDA-only call is made with a shim built without CUDA. */
export class CudaUnavailableError extends Error {
  /**
   * Names the call that needs CUDA.
   *
   * @param what the call that needs CUDA
   */
  constructor(what: string) {
    super(
      `${what} needs the shim's CUDA part, which this shim lacks: it is built only against a CUDA libtorch ` +
        "(PyTorch 2.4 or newer with CUDA's headers under $CUDA_HOME or /usr/local/cuda). " +
        "Run on a GPU machine, or leave out the CUDA option",
    );
    this.name = "CudaUnavailableError";
  }
}

function need<K extends keyof Symbols>(name: K, what: string): NonNullable<Symbols[K]> {
  const fn = shim()[name];
  if (fn === null || fn === undefined) throw new CudaUnavailableError(what);
  return fn as NonNullable<Symbols[K]>;
}

/**
 * Whether the shim has its CUDA part (graphs, autocast, memory statistics, capturable Adam).
 *
 * @returns true in a shim built against a CUDA libtorch
 */
export function cudaExtensionLoaded(): boolean {
  return shim().cuda_graph_new !== null && shim().cuda_graph_new !== undefined;
}

/** Waits for all queued work on the current GPU, as `torch.cuda.synchronize()`. */
export function synchronize(): void {
  checkStatus("cuda.synchronize", need("cuda_synchronize", "cuda.synchronize")());
}

export { isCapturing } from "./capture_state.ts";

/**
 * A CUDA graph, as `torch.cuda.CUDAGraph`: `capture(fn)` records every GPU op `fn` issues (forward,
 * backward, optimizer steps, random draws) instead of running it, and `replay()` runs them all again
 * with one launch, on the same memory. Tensors made during the capture are its static outputs: keep
 * the ones to read, and refill static inputs in place (`copy_`) before each replay.
 *
 * Inside `fn` nothing may wait for the GPU: no `item()`, no reading values, no copy to the host.
 * Warm up (run `fn` eagerly a few times) before capturing, so lazy allocations and library handles exist.
 *
 * @example
 * ```ts ignore
 * import { CudaGraph, randn, keep } from "@gan/dcgan";
 * using x = randn([8], { device: "cuda" });
 * const graph = new CudaGraph();
 * const y = graph.capture(() => keep(x.mul(2)));
 * x.copy_(randn([8], { device: "cuda" }));
 * graph.replay(); // y now holds the new x times 2
 * graph.dispose();
 * ```
 */
export class CudaGraph {
  #handle: Deno.PointerValue;

  /**
   * Makes an empty graph.
   *
   * @throws {CudaUnavailableError} when the shim has no CUDA part
   */
  constructor() {
    const handle = need("cuda_graph_new", "CudaGraph")();
    if (handle === null) throw new TorchError("CudaGraph", "cannot allocate a graph");
    this.#handle = handle;
  }

  #live(op: string): Deno.PointerObject {
    if (this.#handle === null) throw new Error(`CudaGraph.${op}: this graph was disposed`);
    return this.#handle;
  }

  /**
   * Records `fn`'s GPU work into this graph (once per graph), on a side stream with autocast's cast
   * cache off, as `torch.cuda.graph` does. If `fn` throws, the partial capture is dropped and the error
   * rethrown.
   *
   * @param fn issues the work; what it returns is returned (its tensors are the graph's outputs)
   * @returns what `fn` returned
   * @throws {TorchError} when libtorch rejects the capture (e.g. `fn` synchronized with the GPU)
   */
  capture<T>(fn: () => T): T {
    const handle = this.#live("capture");
    if (isCapturing()) {
      throw new Error("CudaGraph.capture: another capture is under way; captures do not nest");
    }
    checkStatus("CudaGraph.capture", need("cuda_graph_capture_begin", "CudaGraph")(handle));
    setCapturing(true);
    let result: T;
    try {
      result = fn();
    } catch (error) {
      setCapturing(false);
      shim().cuda_graph_capture_abort!(handle);
      throw error;
    }
    setCapturing(false);
    checkStatus("CudaGraph.capture", shim().cuda_graph_capture_end!(handle));
    return result;
  }

  /** Runs the captured work again, asynchronously (read an output to wait for it). */
  replay(): void {
    checkStatus("CudaGraph.replay", shim().cuda_graph_replay!(this.#live("replay")));
  }

  /** Frees the graph and its private memory pool (its output tensors stay valid until disposed). */
  dispose(): void {
    if (this.#handle === null) return;
    shim().cuda_graph_free!(this.#handle);
    this.#handle = null;
  }

  /** Frees the graph at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Runs `fn` with a pooled side stream current, then waits for it, as PyTorch's warm-up before a
 * whole-network capture (`with torch.cuda.stream(s): ...`).
 *
 * @param fn the work to run on the side stream
 * @returns what `fn` returned
 */
export function onSideStream<T>(fn: () => T): T {
  checkStatus("cuda.stream", need("cuda_stream_enter", "onSideStream")());
  try {
    return fn();
  } finally {
    checkStatus("cuda.stream", shim().cuda_stream_exit!());
  }
}

/** The dtypes autocast computes in: `"bfloat16"` or `"float16"`. */
export type AutocastDType = Extract<DType, "bfloat16" | "float16">;

/**
 * Runs `fn` under autocast, as `with torch.autocast(device_type, dtype=dtype, enabled=enabled)`:
 * libtorch runs convolutions and matrix products in `dtype` and keeps precision-sensitive ops in
 * float32, by its op lists for that device (on the CPU, ConvTranspose2d runs in `dtype` as PyTorch 2.x
 * lists it, on libtorch 1.13 too, unless `setFastPaths(false)` leaves 1.13's float32). Leaving the outermost region clears the cache of weight casts, as PyTorch does.
 * On CUDA, as in PyTorch, `binary_cross_entropy` refuses autocast: compute such losses outside, on
 * `output.to("float32")`.
 *
 * @param dtype `"bfloat16"`, or `"float16"` (CUDA, or the CPU with libtorch 2.4 or newer)
 * @param fn the region
 * @param options `device` whose autocast to turn on (default `"cuda"`; `"cpu"` for the CPU), `enabled`
 *   false runs `fn` with autocast off (a region that opts out)
 * @returns what `fn` returned
 * @throws {CudaUnavailableError} on CUDA, when the shim has no CUDA part
 * @throws {TorchError} when libtorch refuses the dtype (float16 on the CPU before libtorch 2.4)
 * @example
 * ```ts
 * import { autocast, conv2d, randn, tidy } from "@gan/dcgan";
 * using x = randn([1, 3, 8, 8]);
 * using w = randn([4, 3, 3, 3]);
 * const inside = autocast("bfloat16", () => tidy(() => conv2d(x, w).dtype), { device: "cpu" });
 * console.log(inside); // bfloat16
 * ```
 */
export function autocast<T>(
  dtype: AutocastDType,
  fn: () => T,
  options: { device?: Device; enabled?: boolean } = {},
): T {
  const { device = "cuda", enabled = true } = options;
  if (dtype !== "bfloat16" && dtype !== "float16") {
    throw new TypeError(`autocast dtype must be "bfloat16" or "float16", got "${dtype}"`);
  }
  const cpu = parseDevice(device).type === 0;
  const op = `autocast("${cpu ? "cpu" : "cuda"}")`;
  const enter = cpu ? shim().t_autocast_cpu_enter : need("cuda_autocast_enter", "autocast");
  const exit = cpu ? shim().t_autocast_cpu_exit : shim().cuda_autocast_exit!;
  const previous = new Int32Array(2);
  checkStatus(op, enter(enabled ? 1 : 0, dtypeCode(dtype), previous));
  try {
    return fn();
  } finally {
    checkStatus(op, exit(previous[0]!, previous[1]!));
  }
}

/**
 * The current GPU's default generator state, as `torch.cuda.get_rng_state()` (a uint8 CPU tensor).
 *
 * @returns the state; pass it to {@linkcode setCudaRngState} to rewind
 * @throws {CudaUnavailableError} when the shim has no CUDA part
 */
export function getCudaRngState(): Tensor {
  return wrap("getCudaRngState", need("cuda_rng_get_state", "getCudaRngState")());
}

/**
 * Restores the current GPU's default generator, as `torch.cuda.set_rng_state(state)`.
 *
 * @param state a tensor from {@linkcode getCudaRngState}
 * @throws {CudaUnavailableError} when the shim has no CUDA part
 */
export function setCudaRngState(state: Tensor): void {
  checkStatus("setCudaRngState", need("cuda_rng_set_state", "setCudaRngState")(state.handle));
}

/** The CUDA caching allocator's counters, in bytes. */
export interface CudaMemoryStats {
  /** Held by tensors now (`torch.cuda.memory_allocated()`). */
  allocated: number;
  /** The most held at once since the last reset (`torch.cuda.max_memory_allocated()`). */
  peakAllocated: number;
  /** Reserved from the driver (`torch.cuda.memory_reserved()`). */
  reserved: number;
}

/**
 * The current GPU's allocator counters.
 *
 * @returns bytes allocated, peak allocated and reserved
 */
export function cudaMemoryStats(): CudaMemoryStats {
  const out = new BigInt64Array(3);
  checkStatus("cuda.memoryStats", need("cuda_memory_stats", "cudaMemoryStats")(out));
  return { allocated: Number(out[0]), peakAllocated: Number(out[1]), reserved: Number(out[2]) };
}

/** Starts a new peak for {@linkcode cudaMemoryStats}, as `torch.cuda.reset_peak_memory_stats()`. */
export function resetPeakMemoryStats(): void {
  checkStatus("cuda.resetPeakMemoryStats", need("cuda_reset_peak_memory", "resetPeakMemoryStats")());
}
