/**
 * Process-wide controls: the random seed and generator state, threads, CUDA availability, the
 * live-tensor count and the switch for the shim's fast paths.
 *
 * @module
 */

import { checkStatus, shim } from "../ffi/ffi.ts";
import { type Tensor, wrap } from "./tensor.ts";

/**
 * Seeds the global generators; `randn` then gives the same numbers as PyTorch after
 * `torch.manual_seed(seed)` on the CPU.
 *
 * @param seed a non-negative integer
 * @example
 * ```ts
 * import { manualSeed } from "@gan/dcgan";
 * manualSeed(999);
 * ```
 */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`Seed must be a non-negative integer, got ${seed}`);
  }
  checkStatus("manualSeed", shim().t_manual_seed(BigInt(seed)));
}

/**
 * The CPU generator's state, as `torch.get_rng_state()` (a uint8 tensor).
 *
 * @returns the state; pass it to {@linkcode setRngState} to rewind
 * @example
 * ```ts
 * import { getRngState, setRngState } from "@gan/dcgan";
 * using state = getRngState();
 * setRngState(state);
 * ```
 */
export function getRngState(): Tensor {
  return wrap("getRngState", shim().t_rng_get_state());
}

/**
 * Restores the CPU generator's state, as `torch.set_rng_state`.
 *
 * @param state a tensor from {@linkcode getRngState}
 */
export function setRngState(state: Tensor): void {
  checkStatus("setRngState", shim().t_rng_set_state(state.handle));
}

/**
 * Sets how many threads libtorch's CPU kernels use (default: all cores, or `DCGAN_NUM_THREADS`).
 *
 * @param threads a positive integer
 * @example
 * ```ts
 * import { setNumThreads } from "@gan/dcgan";
 * setNumThreads(2);
 * ```
 */
export function setNumThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`Thread count must be >= 1, got ${threads}`);
  }
  checkStatus("setNumThreads", shim().t_set_num_threads(threads));
}

/**
 * How many threads libtorch's CPU kernels use.
 *
 * @returns how many threads libtorch's CPU kernels use
 * @example
 * ```ts
 * import { getNumThreads } from "@gan/dcgan";
 * console.log(getNumThreads());
 * ```
 */
export function getNumThreads(): number {
  return shim().t_get_num_threads();
}

/** cuDNN's switches, as `torch.backends.cudnn`. */
export interface CudnnFlags {
  /** Only deterministic convolution algorithms (`cudnn.deterministic`); default false. */
  deterministic?: boolean;
  /** Time the algorithms for each new shape and keep the fastest (`cudnn.benchmark`); default false. */
  benchmark?: boolean;
}

/**
 * Sets cuDNN's switches, as `torch.backends.cudnn.deterministic = ...` and `.benchmark = ...` (the DCGAN
 * seed turns benchmark on). No effect on the CPU.
 *
 * @param flags the switches to set; one left out keeps its value
 * @example
 * ```ts
 * import { setCudnn } from "@gan/dcgan";
 * setCudnn({ benchmark: true });
 * ```
 */
export function setCudnn(flags: CudnnFlags): void {
  const code = (flag?: boolean) => flag === undefined ? -1 : flag ? 1 : 0;
  shim().t_set_cudnn(code(flags.deterministic), code(flags.benchmark));
}

/**
 * Whether libtorch was built with CUDA and sees a GPU.
 *
 * @returns whether libtorch was built with CUDA and sees a GPU
 * @example
 * ```ts
 * import { cudaIsAvailable } from "@gan/dcgan";
 * const device = cudaIsAvailable() ? "cuda" : "cpu";
 * ```
 */
export function cudaIsAvailable(): boolean {
  return shim().t_cuda_is_available() !== 0 && shim().t_cuda_device_count() > 0;
}

/**
 * How many tensor handles are alive in the shim: flat across training steps when nothing leaks.
 *
 * @returns the live handle count
 * @example
 * ```ts
 * import { liveTensorCount } from "@gan/dcgan";
 * console.log(liveTensorCount());
 * ```
 */
export function liveTensorCount(): number {
  return Number(shim().t_live_count());
}

/**
 * Switches the shim's fast paths: on (the default) runs CPU `convTranspose2d` (groups 1, dilation 1)
 * and its backward through oneDNN's convolution kernels, tens of times faster than libtorch's own,
 * bfloat16 convolutions whose kernel covers the whole input as one matrix product, and DiffAugment as one
 * fused CPU kernel; off restores libtorch's kernels and the ATen-composed augmentation, e.g. to compare.
 * `DCGAN_FAST_PATHS=0` starts off.
 *
 * @param enabled whether to take the fast paths
 * @example
 * ```ts
 * import { setFastPaths } from "@gan/dcgan";
 * setFastPaths(false);
 * setFastPaths(true);
 * ```
 */
export function setFastPaths(enabled: boolean): void {
  checkStatus("setFastPaths", shim().nn_set_fast_paths(enabled ? 1 : 0));
}

/**
 * Reports whether the shim's fast paths are on (see {@linkcode setFastPaths}).
 *
 * @returns true when eligible layers take the oneDNN route
 * @example
 * ```ts
 * import { fastPathsEnabled } from "@gan/dcgan";
 * console.log(fastPathsEnabled());
 * ```
 */
export function fastPathsEnabled(): boolean {
  return shim().nn_fast_paths() !== 0;
}
