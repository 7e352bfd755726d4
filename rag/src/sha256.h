// SHA-256 (FIPS 180-4) of a byte stream, for detecting changed file content.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace rag {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t bytes);
    std::array<uint8_t, 32> finish();
    // Lower-case hex of finish().
    std::string hex();

private:
    void block(const uint8_t* p);
    std::array<uint32_t, 8> m_h;
    std::array<uint8_t, 64> m_buffer{};
    size_t m_used = 0;
    uint64_t m_bytes = 0;
};

std::string sha256Hex(std::string_view data);
// Reads the whole file in 1 MiB pieces; an error message if unreadable.
std::expected<std::string, std::string> sha256File(const std::string& path);

}  // namespace rag
