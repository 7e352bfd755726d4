// Shared by the libFuzzer target (gguf_fuzz) and the gtest-free corpus runner.
#pragma once

#include <cstddef>
#include <cstdint>

// Parses bytes with gguf::File::fromMemory and touches every value and every
// tensor's first and last data byte. Returns true when the file was accepted.
// Aborts if the reader broke one of its own promises (data outside the image,
// an empty error message, an error code a parse may not give).
bool ggufFuzzParse(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
