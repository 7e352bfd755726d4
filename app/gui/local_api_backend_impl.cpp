#include "local_api_backend_impl.h"

#include "api_server.h"

namespace {

class ApiServerBackend final : public LocalApiBackend {
public:
    explicit ApiServerBackend(std::string embedderPath) : m_embedderPath(std::move(embedderPath)) {}
    ~ApiServerBackend() override { stop(); }

    QString start(const LocalApiConfig& c) override {
        stop();
        server::ServerOptions o;
        o.port = c.port;
        o.apiKey = c.token.toStdString();
        o.modelPath = c.modelPath.toStdString();
        o.embedderPath = m_embedderPath;
        o.ragDbPath = c.documentsDb.toStdString();
        // The server has its own sessions (parallel slots), each with the app's context.
        o.contextLength = c.load.contextLength;
        o.threads = c.load.threads;
        o.modelParams.device = c.load.device.isEmpty() ? std::string("auto") : c.load.device.toStdString();
        o.modelParams.gpuLayers = c.load.gpuLayers;
        o.modelParams.threads = c.load.threads;
        auto api = std::make_unique<server::ApiServer>(std::move(o));
        if (auto s = api->start(); !s) return QString::fromStdString(s.error().message);
        m_api = std::move(api);
        return {};
    }
    void stop() override {
        if (m_api) m_api->stop();
        m_api.reset();
    }
    bool isRunning() const override { return m_api && m_api->isRunning(); }
    QString url() const override { return m_api ? QString::fromStdString(m_api->url()) : QString(); }

private:
    std::string m_embedderPath;
    std::unique_ptr<server::ApiServer> m_api;
};

}  // namespace

std::unique_ptr<LocalApiBackend> makeLocalApiBackend(std::string embedderPath) {
    return std::make_unique<ApiServerBackend>(std::move(embedderPath));
}
