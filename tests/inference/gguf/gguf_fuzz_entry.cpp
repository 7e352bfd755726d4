// Fuzz entry for the GGUF reader: parse, then walk everything the File exposes.
#include "gguf_fuzz_entry.h"

#include <cstdio>
#include <cstdlib>
#include <span>

#include "gguf/gguf_file.h"

namespace {

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "gguf fuzz: reader broke a promise: %s\n", what);
    std::abort();
}

// Folds every byte it can reach into a checksum, so nothing is optimized away.
uint64_t walk(const gguf::Value& v) {
    uint64_t sum = static_cast<uint64_t>(v.type);
    sum += v.asUInt().value_or(0) + static_cast<uint64_t>(v.asInt().value_or(0));
    sum += v.asFloat().value_or(0) != 0 ? 1 : 0;
    sum += v.asBool().value_or(false) ? 1 : 0;
    if (auto s = v.asString())
        for (char c : *s) sum += static_cast<unsigned char>(c);
    if (const gguf::Array* a = v.asArray()) {
        for (const gguf::Value& item : a->items) {
            if (item.type != a->elementType) broken("array item type differs from the element type");
            sum += walk(item);
        }
    }
    return sum;
}

}  // namespace

bool ggufFuzzParse(const uint8_t* data, size_t size) {
    auto file = gguf::File::fromMemory(std::span<const uint8_t>(data, size));
    if (!file) {
        using assistant::ErrorCode;
        const ErrorCode code = file.error().code;
        if (code != ErrorCode::InvalidFormat && code != ErrorCode::UnsupportedTensorType)
            broken("unexpected error code");
        if (file.error().message.empty()) broken("empty error message");
        return false;
    }
    const gguf::File& f = **file;
    volatile uint64_t sink = f.version() + f.alignment() + f.dataOffset();
    for (const auto& [key, value] : f.metadata()) {
        if (f.find(key) != &value) broken("find() does not return the entry");
        sink = sink + walk(value) + key.size();
    }
    sink = sink + f.getUInt("general.alignment").value_or(0) + f.archKey("context_length").size();
    for (const gguf::TensorInfo& t : f.tensors()) {
        if (f.tensor(t.name) != &t) broken("tensor() does not return the tensor");
        if (t.data < data || t.bytes > size || t.data + t.bytes > data + size) broken("tensor data outside the image");
        if (t.shape.empty() || t.shape.size() > 4) broken("bad shape rank");
        sink = sink + static_cast<uint64_t>(t.elements() + t.rows()) + kernels::typeName(t.type).size();
        sink = sink + t.data[0] + t.data[t.bytes - 1];
    }
    (void)sink;
    return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ggufFuzzParse(data, size);
    return 0;
}
