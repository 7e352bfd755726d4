#!/usr/bin/env bash
# Prefill with the routed experts streamed to the GPU (hybrid placement, issue 14): one call
# on the device machine. The stream test on NVIDIA's driver (both sides of the double
# buffer held back), then the Qwen3-30B-A3B-shaped Q4_0 file with its experts in host
# memory (--moe-experts cpu), pp512 / tg64, with streaming off (ASSISTANT_MOE_STREAM=0) and
# at the default threshold, without and with a 12G budget (hot-expert cache), each run's
# peak RSS (bench/tools/peak_rss.py) beside the file's size: streaming adds its pinned
# staging ring (128 MiB at most) to RSS, not two layers' experts (issue 14's target:
# peak RSS <= file + KV cache + 300 MB);
# a prompt-size sweep with streaming off and on (where it starts to pay);
# then pp512 runs with ASSISTANT_MOE_STREAM_PROFILE=1 (per layer: staging GB/s on the
# host in chunks, the host's waits for a free staging chunk, copy GB/s, how long the ops
# waited for the copy) summarized, without a cache and with the 12G one (whose layers stage
# only the uncached experts their batch picks: fewer MB a layer), and `assistant-cli
# info`'s plan ("prefill streams experts: ...").
#
# A device call runs 10 minutes at most: PARTS picks some of tests, bench, sweep, profile, info
# (the build and the model file stay on a warm machine between calls).
#
#   bench/gpu/run_device_moe_stream.sh CARRY OUT [THREADS (16)] [REPS (2)] [PARTS (all)]
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/moe-stream-out}
threads=${3:-16}
reps=${4:-2}
parts=${5:-tests,bench,sweep,profile,info}
want() { [[ ",$parts," == *",$1,"* ]]; }
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
t0=$(date +%s)
configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench assistant-cli gpu_moe_stream_test gpu_moe_test kernels_opencl_test \
  > "$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
want tests && for t in gpu_moe_stream_test gpu_moe_test kernels_opencl_test; do
  filter=; [ $t = kernels_opencl_test ] && filter=--gtest_filter='DeviceExpertStream*'
  timeout 150 build-dev/bin/$t $filter > "$out/$t.log" 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/$t.log" | tr '\n' ' ')"
  grep -E "^\[  FAILED  \]" "$out/$t.log" | head -5
  grep -m3 -A12 "Failure$" "$out/$t.log" | cut -c1-300 | head -45
done
wait
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out"/gen-qwen3moe-30b-a3b*.log; exit 1; }
echo "model ready: $(( $(date +%s) - t0 )) s, $(( $(stat -c %s $m) >> 20 )) MiB"
b="build-dev/bin/assistant-bench -m $m -p 512 -n 64 -t $threads -r $reps --device $dev --gpu-layers 99 --moe-experts cpu"
i=0
want bench && for budget in "" "--gpu-mem 12G"; do
  for stream in 0 default; do
    i=$((i + 1))
    echo "== ASSISTANT_MOE_STREAM=$stream $budget"
    rss="python3 bench/tools/peak_rss.py --label stream=$stream${budget:+,gpu-mem=12G} --"
    if [ $stream = default ]; then env -u ASSISTANT_MOE_STREAM timeout 150 $rss $b $budget > "$out/bench-$i.txt" 2>&1
    else ASSISTANT_MOE_STREAM=$stream timeout 150 $rss $b $budget > "$out/bench-$i.txt" 2>&1; fi
    echo "rc=$?"; grep -E "qwen3moe|error|hit|stream|peak Rss" "$out/bench-$i.txt" | head -7
  done
done
# Where streaming starts to pay (the default threshold, arch/streamed_experts.h): every
# prompt size with it off and with every batch streamed.
want sweep && for stream in 0 1; do
  echo "== sweep ASSISTANT_MOE_STREAM=$stream"
  ASSISTANT_MOE_STREAM=$stream timeout 200 build-dev/bin/assistant-bench -m $m -p 32,64,128,256,512 -n 0 -t $threads \
    -r $reps --device $dev --gpu-layers 99 --moe-experts cpu > "$out/sweep-$stream.txt" 2>&1
  echo "rc=$?"; grep -E "qwen3moe|error" "$out/sweep-$stream.txt" | head -6
done
want profile && for budget in "" "--gpu-mem 12G"; do
  echo "== profile (pp512, one run) $budget"
  ASSISTANT_MOE_STREAM_PROFILE=1 timeout 150 build-dev/bin/assistant-bench -m $m -p 512 -n 0 -t $threads -r 1 \
    --device $dev --gpu-layers 99 --moe-experts cpu $budget > "$out/profile${budget:+-cache}.txt" 2>&1
  grep -E "qwen3moe|error" "$out/profile${budget:+-cache}.txt" | head -4 && grep "^moe-stream:" "$out/profile${budget:+-cache}.txt" | head -4
  grep "^moe-stream:" "$out/profile${budget:+-cache}.txt" | awk '
    { for (i = 1; i <= NF; ++i) { if ($i == "staged") st += $(i + 2); if ($i == "copied") cp += $(i + 2);
        if ($i == "ops" && $(i + 1) == "waited") wt += $(i + 2);
        if ($i == "host" && $(i + 1) == "waited") cw += $(i + 2); if ($i == "MB" && $(i + 1) == "staged") mb += $(i - 1) } n++ }
    END { if (n) printf "%d layer copies: %.0f MB, staging %.1f ms (%.1f GB/s), host waited %.1f ms for chunks, copies %.1f ms (%.1f GB/s), ops waited %.1f ms\n",
            n, mb, st, mb / st, cw, cp, mb / cp, wt }'
done
want info && for p in "--moe-experts cpu" "--moe-experts cpu --gpu-mem 12G"; do
  echo "== info $p"
  timeout 60 build-dev/bin/assistant-cli info $m --device $dev -t $threads $p 2>&1 | grep -E "placement for|streams|stream|note" | head -6
done
echo "total: $(( $(date +%s) - t0 )) s"
