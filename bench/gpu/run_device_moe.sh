#!/usr/bin/env bash
# Mixture-of-experts placement on the device machine: the experts op and the qwen3moe
# conformance models on NVIDIA's OpenCL (DeviceExperts, gpu_moe_test), the plan
# assistant-cli info prints for the Qwen3-30B-A3B-shaped Q4_0 file, then that file all on
# the GPU (--moe-experts gpu) against the hybrid placement (--moe-experts cpu: routed
# experts on the CPU, the rest on the GPU), assistant-bench -p 512 -n 64.
#
#   bench/gpu/run_device_moe.sh CARRY OUT [THREADS (16)]
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/moe-out}
threads=${3:-16}
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench assistant-cli gpu_moe_test kernels_opencl_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
timeout 60 build-dev/bin/kernels_opencl_test --gtest_filter='*DeviceExperts*:DeviceBackend*' \
  > "$out/kernels_opencl_test.log" 2>&1; echo "kernels_opencl_test (experts) rc=$?"
grep -E "FAILED|PASSED" "$out/kernels_opencl_test.log" | head -10
timeout 60 build-dev/bin/gpu_moe_test > "$out/gpu_moe_test.log" 2>&1; echo "gpu_moe_test rc=$?"
grep -E "FAILED|PASSED" "$out/gpu_moe_test.log" | head -10
wait
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out/gen-qwen3moe-30b-a3b-q4_0.log"; exit 1; }
echo "gen + build: $(( $(date +%s) - t0 )) s"
build-dev/bin/assistant-cli info $m --device $dev 2>&1 | sed -n '/^placement/,$p' | tee "$out/info.txt"
for moe in gpu cpu; do
  echo "== --moe-experts $moe"
  timeout 150 build-dev/bin/assistant-bench -m $m -p 512 -n 64 -t "$threads" -r 2 --device $dev --gpu-layers 99 \
    --moe-experts $moe 2>&1 | tee "$out/moe-$moe.txt" | grep -E "qwen3moe|error|layers"
done
