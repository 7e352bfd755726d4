#!/usr/bin/env bash
# The encoders on the device machine: the encoder tests through NVIDIA's OpenCL
# (gpu_encoder_test: bert-a and USE-Lite, all layers and a split, vs the CPU and the
# references; kernels_opencl_test DeviceEncoderOps.*), then bench_embed CPU vs the GPU on
# a realistic indexing batch (the repository's Markdown cut into ~700-character chunks):
# the shipped USE-Lite and random-weight bge-small / bert-base-shaped F16 BERTs
# (bench/embed/make_bert_synth.py), alternating CPU and GPU.
#
#   bench/gpu/run_device_embed.sh CARRY OUT [VOCAB (CARRY/ggml-vocab-bert-bge.gguf)]
#
# CARRY: as run_device_placement.sh (deb/, gguf_min.py, shared/conformance/models/*.gguf),
# plus the bert vocab (shared/models/vocab/ggml-vocab-bert-bge.gguf) where VOCAB points.
# Env: MODELS (default: use-lite bge-small bert-base), ROUNDS (2), RUNS (3) per bench_embed,
# TEXTS (512) chunks.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/embed-out}
vocab=${3:-$carry/ggml-vocab-bert-bge.gguf}
source "$(dirname "$0")/device_env.sh"
mkdir -p /tmp/models
(for p in ${MODELS:-bge-small bert-base}; do
   [ $p = use-lite ] && continue
   [ -s /tmp/models/$p.gguf ] || python3 bench/embed/make_bert_synth.py --preset $p --vocab "$vocab" \
     --gguf-min "$carry" --out /tmp/models/$p.gguf > "$out/gen-$p.log" 2>&1
 done) &
find . -name '*.md' -not -path './build*' -not -path './.dev*' | sort | xargs cat | tr -s '\n ' '  ' |
  fold -w 700 -s | head -"${TEXTS:-512}" > /tmp/models/texts.txt
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target bench_embed gpu_encoder_test kernels_opencl_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
build-dev/bin/gpu_encoder_test > "$out/gpu_encoder_test.log" 2>&1; echo "gpu_encoder_test rc=$?"
grep -E "FAILED|PASSED|max abs" "$out/gpu_encoder_test.log" | head -12
build-dev/bin/kernels_opencl_test --gtest_filter='DeviceEncoderOps.*' > "$out/encoder_ops.log" 2>&1
echo "kernels_opencl_test DeviceEncoderOps rc=$?"
wait
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
echo "texts: $(wc -l < /tmp/models/texts.txt)"
for name in ${MODELS:-use-lite bge-small bert-base}; do
  m=/tmp/models/$name.gguf
  [ $name = use-lite ] && m=resources/models/use-lite.gguf
  [ -s $m ] || { echo "no $m"; cat "$out"/gen-*.log; continue; }
  for r in $(seq "${ROUNDS:-2}"); do
    for d in cpu $dev; do
      echo "== $(basename $m) round $r --device $d"
      build-dev/bin/bench_embed -m $m -f /tmp/models/texts.txt -r "${RUNS:-3}" --device $d 2>&1 |
        tee -a "$out/embed-$(basename $m .gguf)-${d//:/_}.txt" | grep -E "median|on |error"
    done
  done
done
