#!/usr/bin/env bash
# One call on the device machine after a round's merges: the OpenCL tests on NVIDIA's driver
# (kernels, offload of every architecture, MoE placements, encoders, the decode estimate),
# then the Qwen3-30B-A3B-shaped Q4_0 file in each placement with its peak RSS
# (bench/tools/peak_rss.py), and `assistant-cli info`'s expected decode tokens/s for each.
#
#   bench/gpu/run_device_check.sh CARRY OUT [THREADS (16)] [REPS (2)]
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/check-out}
threads=${3:-16}
reps=${4:-2}
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench assistant-cli kernels_opencl_test gpu_offload_test \
  gpu_moe_test gpu_encoder_test decode_estimate_test > "$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for t in kernels_opencl_test gpu_offload_test gpu_moe_test gpu_encoder_test decode_estimate_test; do
  timeout 150 build-dev/bin/$t > "$out/$t.log" 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/$t.log" | tr '\n' ' ')"
  grep -E "^\[  FAILED  \]" "$out/$t.log" | head -5
done
echo "tests done: $(( $(date +%s) - t0 )) s"
wait
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out"/gen-qwen3moe-30b-a3b*.log; exit 1; }
b="build-dev/bin/assistant-bench -m $m -p 512 -n 64 -t $threads -r $reps"
i=0
for p in "--device $dev --gpu-layers 99 --moe-experts gpu" "--device $dev --gpu-layers 99 --moe-experts cpu" \
         "--device $dev --gpu-layers 99 --moe-experts cpu --gpu-mem 12G" "--device cpu"; do
  i=$((i + 1))
  echo "== $p"
  timeout 150 python3 bench/tools/peak_rss.py --label "$p" -- $b $p > "$out/moe-$i.txt" 2>&1
  grep -E "qwen3moe|error|peak|VmHWM|hit" "$out/moe-$i.txt" | head -8
done
for p in "--moe-experts gpu" "--moe-experts cpu" "--moe-experts cpu --gpu-mem 12G"; do
  echo "== info $p"
  timeout 60 build-dev/bin/assistant-cli info $m --device $dev -t $threads $p 2>&1 | sed -n '/^expected/,$p' | head -8
done
echo "total: $(( $(date +%s) - t0 )) s"
