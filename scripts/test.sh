#!/usr/bin/env bash
# README command 2: install what is missing, build, and run the whole test suite:
#   1. the Qt-free libraries under AddressSanitizer + UndefinedBehaviorSanitizer;
#   2. the full Release build, every label (unit, model, gpu, ui).
# Exits non-zero if anything fails. The last lines are ctest's summary of step 2.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
jobs="$(nproc)"
shared="${ASSISTANT_SHARED_DIR:-$(cd .. && pwd)/shared}"
status=0

echo "== ASan+UBSan build of the Qt-free libraries"
if cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASSISTANT_SANITIZE=ON \
     -DASSISTANT_WITH_QT=OFF -DASSISTANT_SHARED_DIR="$shared" >/dev/null &&
   cmake --build build-asan -j"$jobs"; then
  # use_sigaltstack=0: PoCL's LLVM (loaded when a model looks for OpenCL devices) gives
  # threads its own malloc'ed signal stack, which ASan then fails to unmap at thread exit.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:use_sigaltstack=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -L "unit|model" -j"$jobs" --output-on-failure --timeout 600 || status=1
else
  echo "ASan build failed"; status=1
fi

echo "== Release build, whole suite"
if cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DASSISTANT_SHARED_DIR="$shared" >/dev/null &&
   cmake --build build -j"$jobs"; then
  ctest --test-dir build -j"$jobs" --output-on-failure --timeout 900 || status=1
else
  echo "Release build failed"; status=1
fi
exit $status
