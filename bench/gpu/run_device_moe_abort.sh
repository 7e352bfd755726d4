#!/usr/bin/env bash
# One hybrid run under cuda-gdb on the device machine (it has no gdb; cuda-gdb debugs host
# code too): the backtrace of an abort, e.g. glibc's "buffer overflow detected" (Ubuntu's
# g++ builds with _FORTIFY_SOURCE, Debian's does not), with the same arguments as the
# benchmark that hit it. Builds build-dev with -g (debug info, same code) when it configures it.
#
#   bench/gpu/run_device_moe_abort.sh CARRY OUT [BENCH ARGS AFTER THE MODEL...]
#   e.g. ASSISTANT_MOE_STREAM=0 bench/gpu/run_device_moe_abort.sh .devcarry $OUT -p 512 -n 0 -t 16 -r 1 \
#          --device opencl:0.0 --gpu-layers 99 --moe-experts cpu --gpu-mem 12G
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/abort-out}
shift 2
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
[ -d build-dev ] || CXXFLAGS=-g configure_dev build-dev
cmake --build build-dev -j"$(nproc)" --target assistant-bench > "$out/build-abort.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build-abort.log" | head -40; exit 1; }
wait
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
gdb=$(command -v cuda-gdb || echo /usr/local/cuda/bin/cuda-gdb)
timeout 180 "$gdb" -batch -ex run -ex bt -ex "info registers rip" --args build-dev/bin/assistant-bench -m $m "$@" \
  > "$out/abort-gdb.txt" 2>&1
echo "cuda-gdb rc=$?"
grep -E -A40 "overflow|SIGABRT|SIGSEGV|^#0" "$out/abort-gdb.txt" | grep -v "^\[New Thread\|^\[Thread" | head -60
