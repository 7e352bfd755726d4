#!/usr/bin/env bash
# Builds the peer (llama.cpp, github:mistrjirka/llama.cpp = upstream 3f3a4fb9, build 7130)
# with CUDA for sm_90 on the device machine, llama-bench only, from a source tree carried
# beside ours (an ignored folder: the sources without .git or build outputs, ~30 MiB). The
# build folder stays on a warm machine between calls, so a build cut short by a call's time
# limit goes on in the next call.
#
#   bench/gpu/build_device_llamacpp.sh SRC BUILD LOG [SECONDS (540)]
set -uo pipefail
src=$1 dir=$2 log=$3 limit=${4:-540}
export PATH=/usr/local/cuda/bin:$PATH
t0=$(date +%s)
if [ ! -e "$dir/build.ninja" ]; then
  cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DLLAMA_CURL=OFF -DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
    > "$log" 2>&1 || { tail -20 "$log"; exit 1; }
fi
timeout "$limit" cmake --build "$dir" --target llama-bench -j"$(nproc)" >> "$log" 2>&1
rc=$?
echo "llama.cpp build rc=$rc in $(( $(date +%s) - t0 )) s"
[ $rc = 0 ] || grep -E "error" -A3 "$log" | head -20
exit $rc
