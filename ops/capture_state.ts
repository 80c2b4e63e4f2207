/**
 * Whether a CUDA graph capture is under way, kept apart from ./cuda.ts so that reading a tensor
 * (./tensor.ts) can refuse early without loading the CUDA wrappers: a read during capture would wait
 * for the GPU, which CUDA forbids and answers by invalidating the whole capture.
 *
 * @module
 */

let capturing = false;

/**
 * Whether a `CudaGraph` capture is under way (reading a tensor's values then fails).
 *
 * @returns true between a capture's start and end
 */
export function isCapturing(): boolean {
  return capturing;
}

/**
 * Marks a capture as started or ended; only `CudaGraph.capture` calls this.
 *
 * @param value true at the start, false at the end
 */
export function setCapturing(value: boolean): void {
  capturing = value;
}

/**
 * The error for a read of tensor values during a capture.
 *
 * @param op the read, e.g. `item`
 * @returns an error naming it and the fix
 */
export function capturingError(op: string): Error {
  return new Error(
    `${op}() during a CUDA graph capture: reading values waits for the GPU, which a capture cannot hold. ` +
      "Keep the tensor as an output of the capture and read it after replay()",
  );
}
