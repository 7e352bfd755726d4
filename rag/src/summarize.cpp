#include "rag/summarize.h"

#include <algorithm>
#include <filesystem>
#include <span>
#include <vector>

namespace rag {
namespace {

constexpr const char* kSystem = "You write faithful, compact summaries. Keep names, numbers and key claims.";
// Tokens kept free in every step: joined text can count a few tokens more than its
// parts counted apart (merges across the seam, a BOS the template also writes).
constexpr int kMarginTokens = 8;
// A context whose map sections would hold less text than this is too small to use.
constexpr int kMinSectionTokens = 64;

// One stretch of the document's text, [start, end) in bytes of the document.
struct Piece {
    int64_t start = 0, end = 0;
    std::string text;
    bool gapBefore = false;  // the chunks left text out before it: joined with "\n"
    int tokens = 0;
};

struct Section {
    int64_t charStart = 0, charEnd = 0;
    std::string text;
};

int countTokens(const assistant::Model& model, std::string_view text, bool addSpecial = false) {
    auto ids = model.tokenize(text, addSpecial, addSpecial);
    return ids ? static_cast<int>(ids->size()) : static_cast<int>(text.size() / 3 + 1);
}

std::vector<assistant::Message> stepMessages(const std::string& user) { return {{"system", kSystem}, {"user", user}}; }

// Tokens of the whole prompt one step sends (the chat template around the system
// message and `user`).
int promptTokens(const SummaryWriter& w, const std::string& user) { return w.countPrompt(stepMessages(user)); }

std::string mapPrompt(size_t part, size_t parts, const std::string& file, const std::string& text) {
    return "Summarize part " + std::to_string(part) + " of " + std::to_string(parts) + " of the document \"" + file +
           "\":\n\n" + text;
}

std::string reducePrompt(bool final, const std::string& file, std::span<const std::string> parts) {
    std::string prompt = final ? "Write a summary of the whole document \"" + file + "\" from these summaries of its parts, in order:\n\n"
                               : "Combine these consecutive part summaries of the document \"" + file + "\" into one summary:\n\n";
    for (size_t k = 0; k < parts.size(); ++k) prompt += "Part " + std::to_string(k + 1) + ": " + parts[k] + "\n\n";
    return prompt;
}

// A byte offset near the middle of `text` to cut it at: after a space or newline when
// one is within a quarter of the length, never inside a UTF-8 sequence.
size_t cutPoint(const std::string& text) {
    const size_t mid = text.size() / 2;
    for (size_t d = 0; d < text.size() / 4; ++d) {
        if (mid + d < text.size() && (text[mid + d] == ' ' || text[mid + d] == '\n')) return mid + d + 1;
        if (mid > d && (text[mid - d] == ' ' || text[mid - d] == '\n')) return mid - d + 1;
    }
    size_t cut = std::max<size_t>(mid, 1);
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
    return cut;
}

// Appends `p`, halved until each part counts at most maxTokens (or is one byte).
void appendFitting(Piece p, const SummaryWriter& w, int maxTokens, std::vector<Piece>& out) {
    p.tokens = w.countTokens(p.text);
    const size_t cut = p.text.size() < 2 ? 0 : cutPoint(p.text);
    if (p.tokens <= maxTokens || cut == 0 || cut >= p.text.size()) {
        out.push_back(std::move(p));
        return;
    }
    const int64_t at = std::min(p.end, p.start + static_cast<int64_t>(cut));
    appendFitting({p.start, at, p.text.substr(0, cut), p.gapBefore, 0}, w, maxTokens, out);
    appendFitting({at, p.end, p.text.substr(cut), false, 0}, w, maxTokens, out);
}

// The document text rebuilt from its chunks without the overlaps, in pieces of at
// most maxTokens each.
std::vector<Piece> documentPieces(const std::vector<ChunkRecord>& chunks, const SummaryWriter& w, int maxTokens) {
    std::vector<Piece> pieces;
    int64_t covered = 0;
    for (const ChunkRecord& c : chunks) {
        const int64_t from = std::max(covered, c.charStart);
        if (from >= c.charEnd) continue;
        Piece p{from, c.charEnd, c.text.substr(static_cast<size_t>(std::min<int64_t>(from - c.charStart, static_cast<int64_t>(c.text.size())))),
                !pieces.empty() && from > covered, 0};
        covered = c.charEnd;
        appendFitting(std::move(p), w, maxTokens, pieces);
    }
    return pieces;
}

Section joinPieces(const std::vector<Piece>& pieces, size_t from, size_t to) {
    Section s{pieces[from].start, pieces[to - 1].end, {}};
    for (size_t i = from; i < to; ++i) s.text += (i > from && pieces[i].gapBefore ? "\n" : "") + pieces[i].text;
    return s;
}

// Consecutive pieces joined while their counts stay within `budget`; a section whose
// real prompt does not fit (`fits`) gives its last pieces to the next one.
template <class Fits>
std::vector<Section> makeSections(const std::vector<Piece>& pieces, int budget, const Fits& fits) {
    std::vector<Section> sections;
    for (size_t i = 0; i < pieces.size();) {
        size_t end = i;
        int tokens = 0;
        while (end < pieces.size() && (end == i || tokens + pieces[end].tokens + 1 <= budget))
            tokens += pieces[end++].tokens + 1;
        Section s = joinPieces(pieces, i, end);
        while (end > i + 1 && !fits(s.text)) s = joinPieces(pieces, i, --end);
        sections.push_back(std::move(s));
        i = end;
    }
    return sections;
}

// Consecutive summaries grouped so that each group's prompt passes `fits`.
template <class Fits>
std::vector<std::vector<std::string>> groupSummaries(std::vector<std::string> summaries, const Fits& fits) {
    std::vector<std::vector<std::string>> groups;
    for (std::string& s : summaries) {
        if (!groups.empty()) {
            groups.back().push_back(s);
            if (fits(groups.back())) continue;
            groups.back().pop_back();
        }
        groups.push_back({std::move(s)});
    }
    return groups;
}

std::string modelKey(const SummaryWriter& w, int mapTokens) {
    return w.cacheKey + "|" + std::to_string(w.contextTokens) + "|" + std::to_string(mapTokens);
}

}  // namespace

SummaryWriter sessionSummaryWriter(assistant::Session& session) {
    SummaryWriter w;
    std::shared_ptr<const assistant::Model> model = session.model();
    w.contextTokens = session.contextSize();
    // The same key as before writers existed, so caches made then stay valid.
    w.cacheKey = model->info().name + "|" + std::to_string(model->info().fileSize);
    w.countTokens = [model](std::string_view text) { return countTokens(*model, text); };
    w.countPrompt = [model](const std::vector<assistant::Message>& messages) {
        auto text = model->applyChatTemplate(messages, true);
        // A template that does not render fails in generate() with its own message.
        return text ? countTokens(*model, *text, true) : countTokens(*model, messages.back().content, true);
    };
    w.write = [&session](const std::vector<assistant::Message>& messages, const assistant::GenerateParams& params,
                         const std::function<bool(std::string_view)>& onPiece) -> std::expected<std::string, std::string> {
        session.reset();
        auto r = session.generate(messages, params, [&](std::string_view piece, const assistant::GenerateStats&) {
            return onPiece ? onPiece(piece) : true;
        });
        if (!r) return std::unexpected(r.error().message);
        return r->text;
    };
    return w;
}

std::expected<SummaryBudget, std::string> summaryBudget(assistant::Session& session, const std::string& fileName,
                                                        const SummarizeOptions& options) {
    return summaryBudget(sessionSummaryWriter(session), fileName, options);
}

std::expected<SummaryBudget, std::string> summaryBudget(const SummaryWriter& writer, const std::string& fileName,
                                                        const SummarizeOptions& options) {
    const int context = writer.contextTokens;
    if (options.mapTokens < 0 || options.reduceTokens < 0)
        return std::unexpected("summary lengths must be positive (0: sized to the context)");
    SummaryBudget b;
    const std::string onePart[] = {""};
    b.promptTokens = std::max({promptTokens(writer, mapPrompt(999, 999, fileName, "")),
                               promptTokens(writer, reducePrompt(true, fileName, std::span(onePart))),
                               promptTokens(writer, reducePrompt(false, fileName, std::span(onePart)))});
    b.partTokens = writer.countTokens("Part 99: \n\n") + 2;
    const int room = context - b.promptTokens - kMarginTokens;  // for text in and summary out
    b.mapTokens = options.mapTokens > 0 ? options.mapTokens : std::clamp(room / 5, 16, 200);
    b.reduceTokens = options.reduceTokens > 0 ? options.reduceTokens : std::clamp(room / 3, 16, 400);
    const std::string in = "a " + std::to_string(context) + "-token context";
    if (room - b.mapTokens < kMinSectionTokens)
        return std::unexpected(in + " is too small to summarize with: the prompt takes " + std::to_string(b.promptTokens) +
                               " tokens and a part summary " + std::to_string(b.mapTokens) + ", leaving " +
                               std::to_string(std::max(0, room - b.mapTokens)) + " for the document's text (" +
                               std::to_string(kMinSectionTokens) + " needed)");
    // Reduce steps must combine at least two part summaries, else they never converge.
    if (3 * b.mapTokens + 2 * b.partTokens > room)
        return std::unexpected("part summaries of " + std::to_string(b.mapTokens) + " tokens cannot be combined two at a time in " +
                               in + " (the prompt takes " + std::to_string(b.promptTokens) + ")");
    const int mostReduce = room - b.mapTokens - b.partTokens;
    if (b.reduceTokens > mostReduce)
        return std::unexpected("a summary of " + std::to_string(b.reduceTokens) + " tokens (-n) does not fit " + in +
                               " next to the prompt (" + std::to_string(b.promptTokens) + " tokens) and one part summary (" +
                               std::to_string(b.mapTokens) + "): use at most " + std::to_string(mostReduce) +
                               " or a larger context (-c)");
    return b;
}

namespace {

// One summary run: the map step over sections, the reduce levels, the final summary.
// Each phase returns false with `error` set, or true; a cancel ends a phase early with
// result.cancelled set (checked by the caller between phases).
class SummaryRun {
public:
    SummaryRun(Store& store, int64_t documentId, const SummaryWriter& writer, const SummarizeOptions& options,
               std::string file, const SummaryBudget& budget)
        : m_store(store), m_documentId(documentId), m_writer(writer), m_options(options), m_file(std::move(file)),
          m_context(writer.contextTokens), m_b(budget) {
        m_params.sampling = options.sampling;
        m_params.cancel = options.cancel;
    }

    // Map: a summary of each section (as much text as leaves room for the prompt and
    // the section's summary), from the store's cache when the same model made it.
    bool map(const std::vector<ChunkRecord>& chunks) {
        const int sectionTokens = m_context - m_b.promptTokens - m_b.mapTokens - kMarginTokens;
        const std::vector<Piece> pieces = documentPieces(chunks, m_writer, sectionTokens);
        const std::vector<Section> sections = makeSections(pieces, sectionTokens, [&](const std::string& text) {
            return promptTokens(m_writer, mapPrompt(999, 999, m_file, text)) + m_b.mapTokens + kMarginTokens <= m_context;
        });
        const std::string key = modelKey(m_writer, m_b.mapTokens);
        result.sections = static_cast<int>(sections.size());
        for (size_t i = 0; i < sections.size(); ++i) {
            if (stopped()) return true;
            const Section& s = sections[i];
            auto cached = m_store.summary(m_documentId, key, static_cast<int>(i), s.charStart, s.charEnd);
            if (!cached) return fail(cached.error());
            if (*cached) {
                m_summaries.push_back(**cached);
                ++result.cachedSections;
            } else {
                auto text = generate(mapPrompt(i + 1, sections.size(), m_file, s.text), m_b.mapTokens, false);
                if (!text) return fail("summarize section " + std::to_string(i + 1) + ": " + text.error());
                if (stopped()) return true;  // a cut-off summary must not be cached
                auto put = m_store.putSummary(m_documentId, key, static_cast<int>(i), s.charStart, s.charEnd, *text);
                if (!put) return fail(put.error());
                m_summaries.push_back(std::move(*text));
            }
            progress("map", i + 1, sections.size());
        }
        return true;
    }

    // Reduce: while the summaries do not fit one prompt with room for the final
    // summary, combine consecutive groups into fewer. Every level must shrink the count
    // (summaryBudget checks that two summaries fit), so it ends.
    bool reduce() {
        while (!fits(m_summaries, true, m_b.reduceTokens)) {
            const auto groups = groupSummaries(m_summaries, [&](const std::vector<std::string>& g) {
                return fits(g, false, m_b.mapTokens);
            });
            if (groups.size() >= m_summaries.size())
                return fail("reduce: " + std::to_string(m_summaries.size()) + " part summaries cannot be combined in a " +
                            std::to_string(m_context) + "-token context; use a larger context (-c)");
            std::vector<std::string> next;
            for (size_t g = 0; g < groups.size(); ++g) {
                if (stopped()) return true;
                auto text = generate(reducePrompt(false, m_file, groups[g]), m_b.mapTokens, false);
                if (!text) return fail("reduce: " + text.error());
                ++result.reduceSteps;
                progress("reduce", g + 1, groups.size());
                next.push_back(std::move(*text));
            }
            m_summaries = std::move(next);
        }
        return true;
    }

    // The summary of the whole document, streamed to options.onFinalPiece.
    bool finish() {
        if (stopped()) return true;
        auto text = generate(reducePrompt(true, m_file, m_summaries), m_b.reduceTokens, true);
        if (!text) return fail("reduce: " + text.error());
        ++result.reduceSteps;
        progress("reduce", 1, 1);
        if (!stopped() && text->find_first_not_of(" \t\r\n") == std::string::npos)
            return fail("the model wrote an empty summary");
        result.text = std::move(*text);  // cut short when cancelled
        return true;
    }

    SummaryResult result;
    std::string error;

private:
    bool stopped() {
        if (m_options.cancel && m_options.cancel->load()) result.cancelled = true;
        return result.cancelled;
    }
    bool fail(std::string message) {
        error = std::move(message);
        return false;
    }
    void progress(const char* stage, size_t done, size_t total) const {
        if (m_options.onProgress) m_options.onProgress(stage, static_cast<int>(done), static_cast<int>(total));
    }
    bool fits(std::span<const std::string> parts, bool final, int out) const {
        return promptTokens(m_writer, reducePrompt(final, m_file, parts)) + out + kMarginTokens <= m_context;
    }
    std::expected<std::string, std::string> generate(const std::string& prompt, int maxTokens, bool stream) {
        m_params.maxTokens = maxTokens;
        return m_writer.write(stepMessages(prompt), m_params, [&](std::string_view piece) {
            return stream && m_options.onFinalPiece ? m_options.onFinalPiece(piece) : true;
        });
    }

    Store& m_store;
    const int64_t m_documentId;
    const SummaryWriter& m_writer;
    const SummarizeOptions& m_options;
    const std::string m_file;
    const int m_context;
    const SummaryBudget m_b;
    assistant::GenerateParams m_params;
    std::vector<std::string> m_summaries;  // of the current level, in document order
};

}  // namespace

std::expected<SummaryResult, std::string> summarizeDocument(Store& store, int64_t documentId,
                                                            assistant::Session& session,
                                                            const SummarizeOptions& options) {
    return summarizeDocument(store, documentId, sessionSummaryWriter(session), options);
}

std::expected<SummaryResult, std::string> summarizeDocument(Store& store, int64_t documentId,
                                                            const SummaryWriter& writer,
                                                            const SummarizeOptions& options) {
    auto chunks = store.documentChunks(documentId);
    if (!chunks) return std::unexpected(chunks.error());
    if (chunks->empty()) return std::unexpected("the document has no indexed text to summarize");
    std::string file = std::filesystem::path(chunks->front().path).filename().string();
    auto budget = summaryBudget(writer, file, options);
    if (!budget) return std::unexpected(budget.error());
    SummaryRun run(store, documentId, writer, options, std::move(file), *budget);
    if (!run.map(*chunks) || (!run.result.cancelled && !run.reduce()) || (!run.result.cancelled && !run.finish()))
        return std::unexpected(run.error);
    return run.result;
}

}  // namespace rag
