#!/usr/bin/env bash
# The hot-expert cache on the device machine (issue 14): the experts-op and qwen3moe
# conformance tests on NVIDIA's OpenCL (DeviceExpertSlots, DeviceExperts, gpu_moe_test),
# the plan for --gpu-mem 12G, then the Qwen3-30B-A3B-shaped Q4_0 file with the routed
# experts on the CPU without a cache, with the 12G cache, and all on the GPU for
# reference: assistant-bench -p 512 -n 64.
#
#   bench/gpu/run_device_hot_experts.sh CARRY OUT [THREADS (16)] [REPS (2)] [SECONDS (no limit)]
# With SECONDS, a benchmark that would start with less than 60 s left is skipped.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/hot-out}
threads=${3:-16}
reps=${4:-2}
limit=${5:-0}
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench assistant-cli gpu_moe_test kernels_opencl_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
timeout 90 build-dev/bin/kernels_opencl_test --gtest_filter='*ExpertSlots*:*DeviceExperts*' \
  > "$out/kernels_opencl_test.log" 2>&1; echo "kernels_opencl_test (experts, slots) rc=$?"
grep -E "FAILED|PASSED" "$out/kernels_opencl_test.log" | head -10
timeout 90 build-dev/bin/gpu_moe_test > "$out/gpu_moe_test.log" 2>&1; echo "gpu_moe_test rc=$?"
grep -E "FAILED|PASSED" "$out/gpu_moe_test.log" | head -10
wait
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out/gen-qwen3moe-30b-a3b-q4_0.log"; exit 1; }
echo "gen + build + tests: $(( $(date +%s) - t0 )) s"
build-dev/bin/assistant-cli info $m --device $dev --moe-experts cpu --gpu-mem 12G 2>&1 | sed -n '/^placement/,$p' \
  | tee "$out/info.txt"
bench() {  # NAME ARGS...
  local name=$1; shift
  if [ "$limit" -gt 0 ] && [ $(( limit - ($(date +%s) - t0) )) -lt 60 ]; then echo "== $name skipped (time)"; return; fi
  echo "== $name ($(( $(date +%s) - t0 )) s)"
  timeout 150 build-dev/bin/assistant-bench -m $m -p 512 -n 64 -t "$threads" -r "$reps" --device $dev --gpu-layers 99 \
    "$@" 2>&1 | tee "$out/bench-$name.txt" | grep -E "qwen3moe|error|layers|hot-expert"
}
bench nocache --moe-experts cpu
bench cache12g --moe-experts cpu --gpu-mem 12G
reps=1 bench allgpu --moe-experts gpu
echo "total: $(( $(date +%s) - t0 )) s"
