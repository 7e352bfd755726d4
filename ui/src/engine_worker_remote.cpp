// EngineWorker with a remote OpenAI-compatible server as its model (remote_backend.h):
// connecting checks the server and the key by listing its models; answers stream
// through the same signals as the local engine's, reasoning wrapped in <think> tags
// as a local model writes it.
#include <QElapsedTimer>
#include <QUrl>

#include "assistant/engine.h"
#include "engine_worker.h"
#include "piece_coalescer.h"

void EngineWorker::connectRemote(const QString& path, const LoadOptions& options) {
    QString baseUrl, model;
    if (!parseRemoteModelPath(path, baseUrl, model))
        return emit modelLoadFailed(path, tr("not a server address: %1 (expected http://host:port/v1)").arg(baseUrl), false);
    const std::shared_ptr<RemoteBackend> backend = RemoteBackend::installed();
    if (!backend) return emit modelLoadFailed(path, tr("This build cannot use a remote server."), false);
    emit loadProgress(0.0);
    RemoteEndpoint endpoint{baseUrl.toStdString(), options.remoteApiKey.toStdString(), model.toStdString()};
    auto models = backend->listModels(endpoint);
    if (!models) return emit modelLoadFailed(path, QString::fromStdString(models.error()), false);
    if (endpoint.model.empty()) {
        if (models->empty())
            return emit modelLoadFailed(path, tr("the server at %1 offers no model (yet: it may still be loading one)").arg(baseUrl), false);
        endpoint.model = models->front();
    }
    m_remote = endpoint;
    m_remoteContext = options.contextLength > 0 ? options.contextLength : 8192;
    emit loadProgress(1.0);
    emit modelLoaded(path, tr("%1 (on %2)").arg(QString::fromStdString(endpoint.model), QUrl(baseUrl).host()));
}

void EngineWorker::generateRemote(const std::vector<assistant::Message>& messages, const GenerationOptions& options) {
    const std::shared_ptr<RemoteBackend> backend = RemoteBackend::installed();
    if (!backend) return emit generationFailed(tr("This build cannot use a remote server."));
    QElapsedTimer clock;
    clock.start();
    PieceCoalescer coalescer;
    GenerationStats stats;
    stats.device = tr("remote %1").arg(QUrl(QString::fromStdString(m_remote.baseUrl)).host());
    bool inReasoning = false;
    const auto sink = [&](std::string_view piece, const assistant::GenerateStats& s) {
        if (stats.generatedTokens == 0) stats.timeToFirstTokenMs = static_cast<double>(clock.nsecsElapsed()) / 1e6;
        stats.generatedTokens = s.generatedTokens;
        const bool reasoning = s.channel == assistant::StreamChannel::Reasoning;
        QString text = QString::fromUtf8(piece.data(), static_cast<qsizetype>(piece.size()));
        if (reasoning != inReasoning) text.prepend(reasoning ? QStringLiteral("<think>") : QStringLiteral("</think>"));
        inReasoning = reasoning;
        const double seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
        stats.tokensPerSecond = seconds > 0 ? stats.generatedTokens / seconds : 0;
        if (coalescer.add(text, clock.elapsed())) emit textStreamed(coalescer.take(clock.elapsed()), stats);
        return !m_cancel.load();
    };
    const assistant::GenerateParams params = generateParams(options);
    auto reply = backend->streamChat(m_remote, std::span<const assistant::Message>(messages), params, sink);
    if (inReasoning) coalescer.add(QStringLiteral("</think>"), clock.elapsed());
    if (!coalescer.isEmpty()) emit textStreamed(coalescer.take(clock.elapsed()), stats);
    if (!reply) return emit generationFailed(QString::fromStdString(reply.error()));
    stats.promptTokens = reply->promptTokens;
    if (reply->completionTokens > 0) stats.generatedTokens = reply->completionTokens;
    stats.stopped = reply->finishReason == "cancelled" || m_cancel.load();
    emit generationFinished(stats);
}
