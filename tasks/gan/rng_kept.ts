/**
 * Work that draws random numbers beside a training run without changing the run's numbers: the
 * generators' states are taken before it and given back after.
 *
 * @module
 */

import { cudaExtensionLoaded, getCudaRngState, setCudaRngState } from "../../ops/cuda.ts";
import type { Device } from "../../ops/device.ts";
import { getRngState, setRngState } from "../../ops/runtime.ts";

/**
 * Takes the random generators' states (the CPU's, and the GPU's on CUDA) and gives them back when
 * disposed: `using _kept = keptRng(device);` before drawing.
 *
 * @param device the run's device
 * @returns a handle that restores the states when disposed
 * @example
 * ```ts
 * import { keptRng } from "./rng_kept.ts";
 * import { manualSeed, randn } from "@gan/dcgan";
 * {
 *   using _kept = keptRng("cpu");
 *   manualSeed(7);
 *   randn([2]).dispose();
 * } // the CPU generator is where it was
 * ```
 */
export function keptRng(device: Device): Disposable {
  const rng = getRngState();
  const cudaRng = device !== "cpu" && cudaExtensionLoaded() ? getCudaRngState() : undefined;
  return {
    [Symbol.dispose]() {
      try {
        setRngState(rng);
        if (cudaRng) setCudaRngState(cudaRng);
      } finally {
        rng.dispose();
        cudaRng?.dispose();
      }
    },
  };
}
