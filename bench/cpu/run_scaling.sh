#!/usr/bin/env bash
# CPU thread scaling of assistant-bench on a many-core machine (the device machine:
# no Qt, no SQLite). Builds assistant-bench, writes synthetic TinyLlama-1.1B models with
# ../shared/bench/make_synth_gguf.py and runs pp512/tg128 at several thread counts.
#
#   bench/cpu/run_scaling.sh CARRY OUT [THREADS (1,2,4,8,16)]
#
# CARRY holds make_synth_gguf.py, gguf_min.py and ggml-vocab-llama-spm.gguf (the same
# folder bench/gpu/run_device.sh uses). OUT receives the logs and JSON.
set -uo pipefail
carry=$(realpath "${1:-.gpu-carry}")
out=${2:-/tmp/cpu-out}
threads=${3:-1,2,4,8,16}
mkdir -p "$out" /tmp/models

gen() {
  [ -s /tmp/models/tinyllama-$1.gguf ] && return
  python3 "$carry/make_synth_gguf.py" --preset tinyllama-1.1b --type "$1" --vocab "$carry/ggml-vocab-llama-spm.gguf" \
    --out /tmp/models/tinyllama-$1.gguf > "$out/gen-$1.log" 2>&1
}
gen q4_0 & gen q8_0 &

t0=$(date +%s)
cmake -S . -B build-cpu-scaling -G Ninja -DCMAKE_BUILD_TYPE=Release -DASSISTANT_WITH_QT=OFF -DASSISTANT_WITH_RAG=OFF \
  -DASSISTANT_WITH_OPENCL=OFF -DASSISTANT_WITH_LEVEL_ZERO=OFF -DASSISTANT_BUILD_TESTS=OFF > "$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-cpu-scaling -j"$(nproc)" --target assistant-bench bench_machine_info > "$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
build-cpu-scaling/bin/bench_machine_info | tee "$out/machine.txt"
wait
for type in q4_0 q8_0; do
  t=$threads
  [ "$type" = q8_0 ] && t=2,16
  build-cpu-scaling/bin/assistant-bench -m /tmp/models/tinyllama-$type.gguf -p 512 -n 128 -t "$t" -r 2 |
    tee "$out/bench-$type.md"
done
