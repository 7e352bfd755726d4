#!/usr/bin/env bash
# Dense Qwen3- and Phi-3-shaped files fully offloaded (issue 13), and the Qwen3-30B-A3B-shaped
# MoE file CPU-only on the host's cores (issue 14), in one call on the device machine.
#
#   bench/gpu/run_device_dense.sh CARRY OUT [THREADS (16)]
#
# Files come from bench/tools/make_dense_synth.py (qwen3-8b, phi3-mini; Q4_0 and Q8_0) and the
# shared make_synth_gguf.py (qwen3moe-30b-a3b Q4_0, skipped with MOE=0). Each dense file:
# assistant-gpu-bench -p 512 -n 128 -r 3 --profile, all layers and the output head on the GPU.
# The MoE file: assistant-bench -p 512 -n 64 -t THREADS -r 2 --device cpu.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/dense-out}
threads=${3:-16}
source "$(dirname "$0")/device_env.sh"
dense() {
  local m=/tmp/models/$1-$2.gguf
  [ -s $m ] && return
  python3 bench/tools/make_dense_synth.py --shared-bench "$carry" --preset "$1" --type "$2" \
    --vocab "$carry/ggml-vocab-llama-spm.gguf" --out $m.tmp > "$out/gen-$1-$2.log" 2>&1 && mv $m.tmp $m
}
(dense qwen3-8b q4_0; dense qwen3-8b q8_0; dense phi3-mini q4_0; [ "${MOE:-1}" = 1 ] && gen qwen3moe-30b-a3b q4_0) &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench assistant-gpu-bench gpu_offload_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
build-dev/bin/gpu_offload_test > "$out/gpu_offload_test.log" 2>&1; echo "gpu_offload_test rc=$?"
grep -E "FAILED|PASSED|SKIPPED" "$out/gpu_offload_test.log" | head -20
wait
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for f in qwen3-8b-q4_0 qwen3-8b-q8_0 phi3-mini-q4_0; do
  m=/tmp/models/$f.gguf
  [ -s $m ] || { echo "no $m"; cat "$out"/gen-*.log | tail -5; continue; }
  echo "== $f all on the GPU"
  build-dev/bin/assistant-gpu-bench -m $m --device $dev -p 512 -n 128 -r 3 --profile --peak-gbs 4800 2>&1 |
    tee "$out/$f-gpu.txt" | grep -E "pp|tg|error|GB/s" | head -12
done
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
if [ "${MOE:-1}" = 1 ] && [ -s $m ]; then
  echo "== qwen3moe-30b-a3b Q4_0, CPU only, $threads threads"
  build-dev/bin/assistant-bench -m $m -p 512 -n 64 -t "$threads" -r 2 --device cpu 2>&1 |
    tee "$out/moe-cpu.txt" | grep -E "qwen3moe|error|ISA|isa"
fi
