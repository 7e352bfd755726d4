// The text side of one generation: token ids -> complete UTF-8 pieces -> stop
// strings held back and matched -> <think> text routed to the Reasoning channel ->
// the caller's sink, with the result's text and reasoning kept as they stream.
#pragma once

#include <string>
#include <vector>

#include "assistant/engine.h"
#include "engine/reasoning_splitter.h"
#include "engine/stop_matcher.h"
#include "tokenizer/tokenizer.h"

namespace assistant {

class AnswerStream {
public:
    // splitter: null for plain text. result: where text, reasoning and stats live.
    AnswerStream(const tokenizer::Tokenizer& tok, const std::vector<std::string>& stop, const TokenSink& sink,
                 ReasoningSplitter* splitter, GenerateResult& result)
        : m_decoder(tok, false), m_stops(stop), m_sink(sink), m_splitter(splitter), m_result(result) {}

    // The next generated token. False when the sink asked to stop.
    bool push(int32_t id) { return emit(m_stops.push(m_decoder.push(id))); }
    // A stop string matched: generation ends here.
    bool stopped() const { return m_stops.stopped(); }
    // The end: what the decoder and the stop matcher still hold (unless a stop string
    // ended it), and the reasoning splitter's rest.
    void finish() {
        if (!m_stops.stopped()) emit(m_stops.push(m_decoder.flush()) + m_stops.flush());
        if (m_splitter) emitPieces(m_splitter->flush());
    }

private:
    bool emitOn(StreamChannel channel, const std::string& text) {
        if (text.empty()) return true;
        (channel == StreamChannel::Reasoning ? m_result.reasoning : m_result.text) += text;
        m_result.stats.channel = channel;
        return !m_sink || m_sink(text, m_result.stats);
    }
    bool emitPieces(const std::vector<ReasoningSplitter::Piece>& pieces) {
        for (const ReasoningSplitter::Piece& p : pieces)
            if (!emitOn(p.channel, p.text)) return false;
        return true;
    }
    bool emit(const std::string& text) {
        return m_splitter ? emitPieces(m_splitter->push(text)) : emitOn(StreamChannel::Content, text);
    }

    tokenizer::StreamingDecoder m_decoder;
    StopMatcher m_stops;
    const TokenSink& m_sink;
    ReasoningSplitter* m_splitter;
    GenerateResult& m_result;
};

}  // namespace assistant
