#!/usr/bin/env bash
# Decode speed on the device machine, this tree against another (a copy of main, say) built
# side by side in the same call: TinyLlama-1.1B and Llama-3-8B shapes (Q4_0, Q8_0) all on
# the GPU, `assistant-gpu-bench --profile` (tokens/s, then device time per kernel) for
# each tree in turn, decode at depth with an F16 and a Q8_0 KV cache, the OpenCL
# extensions of the device (cl_khr_command_buffer?) and whether NVIDIA's compiler takes
# the inline PTX (dp4a, shfl.sync) the kernels use.
#
#   bench/gpu/run_device_speed.sh CARRY OUT [BEFORE_TREE] [tests]
#
# CARRY as for run_device_types.sh; BEFORE_TREE: a source tree to build and measure too;
# `tests`: run kernels_opencl_test and gpu_offload_test of this tree on the device first.
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/speed-out}
before=${3:-}
tests=${4:-}
source "$(dirname "$0")/device_env.sh"
# The 8B files repeat a 64 MiB random tile (make_synth_gguf.py --tile-mb): minutes less to
# write, the same speed (every tensor keeps its own bytes in the file and on the device).
gen8b() {
  local m=/tmp/models/llama3-8b-$1.gguf
  python3 "$carry/make_synth_gguf.py" --preset llama3-8b --type $1 --tile-mb 64 --vocab "$carry/ggml-vocab-llama-spm.gguf" \
    --out $m.tmp > "$out/gen-llama3-8b-$1.log" 2>&1 && mv $m.tmp $m
}
(gen tinyllama-1.1b q4_0) & (gen8b q4_0) & (gen8b q8_0) &
t0=$(date +%s)
targets="assistant-gpu-bench assistant-bench"
[ -n "$tests" ] && targets="$targets kernels_opencl_test gpu_offload_test"
build() {  # DIR LOG
  (cd "$1" && configure_dev build-dev && cmake --build build-dev -j16 --target $targets > "$out/$2" 2>&1) ||
    { grep -E "error|FAILED" -A5 "$out/$2" | head -40; return 1; }
}
build . build.log & a=$!
if [ -n "$before" ]; then build "$before" build-before.log & bpid=$!; wait $bpid || exit 1; fi
wait $a || exit 1
echo "builds: $(( $(date +%s) - t0 )) s"

# Device extensions, and a kernel with the inline PTX of the backend's NVIDIA path.
cat > /tmp/clext.c <<'C'
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <stdio.h>
#include <string.h>
static const char* src =
  "kernel void k(global int* o) { int r; int v = o[get_local_id(0)];\n"
  "  asm volatile(\"shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;\" : \"=r\"(r) : \"r\"(v), \"r\"(1));\n"
  "  asm volatile(\"dp4a.s32.s32 %0, %1, %2, %3;\" : \"=r\"(r) : \"r\"(r), \"r\"(v), \"r\"(r));\n"
  "  o[get_local_id(0)] = r; }\n";
int main(void) {
  cl_platform_id p; cl_device_id d; char ext[16384]; cl_int e;
  clGetPlatformIDs(1, &p, NULL); clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, &d, NULL);
  clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, sizeof ext, ext, NULL);
  printf("extensions: %s\n", ext);
  printf("command buffers: %s\n", strstr(ext, "cl_khr_command_buffer") ? "yes" : "no");
  cl_context c = clCreateContext(NULL, 1, &d, NULL, NULL, &e);
  cl_program pr = clCreateProgramWithSource(c, 1, &src, NULL, &e);
  e = clBuildProgram(pr, 1, &d, "-cl-std=CL1.2", NULL, NULL);
  printf("inline PTX shfl.sync + dp4a: %s\n", e == CL_SUCCESS ? "builds" : "REFUSED");
  if (e != CL_SUCCESS) { char log[4000] = {0}; clGetProgramBuildInfo(pr, d, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, NULL); printf("%s\n", log); }
  return 0;
}
C
gcc -O1 -I/tmp/ocl/usr/include /tmp/clext.c -L/tmp/ocl/usr/lib/x86_64-linux-gnu -lOpenCL -o /tmp/clext &&
  /tmp/clext > "$out/extensions.txt" 2>&1; grep -E "command buffers|inline PTX|REFUSED" -A3 "$out/extensions.txt"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
dev=opencl:0.0
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
if [ -n "$tests" ]; then
  for t in kernels_opencl_test gpu_offload_test; do
    build-dev/bin/$t > "$out/$t.log" 2>&1; echo "$t rc=$?"; grep -E "FAILED|PASSED" "$out/$t.log" | head -8
  done
fi
wait  # the models
ls -la /tmp/models | grep gguf; cat "$out"/gen-*.log | grep wrote
trees="after=."
[ -n "$before" ] && trees="before=$before after=."
for m in tinyllama-1.1b-q4_0 llama3-8b-q4_0 llama3-8b-q8_0; do
  [ -s /tmp/models/$m.gguf ] || continue
  for tr in $trees; do
    name=${tr%%=*}; dir=${tr#*=}
    echo "== $m $name"
    "$dir/build-dev/bin/assistant-gpu-bench" -m /tmp/models/$m.gguf --device $dev -p 512 -n 128 -r 3 --profile \
      --peak-gbs 4800 > "$out/$m-$name.txt" 2>&1
    grep -E "^pp|^tg|error" "$out/$m-$name.txt"
  done
done
m=/tmp/models/tinyllama-1.1b-q4_0.gguf
for tr in ${DEPTH_TREES:-$trees}; do
  name=${tr%%=*}; dir=${tr#*=}
  for kv in f16 q8_0; do
    echo "== depth $name --kv-type $kv"
    "$dir/build-dev/bin/assistant-bench" -m $m -p 0 -n 64 -d 0,4096 -r 2 --device $dev --gpu-layers 99 --kv-type $kv \
      2>&1 | tee "$out/depth-$name-$kv.txt" | grep -E "tg64|error"
  done
done
# Decode with a clFlush every N launches (0: none; this tree's default on a GPU is 8).
for f in ${FLUSH_TRY:-}; do
  for m in tinyllama-1.1b-q4_0 llama3-8b-q4_0; do
    echo "== after, $m, ASSISTANT_OPENCL_FLUSH=$f"
    ASSISTANT_OPENCL_FLUSH=$f build-dev/bin/assistant-gpu-bench -m /tmp/models/$m.gguf --device $dev -p 0 -n 128 -r 3 2>&1 |
      grep -E "^tg|error"
  done
done
# The device returns at most 8 files: the logs go back as one archive.
tar -czf /tmp/speed-logs.tgz -C "$out" . && rm -f "$out"/*.txt "$out"/*.log && mv /tmp/speed-logs.tgz "$out/"
