// general.architecture -> the file that runs it.
#include <string_view>

#include "arch/arch.h"
#include "gguf/gguf_file.h"
#include "common/log.h"

namespace arch {

assistant::Result<std::unique_ptr<Architecture>> makeLlama(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makeBert(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makeUseLite(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makeNomicBert(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makeQwen2(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makeQwen3(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makeQwen3Moe(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makePhi3(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makeGemma2(const gguf::File& f, Hparams h);
assistant::Result<std::unique_ptr<Architecture>> makeGemma3(const gguf::File& f, Hparams h);

namespace {

struct Entry {
    std::string_view name;
    bool neoxRope;  // RoPE ordering is implied by the architecture, not stored in GGUF
    assistant::Result<std::unique_ptr<Architecture>> (*make)(const gguf::File&, Hparams);
};

constexpr Entry kArchitectures[] = {
    {"llama", false, makeLlama},
    {"bert", false, makeBert},
    {"use-lite", false, makeUseLite},
    {"nomic-bert", true, makeNomicBert},
    {"qwen2", true, makeQwen2},
    {"qwen3", true, makeQwen3},
    {"qwen3moe", true, makeQwen3Moe},
    {"phi3", true, makePhi3},
    {"gemma2", true, makeGemma2},
    {"gemma3", true, makeGemma3},
};

}  // namespace

std::string supportedArchitectures() {
    std::string out;
    for (const Entry& e : kArchitectures) out += (out.empty() ? "" : ", ") + std::string(e.name);
    return out;
}

assistant::Result<std::unique_ptr<Architecture>> makeArchitecture(const gguf::File& f) {
    const std::string_view name = f.getString("general.architecture").value_or("");
    for (const Entry& e : kArchitectures) {
        if (e.name != name) continue;
        auto h = readHparams(f);
        if (!h) return std::unexpected(h.error());
        h->rope.neox = e.neoxRope;
        return e.make(f, std::move(*h));
    }
    return std::unexpected(assistant::detail::makeError(
        assistant::ErrorCode::UnsupportedArchitecture, "architecture '", name,
        "' is not supported (supported: ", supportedArchitectures(), ")"));
}

}  // namespace arch
