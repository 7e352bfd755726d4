// What the remote clients (chat, embeddings) share: the base URL split for httplib, a
// client with the endpoint's timeouts and key, and error texts that say what went wrong.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include <httplib.h>

#include "remote_chat.h"

namespace remote {

// "http://host:8000/v1" -> {"http://host:8000", "/v1"}.
struct Target {
    std::string origin, prefix;
};
// Errors for what is not an http(s) URL or names no host.
std::expected<Target, std::string> splitUrl(const std::string& url);

std::unique_ptr<httplib::Client> client(const Endpoint& endpoint, const Target& target);

// The server's own words for a failed request: OpenAI's {"error": {"message"}}, Ollama's
// {"error": "..."}, or the start of the body; "HTTP 401: ... (check the API key)".
std::string serverMessage(int status, const std::string& body);

// "cannot reach URL (is the server running?)", "URL stopped answering (...)", ...
std::string transportError(const std::string& url, httplib::Error e, int readTimeout);

}  // namespace remote
