#!/usr/bin/env bash
# Builds the engine without Qt on the device machine (NVIDIA GPU through NVIDIA's
# OpenCL ICD), runs the OpenCL tests there and the GPU benchmarks on synthetic models.
#
#   bench/gpu/run_device.sh CARRY OUT [quick]
#
# CARRY (git-ignored, named in the device tool's `carry`) holds:
#   deb/        ocl-icd-libopencl1, ocl-icd-opencl-dev, opencl-c-headers, libgtest-dev .debs
#               (`apt-get download ...`), unpacked here into /tmp/ocl
#   make_synth_gguf.py gguf_min.py ggml-vocab-llama-spm.gguf   (from ../shared/bench, ../shared/models/vocab)
#   shared/conformance/models/llama-a*.gguf ...                (for gpu_offload_test)
# OUT receives the logs. `quick` skips the 8B models.
set -uo pipefail
carry=$(realpath "${1:-.gpu-carry}")
out=${2:-/tmp/gpu-out}
mode=${3:-full}
source "$(dirname "$0")/device_env.sh"

# Synthetic models in the background while the engine builds.
gen tinyllama-1.1b q4_0 &
if [ "$mode" != quick ]; then gen llama3-8b q4_0 & gen llama3-8b q8_0 & fi

t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-cli assistant-gpu-bench kernels_opencl_test gpu_offload_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"

build-dev/bin/assistant-cli devices | tee "$out/devices.txt"
dev=$(build-dev/bin/assistant-cli devices | grep -o 'opencl:[0-9]*\.[0-9]*' | head -1)
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
build-dev/bin/kernels_opencl_test > "$out/kernels_opencl_test.log" 2>&1; echo "kernels_opencl_test rc=$?"
grep -E "FAILED|PASSED" "$out/kernels_opencl_test.log" | head -20
build-dev/bin/gpu_offload_test > "$out/gpu_offload_test.log" 2>&1; echo "gpu_offload_test rc=$?"
grep -E "FAILED|PASSED" "$out/gpu_offload_test.log" | head -20

wait
ls -la /tmp/models
# HBM peak of the card (H100 SXM 3.35 TB/s, H200 4.8 TB/s) for the % of peak column
peak=3350
if command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name --format=csv,noheader | grep -q H200; then peak=4800; fi
for m in /tmp/models/tinyllama-1.1b-q4_0.gguf /tmp/models/llama3-8b-q4_0.gguf /tmp/models/llama3-8b-q8_0.gguf; do
  [ -s "$m" ] || continue
  echo "== $m"
  build-dev/bin/assistant-gpu-bench -m "$m" --device "$dev" -p 512 -n 128 -r 3 --profile --peak-gbs $peak 2>&1 |
    tee "$out/bench-$(basename "$m" .gguf).txt"
done
