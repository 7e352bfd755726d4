#include "engine/stop_matcher.h"

#include <algorithm>

namespace assistant {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
    for (std::string& s : stops)
        if (!s.empty()) m_stops.push_back(std::move(s));
}

std::string StopMatcher::push(std::string_view text) {
    if (m_stopped) return {};
    m_pending += text;
    size_t stopAt = std::string::npos;
    for (const std::string& s : m_stops) stopAt = std::min(stopAt, m_pending.find(s));
    if (stopAt != std::string::npos) {
        m_stopped = true;
        std::string out = m_pending.substr(0, stopAt);
        m_pending.clear();
        return out;
    }
    // Keep the longest tail that is a proper prefix of some stop string.
    size_t keep = 0;
    for (const std::string& s : m_stops) {
        for (size_t len = std::min(s.size() - 1, m_pending.size()); len > keep; --len) {
            if (m_pending.compare(m_pending.size() - len, len, s, 0, len) == 0) {
                keep = len;
                break;
            }
        }
    }
    std::string out = m_pending.substr(0, m_pending.size() - keep);
    m_pending.erase(0, m_pending.size() - keep);
    return out;
}

std::string StopMatcher::flush() {
    std::string out;
    out.swap(m_pending);
    return m_stopped ? std::string() : out;
}

}  // namespace assistant
