#!/usr/bin/env bash
# The office tests (label office): the LibreOffice Writer extension driven inside a real
# headless LibreOffice against `assistant-cli serve`. Installs LibreOffice first (about
# 150 MB), which is why the default suite (scripts/test.sh, CI) leaves them out when it
# is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --office
shared="${ASSISTANT_SHARED_DIR:-$(cd .. && pwd)/shared}"
ASSISTANT_OFFICE_TESTS=1 cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DASSISTANT_SHARED_DIR="$shared" >/dev/null
cmake --build build -j"$(nproc)" --target assistant-cli libreoffice_extension
ctest --test-dir build -L office --output-on-failure
