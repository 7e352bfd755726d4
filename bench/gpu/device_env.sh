# Sourced by the device scripts (bench/gpu/run_device*.sh) with $carry and $out set:
# the Debian OpenCL loader and headers unpacked from $carry/deb into /tmp/ocl, NVIDIA's
# ICD named there, a program cache, gen PRESET TYPE writing a synthetic model into
# /tmp/models, and configure_dev DIR configuring an OpenCL build without Qt/RAG.
root=/tmp/ocl
mkdir -p "$out" $root/vendors /tmp/models
for f in "$carry"/deb/*.deb; do dpkg -x "$f" $root; done
if [ -e /usr/local/nvidia/lib64/libnvidia-opencl.so.1 ]; then
  echo /usr/local/nvidia/lib64/libnvidia-opencl.so.1 > $root/vendors/nvidia.icd
  export OCL_ICD_VENDORS=$root/vendors
fi
export LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export ASSISTANT_OPENCL_CACHE=/tmp/clcache

gen() {
  local m=/tmp/models/$1-$2.gguf
  [ -s $m ] && return
  python3 "$carry/make_synth_gguf.py" --preset "$1" --type "$2" --vocab "$carry/ggml-vocab-llama-spm.gguf" \
    --out $m.tmp > "$out/gen-$1-$2.log" 2>&1 && mv $m.tmp $m
}

configure_dev() {
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DASSISTANT_WITH_QT=OFF -DASSISTANT_WITH_RAG=OFF \
    -DOpenCL_INCLUDE_DIR=$root/usr/include -DOpenCL_LIBRARY=$root/usr/lib/x86_64-linux-gnu/libOpenCL.so \
    -DGTest_DIR=$root/usr/lib/x86_64-linux-gnu/cmake/GTest -DASSISTANT_SHARED_DIR="$carry/shared" \
    > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
}
