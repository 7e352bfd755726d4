#!/usr/bin/env bash
# AMX prefill on the device machine's 16-core Xeon, side by side with llama.cpp:
# builds ours (Qt-free) and llama.cpp's llama-bench (native build: its AMX path) in
# one go, runs the CPU kernel tests, bench_kernels (matmul alone, 512 tokens, amx vs
# avx512vnni) and alternating assistant-bench / llama-bench rounds on synthetic
# TinyLlama-1.1B Q4_0 and Q8_0 files.
#
#   bench/cpu/run_device_amx.sh CARRY OUT [full|quick]   (quick: no bench_kernels, one ISA comparison)
#
# CARRY: deb/ (libgtest-dev), make_synth_gguf.py, gguf_min.py, ggml-vocab-llama-spm.gguf
# and llsrc/ (llama.cpp 3f3a4fb9's CMake files, ggml, src, include, common, vendor,
# tools/llama-bench; tools/CMakeLists.txt reduced to llama-bench).
set -uo pipefail
carry=$(realpath "${1:-.devcpu}")
out=${2:-/tmp/amx-out}
mode=${3:-full}
source "$(dirname "$0")/device_cpu_env.sh"
gen q4_0 & gen q8_0 &
t0=$(date +%s)
( cmake -S "$carry/llsrc" -B /tmp/llb -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DGGML_NATIVE=ON > "$out/llama-configure.log" 2>&1 &&
  cmake --build /tmp/llb -j8 --target llama-bench > "$out/llama-build.log" 2>&1 ) || echo "llama.cpp build failed" &
cmake -S . -B build-devcpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DASSISTANT_WITH_QT=OFF -DASSISTANT_WITH_RAG=OFF \
  -DASSISTANT_WITH_OPENCL=OFF -DASSISTANT_WITH_LEVEL_ZERO=OFF -DGTest_DIR=/tmp/gtest/usr/lib/x86_64-linux-gnu/cmake/GTest \
  > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-devcpu -j8 --target assistant-bench bench_kernels kernels_cpu_test kernels_cpu_amx_emulated_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
wait
echo "builds: $(( $(date +%s) - t0 )) s"
grep -m1 "model name" /proc/cpuinfo; nproc
for t in kernels_cpu_test kernels_cpu_amx_emulated_test; do
  build-devcpu/bin/$t > "$out/$t.log" 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED) ' "$out/$t.log" | tr '\n' ' ')"
  grep -E '^\[  FAILED  \]' "$out/$t.log" | head -10
done
[ "$mode" = full ] && for th in 16; do
  build-devcpu/bin/bench_kernels -t $th -r 3 --types Q4_0,Q8_0 --isa amx,avx512vnni --tokens 512 2>&1 | tee "$out/kernels-t$th.txt" | grep -iE "prefill|pp|shape|amx|vnni" | head -40
done
ll=/tmp/llb/bin/llama-bench
for round in 1 2; do
  for m in q4_0 q8_0; do
    f=/tmp/models/tinyllama-$m.gguf
    [ -x $ll ] && $ll -m $f -p 512 -n 128 -t 16 -r 2 2>&1 | tee -a "$out/llama.txt" | grep -E "pp512|tg128"
    build-devcpu/bin/assistant-bench -m $f -p 512 -n 128 -t 16 -r 2 2>&1 | tee -a "$out/ours.txt" | grep -E "CPU:|pp512|tg128"
  done
done
for m in q4_0 q8_0; do
  ASSISTANT_CPU_ISA=avx512vnni build-devcpu/bin/assistant-bench -m /tmp/models/tinyllama-$m.gguf -p 512 -n 0 -t 16 -r 2 2>&1 \
    | tee -a "$out/ours-vnni.txt" | grep -E "CPU:|pp512"
done
if command -v perf >/dev/null; then
  perf record -g -o /tmp/perf.data build-devcpu/bin/assistant-bench -m /tmp/models/tinyllama-q4_0.gguf -p 512 -n 0 -t 16 -r 1 >/dev/null 2>&1
  perf report -i /tmp/perf.data --no-children --sort symbol 2>/dev/null | grep -v "^#" | grep "%" | head -30 > "$out/perf.txt"
  cat "$out/perf.txt" | cut -c1-150
else
  echo "no perf here"
fi
