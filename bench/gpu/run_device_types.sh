#!/usr/bin/env bash
# The OpenCL weight types, the Q8_0 KV cache and the build without OpenCL on the device
# machine (NVIDIA through its OpenCL ICD): every gpu test there, TinyLlama-shape files in
# Q4_0 / Q4_K_M / IQ4_XS / Q5_K_M all on the GPU, and decode at depth with an F16 or Q8_0
# cache.
#
#   bench/gpu/run_device_types.sh CARRY OUT
#
# CARRY: deb/ (ocl-icd-libopencl1, ocl-icd-opencl-dev, opencl-c-headers, libgtest-dev .debs),
# make_synth_gguf.py, gguf_min.py, ggml-vocab-llama-spm.gguf, shared/conformance/models/*.gguf.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/types-out}
source "$(dirname "$0")/device_env.sh"
(gen tinyllama-1.1b q4_0; gen tinyllama-1.1b f16) &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-cli assistant-bench assistant-gpu-bench gpu_offload_test \
  kernels_opencl_test gpu_weight_types_test > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
# The engine without OpenCL (the Qt-free CPU build) must still build.
cmake -S . -B build-noocl -G Ninja -DCMAKE_BUILD_TYPE=Release -DASSISTANT_WITH_QT=OFF -DASSISTANT_WITH_RAG=OFF \
  -DASSISTANT_BUILD_TESTS=OFF -DASSISTANT_WITH_OPENCL=OFF -DASSISTANT_WITH_LEVEL_ZERO=OFF > "$out/configure-noocl.log" 2>&1 &&
  cmake --build build-noocl -j"$(nproc)" --target assistant-cli assistant-bench > "$out/build-noocl.log" 2>&1
echo "build without OpenCL rc=$?"; grep -E "error" -A3 "$out/build-noocl.log" | head -20
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
for t in kernels_opencl_test gpu_offload_test gpu_weight_types_test; do
  build-dev/bin/$t > "$out/$t.log" 2>&1; echo "$t rc=$?"; grep -E "FAILED|PASSED" "$out/$t.log" | head -12
done
wait
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
f16=/tmp/models/tinyllama-1.1b-f16.gguf
for q in Q4_K_M IQ4_XS Q5_K_M; do
  [ -s /tmp/models/tinyllama-$q.gguf ] || build-dev/bin/assistant-cli quantize $f16 /tmp/models/tinyllama-$q.gguf $q -t 16 \
    > "$out/quantize-$q.log" 2>&1 || tail -3 "$out/quantize-$q.log"
done
for m in /tmp/models/tinyllama-1.1b-q4_0.gguf /tmp/models/tinyllama-Q4_K_M.gguf /tmp/models/tinyllama-IQ4_XS.gguf \
         /tmp/models/tinyllama-Q5_K_M.gguf; do
  [ -s $m ] || continue
  echo "== $m all on the GPU"
  build-dev/bin/assistant-gpu-bench -m $m --device $dev -p 512 -n 128 -r 3 2>&1 | tee "$out/gpu-$(basename $m .gguf).txt" |
    grep -E "pp512|tg128|error|layers"
done
m=/tmp/models/tinyllama-1.1b-q4_0.gguf
for kv in f16 q8_0; do
  echo "== depth, --kv-type $kv"
  build-dev/bin/assistant-bench -m $m -p 0 -n 64 -d 0,4096 -r 2 --device $dev --gpu-layers 99 --kv-type $kv 2>&1 |
    tee "$out/depth-$kv.txt" | grep -E "tg64|error"
done
