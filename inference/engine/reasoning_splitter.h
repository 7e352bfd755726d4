// Splits a model's streamed answer into the Content and Reasoning channels: the
// text between <think> and </think> is reasoning, the tags themselves are never
// emitted. Pieces arrive in arbitrary cuts, so a tag may be split across pushes;
// a possible partial tag is held back until the next push decides it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"

namespace assistant {

class ReasoningSplitter {
public:
    struct Piece {
        StreamChannel channel = StreamChannel::Content;
        std::string text;
    };

    // startInReasoning: the prompt already opened <think> (DeepSeek-R1 templates end
    // the generation prompt with "<think>\n"), so output starts as reasoning.
    explicit ReasoningSplitter(bool startInReasoning = false);

    // Adds text; returns what can be emitted now, in order, without empty pieces.
    std::vector<Piece> push(std::string_view text);
    // End of generation: whatever was held back, on its current channel.
    std::vector<Piece> flush();

private:
    // Start: only whitespace so far, an opening <think> may still come. An opening
    // tag later in the answer is literal text (the model is talking about tags).
    enum class State { Start, Reasoning, Content };
    void add(std::vector<Piece>& out, StreamChannel channel, std::string_view text);

    State m_state;
    std::string m_pending;       // held back: a possible partial tag (or leading whitespace)
    bool m_afterReasoning = false;  // drop the newlines that follow </think>
};

// True when the rendered prompt ends inside an unclosed <think> block.
bool promptOpensReasoning(std::string_view prompt);

}  // namespace assistant
