#!/usr/bin/env bash
# On a lent GPU machine (see ../shared/device/README.md): build the shim against the machine's CUDA
# libtorch, run the CUDA tests, then the GPU bench. Logs go to $OUT (or ./gpu-logs).
#   source .device/enter.sh && bash tasks/bench/gpu_run.sh [quick]
set -uo pipefail
out=${OUT:-gpu-logs}
mkdir -p "$out"
export DCGAN_PYTHON=${DCGAN_PYTHON:-python3} DCGAN_CACHE=${DCGAN_CACHE:-/tmp/dcgan-cache}
export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
start=$(date +%s)
stage() { echo "== $1 ($(( $(date +%s) - start )) s)"; }
stage build
deno run -A ffi/build.ts 2>&1 | tee "$out/build.log" || exit 1
stage "cuda tests"
deno test -A tests/cuda_test.ts 2>&1 | tee "$out/cuda_test.log"
if [ "${1:-}" = quick ]; then
  stage "quick bench"
  timeout 240 deno run -A tasks/bench_gpu.ts --quick --json "$out/bench_quick.json" 2>&1 | tee "$out/bench_quick.log"
else
  stage "bench"
  timeout 420 deno run -A tasks/bench_gpu.ts --json "$out/bench_gpu.json" 2>&1 | tee "$out/bench.log"
fi
stage done
