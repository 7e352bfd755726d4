#!/usr/bin/env bash
# Continuous batching and the Q4_0 KV cache on the device machine (NVIDIA through its
# OpenCL ICD): every gpu test there (batching on the device included), bench_batch on
# the TinyLlama-shape Q4_0 file all on the GPU and on the 16-core CPU, and decode at
# depth with an F16, Q8_0 or Q4_0 cache on the GPU.
#
#   bench/gpu/run_device_batching.sh CARRY OUT
#
# CARRY: as bench/gpu/run_device_types.sh.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/batching-out}
source "$(dirname "$0")/device_env.sh"
gen tinyllama-1.1b q4_0 &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench bench_batch gpu_offload_test gpu_batching_test \
  kernels_opencl_test gpu_moe_test > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
for t in kernels_opencl_test gpu_offload_test gpu_batching_test gpu_moe_test; do
  build-dev/bin/$t > "$out/$t.log" 2>&1; echo "$t rc=$?"; grep -E "FAILED|PASSED" "$out/$t.log" | head -12
done
wait
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
m=/tmp/models/tinyllama-1.1b-q4_0.gguf
echo "== bench_batch, all layers on the GPU"
build-dev/bin/bench_batch -m $m -p 32 -n 64 --parallel 1,2,4,8,16 -r 3 --device $dev --gpu-layers 99 -t 4 2>&1 |
  tee "$out/batch-gpu.txt"
echo "== bench_batch, CPU 16 threads"
build-dev/bin/bench_batch -m $m -p 32 -n 32 --parallel 1,2,4,8 -r 2 -t 16 2>&1 | tee "$out/batch-cpu.txt"
for kv in f16 q8_0 q4_0; do
  echo "== depth, --kv-type $kv"
  build-dev/bin/assistant-bench -m $m -p 0 -n 64 -d 0,4096 -r 2 --device $dev --gpu-layers 99 --kv-type $kv 2>&1 |
    tee "$out/depth-$kv.txt" | grep -E "tg64|error"
done
