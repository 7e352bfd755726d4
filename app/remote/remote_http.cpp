#include "remote_http.h"

#include "json/json.h"

namespace remote {


std::expected<Target, std::string> splitUrl(const std::string& url) {
    const size_t scheme = url.find("://");
    if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0))
        return std::unexpected("'" + url + "' is not an http:// or https:// URL (give the base URL with /v1)");
    const size_t slash = url.find('/', scheme + 3);
    Target t{url.substr(0, slash), slash == std::string::npos ? std::string() : url.substr(slash)};
    while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
    if (t.origin.size() <= scheme + 3) return std::unexpected("'" + url + "' names no host");
    return t;
}

std::unique_ptr<httplib::Client> client(const Endpoint& e, const Target& t) {
    auto c = std::make_unique<httplib::Client>(t.origin);
    c->set_connection_timeout(e.connectTimeoutSeconds, 0);
    c->set_read_timeout(e.readTimeoutSeconds, 0);
    c->set_write_timeout(30, 0);
    if (!e.apiKey.empty()) c->set_bearer_token_auth(e.apiKey);
    return c;
}

// The server's own words for a failed request: OpenAI's {"error": {"message"}},
// Ollama's {"error": "..."}, or the start of the body.
std::string serverMessage(int status, const std::string& body) {
    std::string what;
    if (auto j = json::Value::parse(body)) {
        const json::Value& e = (*j)["error"];  // null when absent
        what = e.isString() ? e.asString() : e["message"].asString();
    }
    if (what.empty()) what = body.substr(0, 200);
    std::string hint = status == 401 || status == 403 ? " (check the API key)" : status == 404 ? " (check the URL and the model)" : "";
    return "HTTP " + std::to_string(status) + (what.empty() ? "" : ": " + what) + hint;
}

std::string transportError(const std::string& url, httplib::Error e, int readTimeout) {
    switch (e) {
        case httplib::Error::Connection:
        case httplib::Error::ConnectionTimeout: return "cannot reach " + url + " (is the server running?)";
        case httplib::Error::Read: return url + " stopped answering (no data for " + std::to_string(readTimeout) + " s, or the connection dropped)";
        case httplib::Error::SSLConnection:
        case httplib::Error::SSLServerVerification: return url + ": the TLS connection failed (" + httplib::to_string(e) + ")";
        default: return url + ": " + httplib::to_string(e);
    }
}

}  // namespace remote
