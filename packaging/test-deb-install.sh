#!/usr/bin/env bash
# The .deb on a clean Debian 12 root: builds the package (cpack), makes a fresh
# bookworm root with mmdebstrap (apt variant: nothing but apt and its essentials),
# installs the package there with apt (so a dependency missing from its Depends
# shows up as a missing library or QML module), starts the installed app under
# Xvfb inside that root, waits for its first frame and writes a screenshot.
#
#   sudo packaging/test-deb-install.sh [BUILD_DIR (build)] [OUT_DIR (deb-install-test)]
#
# Needs root (chroot, mounts) and the Debian mirror; takes ~5-10 minutes, mostly
# downloads, so it is not part of scripts/test.sh. Exits non-zero on any failure;
# OUT_DIR gets app.log, apt.log and screenshot.png.
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(realpath "${1:-build}")"
out="$(realpath -m "${2:-deb-install-test}")"
suite=bookworm
[ "$(id -u)" = 0 ] || { echo "test-deb-install: needs root (chroot and mounts)" >&2; exit 2; }
shared="$(realpath "${ASSISTANT_SHARED_DIR:-../shared}")"
scan="$shared/datasets/pdfs/ocrmypdf-scanned-two-column-linn.pdf"  # no text layer: OCR only
[ -f "$scan" ] || { echo "test-deb-install: $scan missing (set ASSISTANT_SHARED_DIR)" >&2; exit 2; }
# The host's tools: the root's maker and ImageMagick for the screenshot.
command -v mmdebstrap >/dev/null || apt-get install -y --no-install-recommends mmdebstrap
[ -x /usr/bin/convert ] || apt-get install -y --no-install-recommends imagemagick
mkdir -p "$out"

echo "== package"
(cd "$build" && cpack -G DEB >/dev/null)
deb="$(ls -t "$build"/assistant_*.deb | head -1)"
echo "$deb ($(du -h "$deb" | cut -f1))"

root="$(mktemp -d /tmp/assistant-deb-root.XXXXXX)"
cleanup() {
    for m in dev/pts dev sys proc; do mountpoint -q "$root/$m" && umount -l "$root/$m"; done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT

echo "== clean $suite root in $root"
# xvfb, xauth and x11-apps (xwd) are the test's own tools, not the app's dependencies.
mmdebstrap --variant=apt --include=xvfb,xauth,x11-apps "$suite" "$root" >"$out/mmdebstrap.log" 2>&1
for m in proc sys dev dev/pts; do mount --bind "/$m" "$root/$m"; done

echo "== apt install $(basename "$deb")"
cp "$deb" "$root/tmp/assistant.deb"
# mmdebstrap leaves no package lists behind: read them again.
chroot "$root" apt-get update >"$out/apt.log" 2>&1
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/assistant.deb >>"$out/apt.log" 2>&1 ||
    { tail -20 "$out/apt.log"; echo "FAIL: apt could not install the package"; exit 1; }
chroot "$root" dpkg -s assistant | grep -E '^(Version|Depends):'
for bin in /usr/bin/assistant /usr/bin/assistant-cli; do
    [ -x "$root$bin" ] || { echo "FAIL: $bin not installed"; exit 1; }
done
chroot "$root" assistant-cli --version

echo "== OCR of a scanned PDF with the installed CLI (Tesseract and its English data)"
cp "$scan" "$root/tmp/scan.pdf"
chroot "$root" assistant-cli index /tmp/scan.pdf --db /tmp/docs.db --no-embed | tee "$out/index.log"
chroot "$root" assistant-cli search "LinnSequencer MIDI sequence recorder" --db /tmp/docs.db --mode bm25 | tee "$out/search.log"
grep -q "scan.pdf" "$out/search.log" || { echo "FAIL: the scanned PDF was not found by its OCR text"; exit 1; }

echo "== start the installed app under Xvfb"
# A fresh user's home: no settings, no models; the app starts on its embedded model.
cat >"$root/tmp/start-app.sh" <<'SCRIPT'
: >/tmp/app.log
ASSISTANT_REPORT_EXPOSED=1 assistant >>/tmp/app.log 2>&1 &
pid=$!
for i in $(seq 90); do
    grep -q window-exposed /tmp/app.log && break
    kill -0 $pid 2>/dev/null || break
    sleep 1
done
sleep 3  # the first frame is up; let the model finish loading into view
xwd -root -silent >/tmp/screen.xwd
kill -0 $pid 2>/dev/null && echo app-running >>/tmp/app.log
kill $pid 2>/dev/null
wait $pid 2>/dev/null
true
SCRIPT
chroot "$root" useradd -m tester
chroot "$root" su tester -c "cd ~ && xvfb-run -a -s '-screen 0 1280x800x24' /bin/sh /tmp/start-app.sh"
cp "$root/tmp/app.log" "$out/app.log"
cat "$out/app.log"
grep -q window-exposed "$out/app.log" || { echo "FAIL: the installed app showed no window"; exit 1; }
grep -q app-running "$out/app.log" || { echo "FAIL: the installed app exited by itself"; exit 1; }
if grep -qE "module .* is not installed|Cannot load library|Could not load the Qt platform" "$out/app.log"; then
    echo "FAIL: the app reported a missing run-time dependency"; exit 1
fi
/usr/bin/convert "xwd:$root/tmp/screen.xwd" "$out/screenshot.png"
echo "PASS: installed on a clean $suite root and started; screenshot: $out/screenshot.png"
