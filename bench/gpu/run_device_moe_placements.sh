#!/usr/bin/env bash
# Every placement of the Qwen3-30B-A3B-shaped Q4_0 file on the device machine in one call
# (issue 14), each run its own process with its peak RSS (bench/tools/peak_rss.py): the
# stream and CPU tests on NVIDIA's OpenCL; experts on the CPU with the prefill stream at its
# default threshold and off; with a 12G hot-expert cache (stream default and off); all on
# the GPU; CPU only; then a prompt sweep around the stream's threshold: off, always on, and
# the default (which moves to the measured break-even: assistant-bench prints it).
# With the peer's sources carried in .llamasrc (bench/gpu/build_device_llamacpp.sh), part
# build also builds llama.cpp with CUDA, and part bench runs its placements right after
# ours (same file, same threads), so the ratios come from one machine and one hour.
# A call runs 10 minutes at most: PARTS picks some of build, tests, bench, sweep (the build
# folders and the model file stay on a warm machine between calls).
#
#   bench/gpu/run_device_moe_placements.sh CARRY OUT [THREADS (16)] [REPS (2)] [PARTS (all)]
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/moe-placements-out}
threads=${3:-16}
reps=${4:-2}
parts=${5:-build,tests,bench,sweep}
want() { [[ ",$parts," == *",$1,"* ]]; }
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
t0=$(date +%s)
peer=build-llama/bin/llama-bench
# BASELINES.md has llama.cpp's figures on the H200: the peer is built only on other cards.
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
if want build && [ -d .llamasrc ] && [[ "$gpu" != *H200* ]]; then
  bench/gpu/build_device_llamacpp.sh .llamasrc build-llama "$out/llama-build.log" 560 > "$out/llama-build.txt" 2>&1 &
fi
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench gpu_moe_stream_test gpu_moe_test kernels_opencl_test gpu_decode_launches_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
want tests && for t in kernels_opencl_test gpu_decode_launches_test gpu_moe_stream_test gpu_moe_test; do
  f=; [ $t = kernels_opencl_test ] && f='--gtest_filter=*DeviceExpertStream*:*DeviceExpertRouting*:*DeviceExperts*:DeviceBackend.*'
  timeout 150 build-dev/bin/$t $f > "$out/$t.log" 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/$t.log" | tr '\n' ' ')"
  grep -m3 -A8 "Failure$" "$out/$t.log" | cut -c1-300 | head -30
done
wait
[ -e "$out/llama-build.txt" ] && cat "$out/llama-build.txt"
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out"/gen-qwen3moe-30b-a3b*.log; exit 1; }
echo "model ready: $(( $(date +%s) - t0 )) s, $(( $(stat -c %s $m) >> 20 )) MiB"
bench() {  # LABEL STREAM(default|N) ARGS...
  local label=$1 stream=$2; shift 2
  echo "== $label (ASSISTANT_MOE_STREAM=$stream)"
  local run="python3 bench/tools/peak_rss.py --label $label -- build-dev/bin/assistant-bench -m $m -t $threads $*"
  if [ "$stream" = default ]; then env -u ASSISTANT_MOE_STREAM timeout 150 $run > "$out/$label.txt" 2>&1
  else ASSISTANT_MOE_STREAM=$stream timeout 150 $run > "$out/$label.txt" 2>&1; fi
  echo "rc=$?"; grep -E "^\| qwen3moe|error|hit rate [0-9.]+% \(|peak Rss|stream from" "$out/$label.txt" | grep -v "run [0-9]:" | head -14
}
peer() {  # LABEL ARGS... : llama.cpp's llama-bench on the same file
  local label=$1; shift
  [ -x $peer ] || return 0
  echo "== $label"
  timeout 200 python3 bench/tools/peak_rss.py --label $label -- $peer -m $m -t $threads "$@" > "$out/$label.txt" 2>&1
  echo "rc=$?"; grep -E "^\| qwen3moe|error|peak Rss" "$out/$label.txt" | head -6
}
hy="--device $dev --gpu-layers 99 --moe-experts cpu"
if want bench; then
  bench all-gpu default -p 512 -n 128 -r 3 --device $dev --gpu-layers 99 --moe-experts gpu
  peer llama-all-gpu -p 512 -n 128 -r 3 -ngl 99
  ASSISTANT_MOE_ROUTE_FUSED=0 bench all-gpu-route0 default -p 512 -n 128 -r 3 --device $dev --gpu-layers 99 --moe-experts gpu
  bench hybrid-stream default -p 512 -n 64 -r $reps $hy
  peer llama-hybrid -p 512 -n 64 -r $reps -ngl 99 -ncmoe 48
  bench cache12G-nostream 0 -p 512 -n 64 -r $reps $hy --gpu-mem 12G
  bench cache12G-default default -p 512 -n 64 -r $reps $hy --gpu-mem 12G
  bench hybrid-nostream 0 -p 512 -n 64 -r $reps $hy
  bench cpu-only default -p 512 -n 64 -r $reps --device cpu
  peer llama-cpu-only -p 512 -n 64 -r $reps -ngl 0 -nopo 1
fi
# Off, always, and the default (192 until both sides are measured, then their break-even:
# the 128 and 160 runs time the CPU, the stream's own runs time the stream).
want sweep && for stream in 0 1 default; do
  bench sweep-$stream $stream -p 128,160,192,256,384 -n 0 -r $reps $hy
done
echo "total: $(( $(date +%s) - t0 )) s"
