#!/usr/bin/env bash
# The placement plan on the device machine: every pre-norm architecture's conformance
# model on the GPU (gpu_offload_test through NVIDIA's OpenCL), TinyLlama-shape Q4_0 all on
# the GPU, and the Qwen3-30B-A3B-shaped Q4_0 file CPU-only against the hybrid placement
# (attention, norms, router input and output head on the GPU; routed experts on the CPU),
# alternating.
#
#   bench/gpu/run_device_placement.sh CARRY OUT [THREADS (16)]
#
# CARRY: deb/ (ocl-icd-libopencl1, ocl-icd-opencl-dev, opencl-c-headers, libgtest-dev .debs),
# make_synth_gguf.py, gguf_min.py, ggml-vocab-llama-spm.gguf, shared/conformance/models/*.gguf.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/placement-out}
threads=${3:-16}
source "$(dirname "$0")/device_env.sh"
(gen tinyllama-1.1b q4_0; gen qwen3moe-30b-a3b q4_0) &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench assistant-gpu-bench gpu_offload_test kernels_opencl_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
build-dev/bin/gpu_offload_test > "$out/gpu_offload_test.log" 2>&1; echo "gpu_offload_test rc=$?"
grep -E "FAILED|PASSED|device" "$out/gpu_offload_test.log" | head -20
build-dev/bin/kernels_opencl_test > "$out/kernels_opencl_test.log" 2>&1; echo "kernels_opencl_test rc=$?"
grep -E "FAILED|PASSED" "$out/kernels_opencl_test.log" | head -10
wait
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
m=/tmp/models/tinyllama-1.1b-q4_0.gguf
echo "== $m all on the GPU"
build-dev/bin/assistant-gpu-bench -m $m --device $dev -p 512 -n 128 -r 3 2>&1 | tee "$out/tinyllama-gpu.txt" | grep -E "pp|tg|error"
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out/gen-qwen3moe-30b-a3b.log"; exit 1; }
for r in 1 2; do
  for d in cpu $dev; do
    echo "== round $r, --device $d"
    build-dev/bin/assistant-bench -m $m -p 512 -n 64 -t "$threads" -r 2 --device $d --gpu-layers 99 2>&1 |
      tee -a "$out/moe-$d.txt" | grep -E "qwen3moe|error|GPU"
  done
done
