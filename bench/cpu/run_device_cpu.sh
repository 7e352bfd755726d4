#!/usr/bin/env bash
# The CPU kernels on the device machine's host (16-core Xeon, AVX-512 VNNI + AMX):
# every ISA path's kernel tests on real hardware, then assistant-bench on synthetic
# TinyLlama-1.1B Q4_0 / Q8_0 files per ISA path and thread count.
#
#   bench/cpu/run_device_cpu.sh CARRY OUT [tests|bench|all] [ISAS ("native avxvnni avx2")]
#
# CARRY: make_synth_gguf.py, gguf_min.py, ggml-vocab-llama-spm.gguf and deb/ with
# libgtest-dev (Debian's, unpacked here). OUT receives the logs.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/cpu-out}
mode=${3:-all}
isas=${4:-native avxvnni avx2}
source "$(dirname "$0")/device_cpu_env.sh"
if [ "$mode" != tests ]; then gen q4_0 & gen q8_0 & fi

if [ "$mode" != bench ]; then
  t0=$(date +%s)
  cmake -S . -B build-devcpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DASSISTANT_WITH_QT=OFF -DASSISTANT_WITH_RAG=OFF \
    -DASSISTANT_WITH_OPENCL=OFF -DASSISTANT_WITH_LEVEL_ZERO=OFF -DGTest_DIR=/tmp/gtest/usr/lib/x86_64-linux-gnu/cmake/GTest \
    > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
  cmake --build build-devcpu -j"$(nproc)" --target assistant-bench kernels_cpu_test kernels_cpu_vnni_emulated_test kernels_cpu_amx_emulated_test \
    > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
  echo "build: $(( $(date +%s) - t0 )) s"
  grep -m1 "model name" /proc/cpuinfo; grep -m1 -o 'amx[a-z_0-9]*\|avx512_vnni\|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
  for t in kernels_cpu_test kernels_cpu_vnni_emulated_test kernels_cpu_amx_emulated_test; do
    build-devcpu/bin/$t > "$out/$t.log" 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED) ' "$out/$t.log" | tr '\n' ' ')"
    grep -E '^\[  FAILED  \]' "$out/$t.log" | head -10
  done
fi
wait
if [ "$mode" != tests ]; then
  for isa in $isas; do
    for m in q4_0 q8_0; do
      env $( [ $isa != native ] && echo ASSISTANT_CPU_ISA=$isa ) build-devcpu/bin/assistant-bench \
        -m /tmp/models/tinyllama-$m.gguf -p 512 -n 128 -t 16,8 -r 2 2>&1 | tee -a "$out/bench-$isa.txt" | grep -E "CPU:|tinyllama"
    done
  done
fi
