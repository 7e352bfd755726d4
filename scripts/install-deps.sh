#!/usr/bin/env bash
# Installs every Debian 12 package the build, the app and the tests need.
# Idempotent and quick when everything is present; uses sudo when not root.
#   --office  also LibreOffice Writer (headless) with Python UNO, for the office tests
#             (scripts/test-office.sh); not part of the default suite: too slow for CI.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config python3 python3-numpy
  # Qt 6.4 and the QML modules the UI imports
  qt6-base-dev qt6-declarative-dev qml6-module-qtqml qml6-module-qtquick
  qml6-module-qtquick-controls qml6-module-qtquick-templates qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtquick-dialogs qml6-module-qtqml-workerscript
  qml6-module-qtquick-pdf qml6-module-qttest qt6-qpa-plugins libgl1-mesa-dri
  # conversations and settings (QtSql SQLite driver)
  libqt6sql6-sqlite
  # the icon is rendered from SVG at build time
  qt6-svg-dev
  # documents and storage
  libsqlite3-dev libstemmer-dev libpoppler-cpp-dev libicu-dev libzip-dev libxml2-dev
  libtesseract-dev tesseract-ocr-eng
  # GPU backends; PoCL runs OpenCL kernels on the CPU for tests
  libze-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd
  # kernels and tests
  libomp-dev libgtest-dev xvfb xauth
  # the chat-template tests render with Jinja2 as the oracle (/usr/bin/python3)
  python3-jinja2
  # local OpenAI-compatible API server (app/server); its tests also use curl and Node 20 + npm
  libcpp-httplib-dev curl
)
if [ "${1:-}" = "--office" ]; then
  PACKAGES+=(libreoffice-writer-nogui python3-uno libreoffice-script-provider-python)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
