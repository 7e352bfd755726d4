#include "remote_embedder.h"

#include <algorithm>
#include <memory>

#include "json/json.h"
#include "remote_http.h"

namespace remote {

using json::Array;
using json::Object;
using json::Value;

namespace {

// One request's answer: the vectors in input order and the model the server named.
struct Batch {
    std::vector<std::vector<float>> vectors;
    std::string model;
};

std::expected<Batch, std::string> readAnswer(const std::string& url, const std::string& body, size_t inputs) {
    const auto j = Value::parse(body);
    if (!j || !(*j)["data"].isArray())
        return std::unexpected(url + ": the answer is not an embedding list (no \"data\" array): " + body.substr(0, 120));
    const Array& data = (*j)["data"].asArray();
    if (data.size() != inputs)
        return std::unexpected(url + ": " + std::to_string(data.size()) + " vectors came back for " +
                               std::to_string(inputs) + " texts");
    Batch out;
    out.vectors.resize(inputs);
    for (size_t i = 0; i < data.size(); ++i) {
        const Value& item = data[i];
        const Value& index = item["index"];
        const size_t at = index.isInteger() && index.asInt() >= 0 ? static_cast<size_t>(index.asInt()) : i;
        const Value& values = item["embedding"];
        if (at >= inputs || !out.vectors[at].empty() || !values.isArray() || values.size() == 0)
            return std::unexpected(url + ": entry " + std::to_string(i) +
                                   " is not {\"index\", \"embedding\": [numbers]} (base64 answers are not read)");
        for (const Value& v : values.asArray()) {
            if (!v.isNumber()) return std::unexpected(url + ": entry " + std::to_string(i) + " holds a value that is not a number");
            out.vectors[at].push_back(static_cast<float>(v.asNumber()));
        }
    }
    if ((*j)["model"].isString()) out.model = (*j)["model"].asString();
    return out;
}

std::expected<Batch, std::string> post(const Endpoint& e, std::span<const std::string> texts) {
    auto target = splitUrl(e.baseUrl);
    if (!target) return std::unexpected(target.error());
    auto http = client(e, *target);
    const std::string url = e.baseUrl + "/embeddings";
    Value body = Object{{"input", Array(texts.begin(), texts.end())}, {"encoding_format", "float"}};
    if (!e.model.empty()) body.set("model", e.model);
    auto res = http->Post(target->prefix + "/embeddings", body.dump(), "application/json");
    if (!res) return std::unexpected(transportError(url, res.error(), e.readTimeoutSeconds));
    if (res->status != 200) return std::unexpected(url + ": " + serverMessage(res->status, res->body));
    return readAnswer(url, res->body, texts.size());
}

}  // namespace

std::expected<std::vector<std::vector<float>>, std::string> EmbeddingClient::embed(std::span<const std::string> texts) const {
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    for (size_t i = 0; i < texts.size(); i += kMaxInputsPerRequest) {
        auto batch = post(m_endpoint, texts.subspan(i, std::min(kMaxInputsPerRequest, texts.size() - i)));
        if (!batch) return std::unexpected(batch.error());
        for (auto& v : batch->vectors) out.push_back(std::move(v));
    }
    return out;
}

std::expected<rag::Embedder, std::string> connectEmbedder(const Endpoint& endpoint) {
    Endpoint e = endpoint;
    while (!e.baseUrl.empty() && e.baseUrl.back() == '/') e.baseUrl.pop_back();
    const std::string probe[] = {"probe"};
    auto first = post(e, probe);
    if (!first) return std::unexpected(first.error());
    if (e.model.empty()) e.model = first->model;
    if (e.model.empty())
        return std::unexpected(e.baseUrl + "/embeddings names no model; give one (--embedding-model)");
    const int dims = static_cast<int>(first->vectors.front().size());
    const std::string identity = std::string(rag::kRemoteEmbedderPrefix) + e.baseUrl + "#" + e.model;
    return rag::Embedder(std::make_shared<EmbeddingClient>(e), e.model, identity, dims);
}

}  // namespace remote
