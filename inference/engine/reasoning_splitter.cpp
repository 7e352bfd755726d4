#include "engine/reasoning_splitter.h"

namespace assistant {

namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Length of the longest suffix of text that is a proper prefix of tag.
size_t partialTagLength(std::string_view text, std::string_view tag) {
    for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n)
        if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
    return 0;
}

}  // namespace

ReasoningSplitter::ReasoningSplitter(bool startInReasoning)
    : m_state(startInReasoning ? State::Reasoning : State::Start) {}

void ReasoningSplitter::add(std::vector<Piece>& out, StreamChannel channel, std::string_view text) {
    if (channel == StreamChannel::Content && m_afterReasoning) {
        while (!text.empty() && (text.front() == '\n' || text.front() == '\r')) text.remove_prefix(1);
        if (text.empty()) return;
        m_afterReasoning = false;
    }
    if (text.empty()) return;
    if (!out.empty() && out.back().channel == channel) out.back().text += text;
    else out.push_back({channel, std::string(text)});
}

std::vector<ReasoningSplitter::Piece> ReasoningSplitter::push(std::string_view text) {
    std::vector<Piece> out;
    m_pending += text;
    std::string_view buf = m_pending;
    std::string keep;
    for (;;) {
        if (m_state == State::Start) {
            size_t lead = 0;
            while (lead < buf.size() && isSpace(buf[lead])) ++lead;
            const std::string_view rest = buf.substr(lead);
            if (rest.starts_with(kOpen)) {
                m_state = State::Reasoning;
                buf = rest.substr(kOpen.size());
                continue;
            }
            if (kOpen.starts_with(rest)) {  // whitespace only, or a partial "<think"
                keep = std::string(buf);
                break;
            }
            m_state = State::Content;
            continue;
        }
        if (m_state == State::Content) {
            add(out, StreamChannel::Content, buf);
            break;
        }
        const size_t at = buf.find(kClose);
        if (at != std::string_view::npos) {
            add(out, StreamChannel::Reasoning, buf.substr(0, at));
            buf = buf.substr(at + kClose.size());
            m_state = State::Content;
            m_afterReasoning = true;
            continue;
        }
        const size_t partial = partialTagLength(buf, kClose);
        add(out, StreamChannel::Reasoning, buf.substr(0, buf.size() - partial));
        keep = std::string(buf.substr(buf.size() - partial));
        break;
    }
    m_pending = std::move(keep);
    return out;
}

std::vector<ReasoningSplitter::Piece> ReasoningSplitter::flush() {
    std::vector<Piece> out;
    add(out, m_state == State::Reasoning ? StreamChannel::Reasoning : StreamChannel::Content, m_pending);
    m_pending.clear();
    return out;
}

bool promptOpensReasoning(std::string_view prompt) {
    const size_t open = prompt.rfind(kOpen);
    if (open == std::string_view::npos) return false;
    const size_t close = prompt.rfind(kClose);
    return close == std::string_view::npos || close < open;
}

}  // namespace assistant
