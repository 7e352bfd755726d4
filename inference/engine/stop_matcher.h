// Holds back generated text that could be the start of a stop string, so a stop
// string is never emitted, not even in part.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace assistant {

class StopMatcher {
public:
    explicit StopMatcher(std::vector<std::string> stops);

    // Adds text; returns what can be emitted now. Sets stopped() when a stop string
    // completed (the text before it is returned, the stop string and after dropped).
    std::string push(std::string_view text);
    // The held-back tail at the end of generation (empty after a stop).
    std::string flush();
    bool stopped() const { return m_stopped; }

private:
    std::vector<std::string> m_stops;
    std::string m_pending;
    bool m_stopped = false;
};

}  // namespace assistant
