#!/usr/bin/env bash
# Fewer launches per all-GPU decode layer (issue 14, h67) on the device machine: the tests
# of the fused paths on NVIDIA's OpenCL (routing in the gate/up launch, head norms in the
# RoPE launch, one-range attention in one launch, the launch count), then the
# Qwen3-30B-A3B-shaped Q4_0 file all on the GPU, decode with each fusion switched off in
# turn against all on, in one call (same card, same minute):
#   all        this tree's default (9 launches a MoE layer + head)
#   route0     ASSISTANT_MOE_ROUTE_FUSED=0: moe_route its own launch again
#   whole0     ASSISTANT_ATTN_WHOLE=0: attn_merge_q8 after a one-range split again
#   both0      both off (the head norm stays inside RoPE: no switch)
# Each: assistant-gpu-bench -n 128 (llama.cpp's tg128: 238.8 t/s) and --profile.
#
#   bench/gpu/run_device_launches.sh CARRY OUT [REPS (3)]
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/launches-out}
reps=${3:-3}
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j16 --target assistant-gpu-bench kernels_opencl_test gpu_decode_launches_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
timeout 120 build-dev/bin/kernels_opencl_test \
  --gtest_filter='*DeviceExpertRouting*:*DeviceExperts*:DeviceBackend.*' > "$out/kernels_opencl_test.log" 2>&1
echo "kernels_opencl_test rc=$?"; grep -E "FAILED|PASSED" "$out/kernels_opencl_test.log" | head -10
timeout 60 build-dev/bin/gpu_decode_launches_test > "$out/gpu_decode_launches_test.log" 2>&1
echo "gpu_decode_launches_test rc=$?"; grep -E "FAILED|PASSED|a layer" "$out/gpu_decode_launches_test.log" | head -6
wait
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out/gen-qwen3moe-30b-a3b-q4_0.log"; exit 1; }
echo "gen + build + tests: $(( $(date +%s) - t0 )) s"
run() {  # LABEL ENV...
  local label=$1; shift
  echo "== $label $*"
  env "$@" timeout 100 build-dev/bin/assistant-gpu-bench -m $m --device $dev --gpu-layers 99 -p 0 -n 128 -r "$reps" \
    --profile --peak-gbs 4800 > "$out/$label.txt" 2>&1
  grep -E "^tg|error" "$out/$label.txt"
  awk '/^decode/{d=1;print;next} /^prefill/{d=0} d && NF==7 && $2 ~ /^[0-9]+$/ {c+=$2; print} END{print "launches", c}' \
    "$out/$label.txt" | head -16
}
run all ASSISTANT_MOE_ROUTE_FUSED=1
run route0 ASSISTANT_MOE_ROUTE_FUSED=0
run whole0 ASSISTANT_ATTN_WHOLE=0
run both0 ASSISTANT_MOE_ROUTE_FUSED=0 ASSISTANT_ATTN_WHOLE=0
run all-again ASSISTANT_MOE_ROUTE_FUSED=1
echo "total: $(( $(date +%s) - t0 )) s"
