#include "rag/summarize.h"

#include <algorithm>
#include <filesystem>

namespace rag {
namespace {

struct Section {
    int64_t charStart = 0, charEnd = 0;
    std::string text;
};

// The document text rebuilt from its chunks without the overlaps, cut into sections of
// at most `maxChars` bytes at chunk boundaries (a single longer chunk piece is its own section).
std::vector<Section> makeSections(const std::vector<ChunkRecord>& chunks, size_t maxChars) {
    std::vector<Section> sections;
    int64_t covered = 0;
    Section current;
    for (const ChunkRecord& c : chunks) {
        const int64_t from = std::max(covered, c.charStart);
        if (from >= c.charEnd) continue;
        std::string piece = c.text.substr(static_cast<size_t>(from - c.charStart));
        covered = c.charEnd;
        if (!current.text.empty() && current.text.size() + piece.size() + 1 > maxChars) {
            sections.push_back(std::move(current));
            current = Section{};
        }
        if (current.text.empty()) current.charStart = from;
        else current.text += from > current.charEnd ? "\n" : "";
        current.text += piece;
        current.charEnd = c.charEnd;
    }
    if (!current.text.empty()) sections.push_back(std::move(current));
    return sections;
}

int countTokens(const assistant::Model& model, std::string_view text) {
    auto ids = model.tokenize(text, false, false);
    return ids ? static_cast<int>(ids->size()) : static_cast<int>(text.size() / 3 + 1);
}

std::string modelKey(const assistant::ModelInfo& info, int contextSize) {
    return info.name + "|" + std::to_string(info.fileSize) + "|" + std::to_string(contextSize);
}

}  // namespace

std::expected<SummaryResult, std::string> summarizeDocument(Store& store, int64_t documentId,
                                                            assistant::Session& session,
                                                            const SummarizeOptions& options) {
    SummaryResult result;
    const assistant::Model& model = *session.model();
    auto chunks = store.documentChunks(documentId);
    if (!chunks) return std::unexpected(chunks.error());
    if (chunks->empty()) return std::unexpected("the document has no indexed text to summarize");
    const std::string file = std::filesystem::path(chunks->front().path).filename().string();

    // Section size: what is left of the context after the instructions and the
    // summary, in bytes, from the tokenizer's bytes-per-token on this document.
    const int context = session.contextSize();
    const int overhead = 96;
    const int sectionTokens = context - options.mapTokens - overhead;
    if (sectionTokens < 64) return std::unexpected("the model's context (" + std::to_string(context) + " tokens) is too small to summarize with");
    std::string sample;
    for (const ChunkRecord& c : *chunks) {
        if (sample.size() > 4000) break;
        sample += c.text;
    }
    const double bytesPerToken = std::max(1.0, static_cast<double>(sample.size()) / std::max(1, countTokens(model, sample)));
    const size_t sectionChars = static_cast<size_t>(sectionTokens * bytesPerToken * 0.9);
    const std::vector<Section> sections = makeSections(*chunks, std::max<size_t>(sectionChars, 200));
    const std::string key = modelKey(model.info(), context);

    assistant::GenerateParams params;
    params.sampling = options.sampling;
    params.cancel = options.cancel;
    auto cancelled = [&] { return options.cancel && options.cancel->load(); };
    auto generate = [&](const std::string& prompt, int maxTokens, bool stream) -> std::expected<std::string, std::string> {
        session.reset();
        params.maxTokens = maxTokens;
        std::vector<assistant::Message> messages = {
            {"system", "You write faithful, compact summaries. Keep names, numbers and key claims."},
            {"user", prompt}};
        auto r = session.generate(messages, params, [&](std::string_view piece, const assistant::GenerateStats&) {
            return stream && options.onFinalPiece ? options.onFinalPiece(piece) : true;
        });
        if (!r) return std::unexpected(r.error().message);
        return r->text;
    };

    std::vector<std::string> summaries;
    result.sections = static_cast<int>(sections.size());
    for (size_t i = 0; i < sections.size(); ++i) {
        if (cancelled()) {
            result.cancelled = true;
            return result;
        }
        const Section& s = sections[i];
        auto cached = store.summary(documentId, key, static_cast<int>(i), s.charStart, s.charEnd);
        if (!cached) return std::unexpected(cached.error());
        if (*cached) {
            summaries.push_back(**cached);
            ++result.cachedSections;
        } else {
            auto text = generate("Summarize part " + std::to_string(i + 1) + " of " + std::to_string(sections.size()) +
                                     " of the document \"" + file + "\":\n\n" + s.text,
                                 options.mapTokens, false);
            if (!text) return std::unexpected("summarize section " + std::to_string(i + 1) + ": " + text.error());
            if (cancelled()) {  // a cut-off summary must not be cached
                result.cancelled = true;
                return result;
            }
            if (auto put = store.putSummary(documentId, key, static_cast<int>(i), s.charStart, s.charEnd, *text); !put)
                return std::unexpected(put.error());
            summaries.push_back(std::move(*text));
        }
        if (options.onProgress) options.onProgress("map", static_cast<int>(i + 1), static_cast<int>(sections.size()));
    }

    // Reduce: group summaries that fit one context; repeat until one group is left.
    const size_t groupChars = static_cast<size_t>((context - options.reduceTokens - overhead) * bytesPerToken * 0.9);
    int level = 0;
    while (true) {
        std::vector<std::vector<std::string>> groups(1);
        size_t used = 0;
        for (std::string& s : summaries) {
            if (!groups.back().empty() && used + s.size() > groupChars) {
                groups.emplace_back();
                used = 0;
            }
            used += s.size() + 16;
            groups.back().push_back(std::move(s));
        }
        const bool final = groups.size() == 1;
        std::vector<std::string> next;
        for (size_t g = 0; g < groups.size(); ++g) {
            if (cancelled()) {
                result.cancelled = true;
                return result;
            }
            std::string prompt = final ? "Write a summary of the whole document \"" + file + "\" from these summaries of its parts, in order:\n\n"
                                       : "Combine these consecutive part summaries of the document \"" + file + "\" into one summary:\n\n";
            for (size_t k = 0; k < groups[g].size(); ++k)
                prompt += "Part " + std::to_string(k + 1) + ": " + groups[g][k] + "\n\n";
            auto text = generate(prompt, final ? options.reduceTokens : options.mapTokens, final);
            if (!text) return std::unexpected("reduce: " + text.error());
            ++result.reduceSteps;
            if (options.onProgress) options.onProgress("reduce", static_cast<int>(g + 1), static_cast<int>(groups.size()));
            next.push_back(std::move(*text));
        }
        summaries = std::move(next);
        if (final || ++level > 8) break;
    }
    result.cancelled = cancelled();
    result.text = summaries.empty() ? std::string() : summaries.front();
    return result;
}

}  // namespace rag
