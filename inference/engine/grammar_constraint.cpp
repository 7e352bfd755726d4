// GrammarConstraint: the grammar matcher over the model's token pieces.
#include "engine/grammar_constraint.h"

#include <limits>

#include "common/log.h"

namespace assistant {

namespace {

constexpr size_t kMaxMasks = 256;  // 32k-token masks: 8 MB at most

uint64_t stateKey(grammar::MatchState s) {
    return (uint64_t{s.stacks} << 32) ^ (uint64_t{s.length} << 28) ^ (uint64_t{s.partial} << 2) ^ s.pending;
}

bool neverAllowed(tokenizer::TokenAttr a) {
    return a == tokenizer::TokenAttr::Control || a == tokenizer::TokenAttr::Unknown ||
           a == tokenizer::TokenAttr::Unused;
}

}  // namespace

const Model::Impl::GrammarVocab& Model::Impl::grammarVocab() const {
    std::call_once(m_grammarVocabOnce, [this] {
        std::vector<std::string> pieces(static_cast<size_t>(tokenizer->vocabSize()));
        for (int32_t id = 0; id < tokenizer->vocabSize(); ++id)
            if (!neverAllowed(tokenizer->attr(id))) pieces[static_cast<size_t>(id)] = tokenizer->tokenToPiece(id, false);
        grammar::TokenTrie trie(pieces);
        m_grammarVocab = std::make_unique<GrammarVocab>(GrammarVocab{std::move(pieces), std::move(trie)});
    });
    return *m_grammarVocab;
}

Result<std::unique_ptr<GrammarConstraint>> GrammarConstraint::create(const Model::Impl& model, std::string_view gbnf) {
    auto parsed = grammar::parseGbnf(gbnf);
    if (!parsed) return std::unexpected(detail::makeError(ErrorCode::InvalidArgument, "grammar: ", parsed.error().describe()));
    auto g = std::make_shared<const grammar::Grammar>(std::move(*parsed));
    return std::unique_ptr<GrammarConstraint>(new GrammarConstraint(model, std::move(g)));
}

GrammarConstraint::GrammarConstraint(const Model::Impl& model, std::shared_ptr<const grammar::Grammar> g)
    : m_tok(*model.tokenizer), m_vocab(model.grammarVocab()), m_matcher(std::move(g)), m_state(m_matcher.start()) {}

grammar::MatchState GrammarConstraint::after(grammar::MatchState state, int32_t id) {
    if (id < 0 || static_cast<size_t>(id) >= m_vocab.pieces.size()) return {};
    const std::string& piece = m_vocab.pieces[static_cast<size_t>(id)];
    if (piece.empty()) return {};
    return m_matcher.advance(state, piece);
}

bool GrammarConstraint::allowsFrom(grammar::MatchState state, int32_t id) {
    if (m_tok.isEndOfGeneration(id)) return m_matcher.complete(state);
    return !after(state, id).dead();
}

bool GrammarConstraint::allows(int32_t id) { return allowsFrom(m_state, id); }

size_t GrammarConstraint::mask(std::span<float> logits) {
    const uint64_t key = stateKey(m_state);
    auto it = m_masks.find(key);
    if (it == m_masks.end()) {
        if (m_masks.size() >= kMaxMasks) m_masks.clear();
        std::vector<uint8_t> allowed;
        m_vocab.trie.allowed(m_matcher, m_state, allowed);
        const bool complete = m_matcher.complete(m_state);
        for (size_t id = 0; id < allowed.size(); ++id)
            if (m_tok.isEndOfGeneration(static_cast<int32_t>(id))) allowed[id] = complete;
        it = m_masks.emplace(key, std::move(allowed)).first;
    }
    const std::vector<uint8_t>& allowed = it->second;
    size_t count = 0;
    for (size_t id = 0; id < logits.size(); ++id) {
        if (id < allowed.size() && allowed[id]) ++count;
        else logits[id] = -std::numeric_limits<float>::infinity();
    }
    return count;
}

void GrammarConstraint::accept(int32_t id) {
    if (m_tok.isEndOfGeneration(id)) return;
    const grammar::MatchState next = after(m_state, id);
    if (next.dead()) detail::log(LogLevel::Warning, "grammar: token ", id, " accepted against the grammar");
    else m_state = next;
}

size_t GrammarConstraint::allowedPrefix(std::span<const int32_t> draft) {
    grammar::MatchState s = m_state;
    for (size_t n = 0; n < draft.size(); ++n) {
        if (!allowsFrom(s, draft[n])) return n;
        if (m_tok.isEndOfGeneration(draft[n])) return n + 1;
        s = after(s, draft[n]);
    }
    return draft.size();
}

}  // namespace assistant
