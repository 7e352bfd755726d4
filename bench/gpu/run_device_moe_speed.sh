#!/usr/bin/env bash
# All-GPU mixture-of-experts decode on the device machine (issue 14): the experts tests
# on NVIDIA's OpenCL (DeviceExperts, DeviceExpertSlots, gpu_moe_test), the host-to-device
# upload rate (a tiny probe: pageable and pinned clEnqueueWriteBuffer of 256 MiB, for the
# hybrid prefill's streaming), then the Qwen3-30B-A3B-shaped Q4_0 file all on the GPU:
# assistant-gpu-bench --profile with the separate expert launches (ASSISTANT_MOE_FUSED=0,
# main's kernels) and the fused ones (this tree's default), and assistant-bench -t 16.
#
#   bench/gpu/run_device_moe_speed.sh CARRY OUT [TESTS (1)] [REPS (2)]
set -uo pipefail
carry=$(realpath "${1:-.devcarry}")
out=${2:-/tmp/moe-speed-out}
tests=${3:-1}
reps=${4:-2}
source "$(dirname "$0")/device_env.sh"
gen qwen3moe-30b-a3b q4_0 &
t0=$(date +%s)
targets="assistant-bench assistant-gpu-bench"
[ "$tests" = 1 ] && targets="$targets gpu_moe_test kernels_opencl_test"
configure_dev build-dev
cmake --build build-dev -j16 --target $targets > "$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
dev=${DEV:-opencl:0.0}
export ASSISTANT_TEST_OPENCL_DEVICE=$dev
if [ "$tests" = 1 ]; then
  timeout 90 build-dev/bin/kernels_opencl_test --gtest_filter='*DeviceExpert*' > "$out/kernels_opencl_test.log" 2>&1
  echo "kernels_opencl_test (experts) rc=$?"; grep -E "FAILED|PASSED" "$out/kernels_opencl_test.log" | head -10
  timeout 90 build-dev/bin/gpu_moe_test > "$out/gpu_moe_test.log" 2>&1; echo "gpu_moe_test rc=$?"
  grep -E "FAILED|PASSED" "$out/gpu_moe_test.log" | head -10
fi
cat > /tmp/pcie.c <<'C'
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(void) {
  cl_platform_id p; cl_device_id d; cl_int e; const size_t n = 256u << 20;
  clGetPlatformIDs(1, &p, NULL); clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, &d, NULL);
  cl_context c = clCreateContext(NULL, 1, &d, NULL, NULL, &e);
  cl_command_queue q = clCreateCommandQueueWithProperties(c, d, NULL, &e);
  cl_mem dst = clCreateBuffer(c, CL_MEM_READ_WRITE, n, NULL, &e);
  char* host = malloc(n); for (size_t i = 0; i < n; i += 4096) host[i] = (char)i;
  cl_mem pin = clCreateBuffer(c, CL_MEM_ALLOC_HOST_PTR, n, NULL, &e);
  char* pinned = clEnqueueMapBuffer(q, pin, CL_TRUE, CL_MAP_WRITE, 0, n, 0, NULL, NULL, &e);
  for (size_t i = 0; i < n; i += 4096) pinned[i] = (char)i;
  for (int k = 0; k < 2; ++k) {
    const char* src = k ? pinned : host;
    clEnqueueWriteBuffer(q, dst, CL_TRUE, 0, n, src, 0, NULL, NULL);  // warm-up
    double t = now();
    for (int r = 0; r < 4; ++r) clEnqueueWriteBuffer(q, dst, CL_FALSE, 0, n, src, 0, NULL, NULL);
    clFinish(q);
    printf("upload %s: %.1f GB/s\n", k ? "pinned" : "pageable", 4.0 * n / (now() - t) / 1e9);
  }
  return 0;
}
C
gcc -O1 -I/tmp/ocl/usr/include /tmp/pcie.c -L/tmp/ocl/usr/lib/x86_64-linux-gnu -lOpenCL -o /tmp/pcie && timeout 30 /tmp/pcie
wait
m=/tmp/models/qwen3moe-30b-a3b-q4_0.gguf
[ -s $m ] || { tail -5 "$out/gen-qwen3moe-30b-a3b-q4_0.log"; exit 1; }
echo "gen + build + tests: $(( $(date +%s) - t0 )) s"
for f in ${FUSED_TRY:-0 1}; do
  echo "== assistant-gpu-bench ASSISTANT_MOE_FUSED=$f"
  ASSISTANT_MOE_FUSED=$f timeout 120 build-dev/bin/assistant-gpu-bench -m $m --device $dev -p 512 -n 64 -r "$reps" \
    --profile --peak-gbs 4800 > "$out/gpubench-fused$f.txt" 2>&1
  grep -E "^pp|^tg|error" "$out/gpubench-fused$f.txt"
  grep -A16 -E "^(decode|prefill):" "$out/gpubench-fused$f.txt"
done
echo "== assistant-bench --moe-experts gpu (fused)"
timeout 120 build-dev/bin/assistant-bench -m $m -p 512 -n 64 -t 16 -r "$reps" --device $dev --gpu-layers 99 \
  --moe-experts gpu 2>&1 | tee "$out/bench-gpu.txt" | grep -E "qwen3moe|error"
echo "total: $(( $(date +%s) - t0 )) s"
