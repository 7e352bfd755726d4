#!/usr/bin/env bash
# The hot-expert cache's refreshes on the device machine (issue 14: one 12G-cache call
# decoded at 44.8 t/s with 6 swaps, another at 117-143 with none): gpu_moe_test's refresh
# counters, then the Qwen3-30B-A3B-shaped Q4_0 file with --gpu-mem 12G, assistant-bench
# -p 512 -n 64 with REPS runs, twice (one process each). Every run prints its t/s and hit
# rate and the refresh before it (refreshes, swaps, ms, MiB uploaded: between runs,
# outside the timed part); a refresh inside a timed part would be called out.
#
#   bench/gpu/run_device_hot_refresh.sh CARRY OUT [THREADS (16)] [REPS (5)]
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/refresh-out}
threads=${3:-16}
reps=${4:-5}
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench gpu_moe_test > "$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
timeout 120 build-dev/bin/gpu_moe_test --gtest_filter='GpuHotExperts*' > "$out/gpu_moe_test.log" 2>&1
echo "gpu_moe_test (hot experts) rc=$?"; grep -E "^\[  (PASSED|FAILED)" "$out/gpu_moe_test.log" | head -5
wait
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out/gen-qwen3moe-30b-a3b-q4_0.log"; exit 1; }
for call in 1 2; do
  echo "== call $call ($(( $(date +%s) - t0 )) s)"
  timeout 200 build-dev/bin/assistant-bench -m $m -p 512 -n 64 -t "$threads" -r "$reps" --device "$dev" \
    --gpu-layers 99 --moe-experts cpu --gpu-mem 12G > "$out/bench-$call.txt" 2>&1
  grep -E "qwen3moe|run [0-9]+:|INSIDE|hit rate|error" "$out/bench-$call.txt" | head -20
done
echo "total: $(( $(date +%s) - t0 )) s"
