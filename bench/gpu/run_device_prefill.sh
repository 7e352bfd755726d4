#!/usr/bin/env bash
# Prefill on the device machine: this tree built once (Qt-free, OpenCL), its OpenCL tests,
# then per model `assistant-gpu-bench -p 512 -n 0 -r 2` with the matrix-unit products
# switched off (ASSISTANT_OPENCL_MMA=0: the portable FP32 tiles, main's prefill matmul) and
# `-p 512 -n $TG -r $REPS --profile` with them on. Models: TinyLlama-1.1B shape Q4_0, Llama-3-8B shape Q4_0 and Q8_0 (synthetic).
#
#   bench/gpu/run_device_prefill.sh CARRY OUT
#
# Environment: TG (decode tokens, default 128), TESTS (default "kernels_opencl_test
# gpu_offload_test"), MODELS (default all three), REPS (default 3), MMA_MODES (values of
# ASSISTANT_OPENCL_MMA, default "0 1").
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/prefill-out}
tg=${TG:-128}
tests=${TESTS-kernels_opencl_test gpu_offload_test}
models=${MODELS:-tinyllama-1.1b-q4_0 llama3-8b-q4_0 llama3-8b-q8_0}
source "$(dirname "$0")/device_env.sh"
gen8b() {
  local m=/tmp/models/llama3-8b-$1.gguf
  python3 "$carry/make_synth_gguf.py" --preset llama3-8b --type $1 --tile-mb 64 --vocab "$carry/ggml-vocab-llama-spm.gguf" \
    --out $m.tmp > "$out/gen-llama3-8b-$1.log" 2>&1 && mv $m.tmp $m
}
for m in $models; do
  case $m in
    tinyllama-1.1b-q4_0) (gen tinyllama-1.1b q4_0) & ;;
    llama3-8b-*) (gen8b ${m#llama3-8b-}) & ;;
  esac
done
t0=$(date +%s)
(configure_dev build-dev && cmake --build build-dev -j16 --target assistant-gpu-bench $tests > "$out/build.log" 2>&1) ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -40; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
dev=opencl:0.0
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
for t in $tests; do
  t1=$(date +%s)
  build-dev/bin/$t > "$out/$t.log" 2>&1; echo "$t rc=$? ($(( $(date +%s) - t1 )) s)"
  grep -E "FAILED|PASSED|SKIPPED \]|Failure|error" "$out/$t.log" | head -12
done
# The 128-row tiles on every matrix (by default the tests' small matrices take 64-row ones).
if [[ " $tests " == *" kernels_opencl_test "* ]]; then
  ASSISTANT_OPENCL_MMA=128 build-dev/bin/kernels_opencl_test --gtest_filter='OpenclMma.*:*MatchesReference/Q*' \
    > "$out/kernels_opencl_test-mma128.log" 2>&1; echo "kernels_opencl_test (ASSISTANT_OPENCL_MMA=128) rc=$?"
  grep -E "FAILED|PASSED" "$out/kernels_opencl_test-mma128.log" | head -6
fi
wait  # the models
for m in $models; do
  [ -s /tmp/models/$m.gguf ] || { echo "no model $m"; continue; }
  for mma in ${MMA_MODES:-0 1}; do
    echo "== $m ASSISTANT_OPENCL_MMA=$mma"
    # off: prefill only, no profile (the portable tiles, as main)
    if [ $mma = 0 ]; then args="-n 0 -r 2"; else args="-n $tg -r ${REPS:-3} --profile"; fi
    ASSISTANT_OPENCL_MMA=$mma build-dev/bin/assistant-gpu-bench -m /tmp/models/$m.gguf --device $dev -p 512 $args \
      --peak-gbs 4800 > "$out/$m-mma$mma.txt" 2>&1
    grep -E "^pp|^tg|error" "$out/$m-mma$mma.txt"
    sed -n '/^prefill:/,/^$/p' "$out/$m-mma$mma.txt" | head -9
  done
done
tar -czf /tmp/prefill-logs.tgz -C "$out" . && rm -f "$out"/*.txt "$out"/*.log && mv /tmp/prefill-logs.tgz "$out/"
