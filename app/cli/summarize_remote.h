// summarize --remote (summarize_remote.cpp, or summarize_remote_none.cpp without an
// HTTP client).
#pragma once

#include <expected>
#include <string>

#include "rag/summarize.h"

namespace cli {

// The server writes the summaries of a `contextTokens` context (tokens estimated here:
// its tokenizer is not known). Checks the server and the key first, like chat.
std::expected<rag::SummaryWriter, std::string> remoteSummaryWriter(const std::string& url, const std::string& apiKey,
                                                                   const std::string& model, int contextTokens,
                                                                   std::string& banner);

}  // namespace cli
