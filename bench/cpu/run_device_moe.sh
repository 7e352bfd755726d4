#!/usr/bin/env bash
# MoE on the device machine's host CPU (16-core Xeon): the Qwen3-30B-A3B-shaped Q4_0 file
# with its experts interleaved (the default when they fit in half of RAM) against
# mapped in GGUF layout (ASSISTANT_MOE_REPACK=0), alternating.
#
#   bench/cpu/run_device_moe.sh CARRY OUT [THREADS (16)] [ROUNDS (2)]
#
# CARRY: make_synth_gguf.py, gguf_min.py, ggml-vocab-llama-spm.gguf. OUT receives the logs.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/moe-out}
threads=${3:-16}
rounds=${4:-2}
mkdir -p "$out" /tmp/models
model=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
if [ ! -s $model ]; then
  (python3 "$carry/make_synth_gguf.py" --preset qwen3moe-30b-a3b --type q4_0 --vocab "$carry/ggml-vocab-llama-spm.gguf" \
     --out $model.tmp > "$out/gen.log" 2>&1 && mv $model.tmp $model) &
fi
t0=$(date +%s)
cmake -S . -B build-devmoe -G Ninja -DCMAKE_BUILD_TYPE=Release -DASSISTANT_WITH_QT=OFF -DASSISTANT_WITH_RAG=OFF \
  -DASSISTANT_BUILD_TESTS=OFF -DASSISTANT_WITH_OPENCL=OFF -DASSISTANT_WITH_LEVEL_ZERO=OFF > "$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-devmoe -j"$(nproc)" --target assistant-bench > "$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
wait
[ -s $model ] || { tail -5 "$out/gen.log"; exit 1; }
grep -m1 "model name" /proc/cpuinfo; free -g | head -2
for r in $(seq "$rounds"); do
  for repack in 1 0; do
    echo "== round $r, ASSISTANT_MOE_REPACK=$repack"
    ASSISTANT_MOE_REPACK=$repack build-devmoe/bin/assistant-bench -m $model -p 256 -n 32 -t "$threads" -r 2 2>&1 |
      tee -a "$out/bench-repack$repack.txt" | grep -E "qwen3moe|load|error"
  done
done
