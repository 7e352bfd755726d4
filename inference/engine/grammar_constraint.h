// Constrained decoding (GenerateParams::grammar): which tokens the grammar allows
// after the text generated so far, for the session's sampling loop.
//
// Cost: the loop asks allows() for the token the sampler chose without a mask first,
// and computes the full mask only when that token is rejected, then samples again
// from the masked logits. For greedy decoding that is exactly the masked argmax; for
// sampling the first draw is kept with probability p(t) when t is allowed, and a
// rejected draw is redrawn from the masked distribution, which together give
// p(t) / sum of allowed p: the masked distribution. (Top-k/top-p/min-p cut the
// unmasked candidates in the first draw and the masked ones in the redraw.) Masks are
// cached per grammar state, so a state that recurs (inside a string) costs one walk.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "grammar/grammar_matcher.h"
#include "engine/model_impl.h"

namespace assistant {

class GrammarConstraint {
public:
    // Parses the GBNF text; InvalidArgument with "grammar: line L, column C: ..." if bad.
    static Result<std::unique_ptr<GrammarConstraint>> create(const Model::Impl& model, std::string_view gbnf);

    // Whether token `id` may come next: an end-of-generation token only where the
    // grammar is complete; a token with an empty piece (control) never; any other
    // when its piece keeps some parse alive.
    bool allows(int32_t id);
    // Sets the logits of every token not allowed to -inf. Returns how many remain.
    size_t mask(std::span<float> logits);
    // The token was generated: advance past its piece.
    void accept(int32_t id);
    // Whether the text so far completes the grammar, and whether it can go on.
    bool complete() const { return m_matcher.complete(m_state); }
    bool canContinue() const { return m_matcher.canContinue(m_state); }
    // How many of `draft` (guessed tokens to follow the text so far) the grammar
    // allows in a row: the guesses past that would be rejected anyway.
    size_t allowedPrefix(std::span<const int32_t> draft);

private:
    GrammarConstraint(const Model::Impl& model, std::shared_ptr<const grammar::Grammar> g);
    bool allowsFrom(grammar::MatchState state, int32_t id);
    grammar::MatchState after(grammar::MatchState state, int32_t id);

    const tokenizer::Tokenizer& m_tok;
    const Model::Impl::GrammarVocab& m_vocab;
    grammar::GrammarMatcher m_matcher;
    grammar::MatchState m_state;
    // Allowed-token masks by state (stacks, partial, pending packed), at most kMaxMasks.
    std::unordered_map<uint64_t, std::vector<uint8_t>> m_masks;
};

}  // namespace assistant
