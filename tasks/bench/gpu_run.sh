#!/usr/bin/env bash
# On a lent GPU machine (see ../shared/device/README.md): build the shim against the machine's CUDA
# libtorch, then run the named stages (default: tests bench). Logs go to $OUT (or ./gpu-logs).
#   source .device/enter.sh && bash tasks/bench/gpu_run.sh [tests] [train] [cpu-parity] [bench|quick]
# Stages:
#   tests       tests/ops/cuda_test.ts (graphs, autocast, channels_last, parity with PyTorch on the GPU)
#   train       deno task train with --cuda-graph --channels-last --amp bf16 on generated PNGs, then --resume
#   cpu-parity  the CPU parity tests against this machine's PyTorch (2.x)
#   bench       the GPU bench (tasks/bench/gpu.ts); quick: its tiny version
# --no-lock: the carried Deno cache lacks the emoji data set, which the lockfile would fetch.
set -uo pipefail
out=${OUT:-gpu-logs}
mkdir -p "$out"
export DCGAN_PYTHON=${DCGAN_PYTHON:-python3} DCGAN_CACHE=${DCGAN_CACHE:-/tmp/dcgan-cache}
export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
start=$(date +%s)
stage() { echo "== $1 ($(( $(date +%s) - start )) s)"; }
stage build
deno run -A --no-lock ffi/build.ts 2>&1 | tee "$out/build.log" || exit 1
[ $# -gt 0 ] || set -- tests bench
for name in "$@"; do
  stage "$name"
  case $name in
    tests) deno test -A --no-lock tests/ops/cuda_test.ts 2>&1 | tee "$out/cuda_test.log" ;;
    train)
      python3 -c "
import os, numpy as np
from PIL import Image
os.makedirs('/tmp/imgs', exist_ok=True)
for i in range(96):
    Image.fromarray((np.random.rand(40, 40, 3) * 255).astype('uint8')).save(f'/tmp/imgs/{i}.png')"
      flags=(--data /tmp/imgs --image-size 32 --batch-size 16 --ngf 16 --ndf 16 --nz 32 --epochs 3
        --device cuda --cuda-graph --channels-last --amp bf16 --log-every 2 --out /tmp/run)
      { deno run -A --no-lock tasks/cli/train.ts "${flags[@]}" --max-steps 10 &&
        deno run -A --no-lock tasks/cli/train.ts "${flags[@]}" --resume --max-steps 16 &&
        ls /tmp/run; } 2>&1 | tee "$out/train.log" ;;
    cpu-parity)
      DCGAN_NUM_THREADS=8 timeout 150 deno test -A --no-lock tests/ops/ops_test.ts tests/models/adam_test.ts \
        tests/gan/train_parity_test.ts tests/ffi/shim_errors_test.ts 2>&1 | grep -v "^\s*at " | tee "$out/cpu_parity.log" ;;
    bench) timeout 420 deno run -A --no-lock tasks/bench/gpu.ts --json "$out/bench_gpu.json" 2>&1 | tee "$out/bench.log" ;;
    quick) timeout 240 deno run -A --no-lock tasks/bench/bench.ts --device cuda --quick --json "$out/bench_quick.json" 2>&1 |
      tee "$out/bench_quick.log" ;;
    *) echo "unknown stage $name" ;;
  esac
done
stage done
