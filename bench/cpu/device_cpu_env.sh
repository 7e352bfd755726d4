# Sourced by the CPU device scripts (run_device_cpu.sh, run_device_amx.sh) with $carry
# and $out set: Debian's gtest unpacked into /tmp/gtest, and gen TYPE writing the
# synthetic TinyLlama-1.1B-shape file /tmp/models/tinyllama-TYPE.gguf (once).
mkdir -p "$out" /tmp/models /tmp/gtest
for f in "$carry"/deb/*.deb; do dpkg -x "$f" /tmp/gtest; done

gen() {
  [ -s /tmp/models/tinyllama-$1.gguf ] && return
  python3 "$carry/make_synth_gguf.py" --preset tinyllama-1.1b --type "$1" --vocab "$carry/ggml-vocab-llama-spm.gguf" \
    --out /tmp/models/tinyllama-$1.gguf.tmp > "$out/gen-$1.log" 2>&1 && mv /tmp/models/tinyllama-$1.gguf.tmp /tmp/models/tinyllama-$1.gguf
}
