#!/usr/bin/env bash
# README command 1: install dependencies, build in Release, start the app on the
# embedded demo model. Extra arguments go to the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
exec build/bin/assistant "$@"
