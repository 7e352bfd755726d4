// Session: one conversation's KV cache and token history. Prompts reuse the longest
// common prefix with what is cached; generation streams complete UTF-8 pieces.
#include <algorithm>
#include <chrono>
#include <optional>

#include "kernels/thread_pool.h"
#include "engine/grammar_constraint.h"
#include "common/log.h"
#include "engine/answer_stream.h"
#include "engine/batcher.h"
#include "engine/draft_model.h"
#include "engine/engine_access.h"
#include "engine/prompt_lookup.h"
#include "engine/reasoning_splitter.h"
#include "engine/sampling.h"

namespace assistant {

using detail::makeError;
using Clock = std::chrono::steady_clock;

struct Session::Impl {
    std::shared_ptr<const Model> model;
    SessionParams params;
    kernels::ThreadPool pool;
    kv::Cache kv;
    arch::Scratch scratch;
    std::unique_ptr<arch::SessionPlacement> placement;  // the layers' backends: activations, KV rows (or null)
    std::vector<int32_t> tokens;  // what the KV cache holds, position i = tokens[i]
    std::vector<int32_t> evicted;  // ContextPolicy::Sinks: tokens evicted from between the sinks and the rest
    std::vector<float> lastLogits;  // logits after tokens.back(); empty when unknown
    std::unique_ptr<DraftModel> drafter;  // Draft::Model: the draft's own session, kept between calls
    int contextSize = 0;

    Batcher::Impl* batcher = nullptr;  // shared passes (continuous batching), or null

    Impl(std::shared_ptr<const Model> m, const SessionParams& p)
        : model(std::move(m)), params(p), pool(p.batcher ? 1 : p.threads) {}
    const arch::Architecture& arch() const { return *modelImpl(*model).arch; }
    const arch::Decoder& decoder() const { return *arch().decoder(); }  // create() checked it is one
    const tokenizer::Tokenizer& tok() const { return *modelImpl(*model).tokenizer; }
    Result<std::vector<float>> evaluate(std::span<const int32_t> batch, bool allLogits, const std::atomic<bool>* cancel);
    // evaluate() of a batch that fits the cache: alone or in shared passes.
    Result<std::vector<float>> evaluateFitting(std::span<const int32_t> batch, bool allLogits,
                                               const std::atomic<bool>* cancel);
    // ContextPolicy::Sinks: evaluate() in pieces, each after room is made for it.
    Result<std::vector<float>> evaluateStreaming(std::span<const int32_t> batch, bool allLogits,
                                                 const std::atomic<bool>* cancel);
    // Sinks: evicts the oldest tokens after the sinks until `incoming` more fit.
    Status makeRoom(size_t incoming);
    // What the session has read: the cache's tokens with the evicted ones in place.
    std::vector<int32_t> history() const;
    bool streaming() const { return params.contextPolicy == ContextPolicy::Sinks; }
    // evaluate() in passes shared with the batcher's other sessions.
    Result<std::vector<float>> evaluateShared(std::span<const int32_t> batch, bool allLogits,
                                              const std::atomic<bool>* cancel);
    // splitter: null for plain text; else routes <think> text to the Reasoning channel.
    Result<GenerateResult> run(std::span<const int32_t> prompt, const GenerateParams& params, const TokenSink& sink,
                               ReasoningSplitter* splitter = nullptr);
    // run()'s phases after the prompt: the token loop from the prompt's logits `rows`
    // (sampling, the grammar, stop checks, speculative drafts, the next evaluation).
    Status decode(std::vector<float> rows, const GenerateParams& params, GrammarConstraint* constraint,
                  AnswerStream& out, GenerateResult& result, Clock::time_point t0, const Model::HotExpertStats& hot0);
    // The next token from a row of logits, within the grammar when there is one; -1 when
    // the grammar allows no token at all.
    int32_t sampleNext(Sampler& sampler, std::span<const float> current, std::span<const int32_t> history,
                       GrammarConstraint* constraint, std::vector<float>& masked) const;
    // Why generation stops after the token just streamed, if it does.
    std::optional<StopReason> stopAfter(const GenerateParams& params, const AnswerStream& out, const GenerateStats& st,
                                        const GrammarConstraint* constraint) const;
    // This request's hot-expert picks and hits so far (stats of the model since `before`).
    void countHotExperts(const Model::HotExpertStats& before, GenerateStats& st) const;
    Status checkRun(std::span<const int32_t> prompt, const GenerateParams& params) const;
    // Prefix reuse and the prompt's evaluation: the logits after its last token.
    Result<std::vector<float>> prefill(std::span<const int32_t> prompt, const GenerateParams& params, GenerateStats& st);
    // Speculative decoding: the tokens to verify after `sampled` (none when it is off).
    // With a grammar, the draft stops at the first guess the grammar rejects.
    std::vector<int32_t> nextDraft(int32_t sampled, const GenerateParams& params, int generated,
                                   GrammarConstraint* constraint);
    // Draft::Model: (re)creates `drafter` for params.speculative.draftModel.
    Status prepareDrafter(const SpeculativeParams& spec);
};

namespace {

kernels::GgmlType cacheType(KvType t) {
    switch (t) {
    case KvType::F32: return kernels::GgmlType::F32;
    case KvType::F16: return kernels::GgmlType::F16;
    case KvType::Q8_0: return kernels::GgmlType::Q8_0;
    case KvType::Q4_0: return kernels::GgmlType::Q4_0;
    }
    return kernels::GgmlType::F16;
}

double secondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Session::~Session() {
    if (m_impl && m_impl->batcher) m_impl->batcher->forget(m_impl.get());  // its rows go away
}

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model, const SessionParams& params) {
    if (!model) return std::unexpected(Error{ErrorCode::InvalidArgument, "Session::create: no model"});
    if (!modelImpl(*model).arch->decoder())  // an encoder has no language-model head: no logits
        return std::unexpected(makeError(ErrorCode::InvalidArgument, model->info().architecture,
                                         " is an embedding model: it cannot generate text (use Model::embed)"));
    if (params.contextLength < 0 || params.batchSize <= 0)
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "invalid session parameters: context ",
                                         params.contextLength, ", batch ", params.batchSize));
    if (params.batcher && params.batcher->model() != model)
        return std::unexpected(Error{ErrorCode::InvalidArgument, "Session::create: the batcher is of another model"});
    auto impl = std::make_unique<Impl>(model, params);
    if (params.batcher) impl->batcher = &BatcherAccess::impl(*params.batcher);
    const arch::Hparams& h = impl->arch().hparams();
    impl->contextSize = params.contextLength > 0 ? params.contextLength
                                                 : static_cast<int>(std::min<int64_t>(h.nCtxTrain, 4096));
    if (params.contextPolicy == ContextPolicy::Sinks && (params.sinkTokens < 0 || params.sinkTokens > impl->contextSize / 4))
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "context policy 'sinks': sink tokens must be 0..",
                                         impl->contextSize / 4, " (a quarter of the context), not ", params.sinkTokens));
    const int64_t width = h.nHeadKv * h.headDim;
    const kernels::GgmlType type = cacheType(params.kvType);
    // A quantized row holds all KV heads of a token; its blocks may straddle heads (the
    // attention kernels convert such slices through the whole row).
    if (width % kernels::traits(type).blockSize != 0)
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "KV cache type ", kernels::typeName(type),
                                         " needs KV rows (kv heads x head size) that are a multiple of ",
                                         kernels::traits(type).blockSize, "; this model's are ", width,
                                         " wide (use f16 or f32)"));
    if (type == kernels::GgmlType::Q4_0 && h.headDim % 32 != 0)
        detail::log(LogLevel::Warning, "KV cache q4_0 with ", h.headDim, "-wide heads: a block's one scale spans several heads, ",
            "which costs much accuracy on this model (q8_0 or f16 keep it)");
    const arch::Placement* placement = modelImpl(*model).placement.get();
    impl->kv.allocate(h.nLayer, impl->contextSize, width, type, placement ? placement->hostLayers() : std::vector<bool>{});
    if (placement) {
        auto sp = placement->createSession(impl->pool, impl->kv);
        if (!sp) return std::unexpected(sp.error());
        impl->placement = std::move(*sp);
    }
    return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Result<std::vector<float>> Session::Impl::evaluate(std::span<const int32_t> batch, bool allLogits,
                                                  const std::atomic<bool>* cancel) {
    const int64_t vocab = arch().hparams().nVocab;
    if (batch.empty()) return std::unexpected(Error{ErrorCode::InvalidArgument, "evaluate: no tokens"});
    for (int32_t id : batch)
        if (id < 0 || id >= vocab)
            return std::unexpected(makeError(ErrorCode::InvalidArgument, "token id ", id,
                                             " is outside the vocabulary (", vocab, ")"));
    if (streaming()) return evaluateStreaming(batch, allLogits, cancel);
    if (tokens.size() + batch.size() > static_cast<size_t>(contextSize))
        return std::unexpected(makeError(ErrorCode::ContextFull, "context full: ", tokens.size(), " cached + ",
                                         batch.size(), " new tokens exceed the context size ", contextSize));
    return evaluateFitting(batch, allLogits, cancel);
}

Result<std::vector<float>> Session::Impl::evaluateFitting(std::span<const int32_t> batch, bool allLogits,
                                                         const std::atomic<bool>* cancel) {
    const int64_t vocab = arch().hparams().nVocab;
    if (batcher) return evaluateShared(batch, allLogits, cancel);
    std::vector<float> logits;
    if (allLogits) logits.reserve(batch.size() * static_cast<size_t>(vocab));
    arch::ForwardContext ctx{pool, kv, scratch, placement.get()};
    const size_t step = static_cast<size_t>(params.batchSize);
    for (size_t begin = 0; begin < batch.size(); begin += step) {
        if (cancel && cancel->load(std::memory_order_relaxed))
            return std::unexpected(Error{ErrorCode::Cancelled, "evaluation cancelled"});
        const size_t end = std::min(batch.size(), begin + step);
        decoder().forward(ctx, batch.subspan(begin, end - begin), static_cast<int64_t>(tokens.size()), allLogits);
        if (placement && !placement->error.empty())
            return std::unexpected(makeError(ErrorCode::DeviceError, "GPU: ", placement->error));
        tokens.insert(tokens.end(), batch.begin() + static_cast<std::ptrdiff_t>(begin),
                      batch.begin() + static_cast<std::ptrdiff_t>(end));
        if (allLogits) logits.insert(logits.end(), scratch.logits.begin(), scratch.logits.end());
        else if (end == batch.size()) logits.assign(scratch.logits.end() - vocab, scratch.logits.end());
        lastLogits.assign(scratch.logits.end() - vocab, scratch.logits.end());
    }
    return logits;
}

Result<std::vector<float>> Session::Impl::evaluateStreaming(std::span<const int32_t> batch, bool allLogits,
                                                           const std::atomic<bool>* cancel) {
    // Pieces of at most half the window after the sinks: each evicts a quarter or more.
    const size_t piece = std::max<size_t>(1, std::min<size_t>(params.batchSize, (contextSize - params.sinkTokens) / 2));
    std::vector<float> logits;
    for (size_t begin = 0; begin < batch.size(); begin += piece) {
        const std::span<const int32_t> part = batch.subspan(begin, std::min(piece, batch.size() - begin));
        if (auto room = makeRoom(part.size()); !room) return std::unexpected(room.error());
        auto out = evaluateFitting(part, allLogits, cancel);
        if (!out) return out;
        if (allLogits) logits.insert(logits.end(), out->begin(), out->end());
        else logits = std::move(*out);
    }
    return logits;
}

Status Session::Impl::makeRoom(size_t incoming) {
    const size_t capacity = static_cast<size_t>(contextSize), sinks = static_cast<size_t>(params.sinkTokens);
    if (tokens.size() + incoming <= capacity) return {};
    const size_t need = tokens.size() + incoming - capacity;
    if (tokens.size() < sinks + need)
        return std::unexpected(makeError(ErrorCode::ContextFull, "context full: ", incoming,
                                         " new tokens do not fit beside the ", sinks, " sink tokens"));
    const size_t drop = std::min(tokens.size() - sinks, std::max(need, (capacity - sinks) / 4));
    const size_t keep = tokens.size() - sinks - drop;
    if (batcher) batcher->withdraw(this, sinks);  // rows after the sinks move
    // Each layer's cache moves on the backend that holds it (a device under its lock).
    for (size_t l = 0; l < placement->k.size(); ++l) {
        const int device = placement->model->layers[l].device;
        kernels::Backend& be = placement->backend(device);
        std::unique_lock<std::mutex> held;
        if (device != arch::kOnCpu) held = std::unique_lock<std::mutex>(be.lock());
        be.shiftKv(placement->attention[l], *placement->k[l], *placement->v[l], static_cast<int64_t>(sinks + drop),
                   static_cast<int64_t>(sinks), static_cast<int64_t>(keep));
        if (device != arch::kOnCpu)
            if (std::string e = be.takeError(); !e.empty())
                return std::unexpected(makeError(ErrorCode::DeviceError, "GPU: evicting from the KV cache: ", e));
    }
    const auto first = tokens.begin() + static_cast<std::ptrdiff_t>(sinks);
    evicted.insert(evicted.end(), first, first + static_cast<std::ptrdiff_t>(drop));
    tokens.erase(first, first + static_cast<std::ptrdiff_t>(drop));
    detail::log(LogLevel::Info, "context full: evicted ", drop, " tokens after the first ", sinks, " (sinks policy)");
    return {};
}

std::vector<int32_t> Session::Impl::history() const {
    if (evicted.empty()) return tokens;
    const size_t sinks = std::min(tokens.size(), static_cast<size_t>(params.sinkTokens));
    std::vector<int32_t> all(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(sinks));
    all.insert(all.end(), evicted.begin(), evicted.end());
    all.insert(all.end(), tokens.begin() + static_cast<std::ptrdiff_t>(sinks), tokens.end());
    return all;
}

Result<std::vector<float>> Session::Impl::evaluateShared(std::span<const int32_t> batch, bool allLogits,
                                                        const std::atomic<bool>* cancel) {
    const size_t vocab = static_cast<size_t>(arch().hparams().nVocab);
    size_t evaluated = 0;
    auto logits = batcher->evaluate(*placement, batch, static_cast<int64_t>(tokens.size()), allLogits, cancel, evaluated);
    tokens.insert(tokens.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(evaluated));
    if (!logits) {
        lastLogits.clear();  // the cache grew by a part whose logits nobody computed
        return logits;
    }
    lastLogits.assign(logits->end() - static_cast<std::ptrdiff_t>(vocab), logits->end());
    return logits;
}

Status Session::Impl::checkRun(std::span<const int32_t> prompt, const GenerateParams& gp) const {
    if (prompt.empty()) return std::unexpected(Error{ErrorCode::InvalidArgument, "empty prompt"});
    if (const SpeculativeParams& s = gp.speculative; s.draft != SpeculativeParams::Draft::None &&
        (s.maxDraftTokens < 1 || s.maxDraftTokens > 64 || s.ngramMin < 1 || s.ngramMin > s.ngramMax || s.ngramMax > 16 ||
         !(s.minDraftProbability >= 0 && s.minDraftProbability <= 1)))
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "speculative decoding: draft tokens must be 1..64 (",
                                         s.maxDraftTokens, "), n-grams 1 <= min <= max <= 16 (", s.ngramMin, "..",
                                         s.ngramMax, ") and the draft's minimum probability 0..1 (",
                                         s.minDraftProbability, ")"));
    if (prompt.size() >= static_cast<size_t>(contextSize) && !streaming())  // sinks: it streams through
        return std::unexpected(makeError(ErrorCode::ContextFull, "the prompt has ", prompt.size(),
                                         " tokens; the context holds ", contextSize));
    return {};
}

Result<std::vector<float>> Session::Impl::prefill(std::span<const int32_t> prompt, const GenerateParams& gp,
                                                  GenerateStats& st) {
    // Prefix reuse: keep what matches, evaluate the rest. A prompt that is entirely
    // cached reuses the stored logits of its last token.
    const Clock::time_point t0 = Clock::now();
    st.contextSize = contextSize;
    st.device = model->info().device;
    if (!evicted.empty()) {  // sinks: the cache no longer holds the whole history
        const std::vector<int32_t> seen = history();
        if (prompt.size() > seen.size() && std::equal(seen.begin(), seen.end(), prompt.begin())) {
            // The conversation goes on: read what is new after what was read, evicted or not.
            st.promptTokens = static_cast<int>(prompt.size());
            st.reusedPromptTokens = static_cast<int>(seen.size());
            auto logits = evaluate(prompt.subspan(seen.size()), false, gp.cancel);
            const double seconds = secondsSince(t0);
            st.promptTokensPerSecond = seconds > 0 ? (prompt.size() - seen.size()) / seconds : 0;
            return logits;
        }
        tokens.clear();  // another text: start over
        evicted.clear();
        lastLogits.clear();
    }
    size_t common = 0;
    while (common < tokens.size() && common < prompt.size() && tokens[common] == prompt[common]) ++common;
    const bool wholePromptCached = common == prompt.size() && tokens.size() == prompt.size() && !lastLogits.empty();
    if (common == prompt.size() && !wholePromptCached) --common;
    if (tokens.size() != common) {
        tokens.resize(common);
        lastLogits.clear();
    }
    if (batcher && placement && !wholePromptCached) {
        // Rows from `common` on change now: other sessions stop copying them. A longer
        // prefix another session of the batcher holds is copied, not evaluated.
        batcher->withdraw(this, common);
        const size_t limit = std::min(prompt.size() - 1, static_cast<size_t>(contextSize));
        if (const size_t n = batcher->adoptPrefix(this, *placement, prompt, common, limit); n > common) {
            tokens.assign(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(n));
            lastLogits.clear();
            st.sharedPromptTokens = static_cast<int>(n - common);
            common = n;
        }
    }
    st.promptTokens = static_cast<int>(prompt.size());
    st.reusedPromptTokens = static_cast<int>(common);
    auto logits = wholePromptCached ? Result<std::vector<float>>(lastLogits) : evaluate(prompt.subspan(common), false, gp.cancel);
    const double seconds = secondsSince(t0);
    st.promptTokensPerSecond = seconds > 0 ? (prompt.size() - common) / seconds : 0;
    return logits;
}

Result<GenerateResult> Session::Impl::run(std::span<const int32_t> prompt, const GenerateParams& gp,
                                          const TokenSink& sink, ReasoningSplitter* splitter) {
    const Clock::time_point t0 = Clock::now();
    if (auto ok = checkRun(prompt, gp); !ok) return std::unexpected(ok.error());
    // A new request: the hot-expert cache takes in what the last ones picked (before this
    // session joins the batcher's passes, which would otherwise wait for it).
    model->refreshHotExperts();
    const BatcherMembership generating(batcher);  // passes wait for this session's next token
    // Whatever happens below, the rows the cache holds afterwards may be shared.
    struct Publish {
        Impl& s;
        ~Publish() {
            if (s.batcher && s.placement) s.batcher->publish(&s, *s.placement, s.tokens);
        }
    } const publishAtEnd{*this};
    if (auto ok = prepareDrafter(gp.speculative); !ok) return std::unexpected(ok.error());
    std::unique_ptr<GrammarConstraint> constraint;
    if (!gp.grammar.empty()) {
        auto created = GrammarConstraint::create(modelImpl(*model), gp.grammar);
        if (!created) return std::unexpected(created.error());
        constraint = std::move(*created);
    }
    GenerateResult result;
    const Model::HotExpertStats hot0 = model->hotExperts();
    Result<std::vector<float>> logits = prefill(prompt, gp, result.stats);
    if (!logits) {
        if (logits.error().code != ErrorCode::Cancelled) return std::unexpected(logits.error());
        result.stopReason = StopReason::Cancelled;
        return result;
    }
    AnswerStream out(tok(), gp.stop, sink, splitter, result);
    auto decoded = decode(std::move(*logits), gp, constraint.get(), out, result, t0, hot0);
    if (!decoded) return std::unexpected(decoded.error());
    out.finish();
    result.stats.contextUsed = static_cast<int>(tokens.size());
    countHotExperts(hot0, result.stats);
    return result;
}

void Session::Impl::countHotExperts(const Model::HotExpertStats& before, GenerateStats& st) const {
    const Model::HotExpertStats now = model->hotExperts();
    st.hotExpertPicks = now.picks - before.picks;
    st.hotExpertHits = now.hits - before.hits;
}

int32_t Session::Impl::sampleNext(Sampler& sampler, std::span<const float> current, std::span<const int32_t> history,
                                  GrammarConstraint* constraint, std::vector<float>& masked) const {
    const int32_t id = sampler.sample(current, history);
    if (!constraint || constraint->allows(id)) return id;  // see grammar_constraint.h for why this is exact
    masked.assign(current.begin(), current.end());
    if (constraint->mask(masked) == 0) {  // nothing may follow (no end token allowed either)
        if (!constraint->complete())
            detail::log(LogLevel::Warning, "grammar: no token of the vocabulary continues the text; stopping");
        return -1;
    }
    return sampler.sample(masked, history);
}

std::optional<StopReason> Session::Impl::stopAfter(const GenerateParams& gp, const AnswerStream& out,
                                                   const GenerateStats& st, const GrammarConstraint* constraint) const {
    if (out.stopped()) return StopReason::StopString;
    if (gp.maxTokens > 0 && st.generatedTokens >= gp.maxTokens) return StopReason::MaxTokens;
    if (constraint && !constraint->canContinue()) return StopReason::EndOfText;  // complete, nothing may follow
    return std::nullopt;
}

Status Session::Impl::decode(std::vector<float> rows, const GenerateParams& gp, GrammarConstraint* constraint,
                             AnswerStream& out, GenerateResult& result, Clock::time_point t0,
                             const Model::HotExpertStats& hot0) {
    GenerateStats& st = result.stats;
    Sampler sampler(gp.sampling);
    Clock::time_point firstToken{};
    // rows: logits of the last evaluated batch, one [vocab] row per token when a draft
    // rode along, else the last token's only. Row r follows tokens[0, base + r].
    const size_t vocab = static_cast<size_t>(arch().hparams().nVocab);
    size_t base = tokens.size() - 1, row = 0;
    std::vector<int32_t> draft;  // guessed tokens evaluated after rows[0]'s token
    std::vector<float> masked;   // the current row with the grammar's mask applied
    bool evaluated = true;       // false when an evaluation failed midway: leave its state as it is
    for (;;) {
        if (gp.cancel && gp.cancel->load(std::memory_order_relaxed)) {
            result.stopReason = StopReason::Cancelled;
            break;
        }
        const std::span<const float> current(rows.data() + row * vocab, vocab);
        const size_t seen = base + row + 1;
        if (gp.onLogits) gp.onLogits(current);
        const int32_t id = sampleNext(sampler, current, std::span<const int32_t>(tokens).first(seen), constraint, masked);
        if (id < 0) {
            result.stopReason = StopReason::EndOfText;
            break;
        }
        if (result.tokens.empty()) {
            firstToken = Clock::now();
            st.timeToFirstTokenMs = secondsSince(t0) * 1000.0;
        }
        if ((!gp.ignoreEos || constraint) && tok().isEndOfGeneration(id)) {
            result.stopReason = StopReason::EndOfText;
            break;
        }
        result.tokens.push_back(id);
        if (constraint) constraint->accept(id);
        st.generatedTokens = static_cast<int>(result.tokens.size());
        const double genSeconds = secondsSince(firstToken);
        st.generatedTokensPerSecond = genSeconds > 0 ? (st.generatedTokens - 1) / genSeconds : 0;
        st.contextUsed = static_cast<int>(seen);
        countHotExperts(hot0, st);
        if (!out.push(id)) {
            result.stopReason = StopReason::Cancelled;
            break;
        }
        if (const auto stop = stopAfter(gp, out, st, constraint)) {
            result.stopReason = *stop;
            break;
        }
        if (row < draft.size() && id == draft[row]) {  // the guess was right: its row is computed
            ++row;
            ++st.acceptedDraftTokens;
            continue;
        }
        tokens.resize(seen);  // a rejected guess's KV entries are overwritten later
        if (seen + 1 > static_cast<size_t>(contextSize) && !streaming()) {  // sinks: evaluate() makes room
            result.stopReason = StopReason::ContextFull;
            break;
        }
        std::vector<int32_t> batch{id};
        draft = nextDraft(id, gp, st.generatedTokens, constraint);
        batch.insert(batch.end(), draft.begin(), draft.end());
        st.draftedTokens += static_cast<int>(draft.size());
        auto next = evaluate(batch, !draft.empty(), gp.cancel);
        if (!next) {
            if (next.error().code != ErrorCode::Cancelled) return std::unexpected(next.error());
            result.stopReason = StopReason::Cancelled;
            evaluated = false;
            break;
        }
        rows = std::move(*next);
        base = tokens.size() - batch.size();  // seen, less what the sinks policy evicted
        row = 0;
    }
    if (evaluated) {
        // The cache ends at the last token whose logits were used: drop unused guesses.
        tokens.resize(base + row + 1);
        lastLogits.assign(rows.begin() + static_cast<std::ptrdiff_t>(row * vocab),
                          rows.begin() + static_cast<std::ptrdiff_t>((row + 1) * vocab));
    }
    return {};
}

std::vector<int32_t> Session::Impl::nextDraft(int32_t sampled, const GenerateParams& gp, int generated,
                                              GrammarConstraint* constraint) {
    const SpeculativeParams& spec = gp.speculative;
    if (spec.draft == SpeculativeParams::Draft::None) return {};
    // Room: the context, and the tokens still to generate (the batch's last row gives one more).
    int room = contextSize - static_cast<int>(tokens.size()) - 1;
    if (gp.maxTokens > 0) room = std::min(room, gp.maxTokens - generated - 1);
    const int most = std::min(spec.maxDraftTokens, room);
    if (most <= 0) return {};
    tokens.push_back(sampled);  // the history the guess continues
    std::vector<int32_t> draft = spec.draft == SpeculativeParams::Draft::Model
                                     ? drafter->propose(tokens, most, spec.minDraftProbability, gp.cancel)
                                     : promptLookupDraft(tokens, most, spec.ngramMin, spec.ngramMax);
    tokens.pop_back();
    if (constraint) draft.resize(constraint->allowedPrefix(draft));
    return draft;
}

Status Session::Impl::prepareDrafter(const SpeculativeParams& spec) {
    if (spec.draft != SpeculativeParams::Draft::Model) return {};
    if (drafter && drafter->model() == spec.draftModel) return {};
    auto created = DraftModel::create(*model, spec, params, contextSize);
    if (!created) return std::unexpected(created.error());
    drafter = std::move(*created);
    return {};
}

// ----------------------------------------------------------------------------
// Public surface
// ----------------------------------------------------------------------------
Result<std::vector<float>> Session::evaluate(std::span<const int32_t> tokens, bool allLogits,
                                            const std::atomic<bool>* cancel) {
    return m_impl->evaluate(tokens, allLogits, cancel);
}

Result<GenerateResult> Session::generate(std::span<const int32_t> prompt, const GenerateParams& params,
                                         const TokenSink& sink) {
    return m_impl->run(prompt, params, sink);
}

Result<GenerateResult> Session::generate(std::string_view prompt, const GenerateParams& params,
                                         const TokenSink& sink) {
    auto ids = m_impl->model->tokenize(prompt, true, true);
    if (!ids) return std::unexpected(ids.error());
    return m_impl->run(*ids, params, sink);
}

Result<GenerateResult> Session::generate(std::span<const Message> messages, const GenerateParams& params,
                                         const TokenSink& sink) {
    // Context policy: drop the oldest turns after the first (system) message until
    // the prompt leaves room to answer, or fail with ContextFull.
    std::vector<Message> kept(messages.begin(), messages.end());
    const size_t keepFirst = !kept.empty() && kept.front().role == "system" ? 1 : 0;
    for (;;) {
        auto text = m_impl->model->applyChatTemplate(kept, true, params.tools);
        if (!text) return std::unexpected(text.error());
        const std::string& bosText = m_impl->tok().bos() >= 0 ? m_impl->tok().tokenText(m_impl->tok().bos()) : "";
        const bool hasBos = !bosText.empty() && text->starts_with(bosText);
        auto ids = m_impl->model->tokenize(*text, !hasBos, true);
        if (!ids) return std::unexpected(ids.error());
        const size_t room = static_cast<size_t>(m_impl->contextSize) / 4;
        const bool fits = ids->size() + room <= static_cast<size_t>(m_impl->contextSize);
        const ContextPolicy policy = m_impl->params.contextPolicy;
        if (fits || policy != ContextPolicy::DropOldestTurns || kept.size() <= keepFirst + 1) {
            if (ids->size() >= static_cast<size_t>(m_impl->contextSize) && policy != ContextPolicy::Sinks)
                return std::unexpected(makeError(ErrorCode::ContextFull, "the conversation needs ", ids->size(),
                                                 " tokens; the context holds ", m_impl->contextSize));
            // A grammar shapes the whole answer: no <think> channel to split off.
            if (!params.splitReasoning || !params.grammar.empty()) return m_impl->run(*ids, params, sink);
            ReasoningSplitter splitter(promptOpensReasoning(*text));
            return m_impl->run(*ids, params, sink, &splitter);
        }
        kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(keepFirst));
        detail::log(LogLevel::Info, "context full: dropped the oldest turn");
    }
}

void Session::reset() {
    m_impl->model->refreshHotExperts();  // a new conversation: between requests
    if (m_impl->batcher) m_impl->batcher->withdraw(m_impl.get(), 0);
    m_impl->tokens.clear();
    m_impl->evicted.clear();
    m_impl->lastLogits.clear();
}
void Session::truncate(size_t n) {
    if (n >= m_impl->tokens.size()) return;
    if (m_impl->batcher) m_impl->batcher->withdraw(m_impl.get(), n);
    m_impl->tokens.resize(n);  // the KV rows past n are overwritten by the next evaluation
    m_impl->lastLogits.clear();
    if (n <= static_cast<size_t>(m_impl->params.sinkTokens)) m_impl->evicted.clear();  // sinks: back before them
}
std::span<const int32_t> Session::tokens() const { return m_impl->tokens; }
const std::shared_ptr<const Model>& Session::model() const { return m_impl->model; }
int Session::contextSize() const { return m_impl->contextSize; }

}  // namespace assistant
