#include "engine_worker.h"

#include <QElapsedTimer>

#include <exception>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "gpu_memory.h"
#include "piece_coalescer.h"

namespace {

// "not a GGUF file (...) [InvalidFormat]": the message and its code
QString describe(const assistant::Error& error) {
    return QStringLiteral("%1 [%2]").arg(QString::fromStdString(error.message),
                                         QString::fromUtf8(assistant::errorCodeName(error.code)));
}

GenerationStats toQt(const assistant::GenerateStats& s, bool stopped) {
    GenerationStats out;
    out.promptTokens = s.promptTokens;
    out.generatedTokens = s.generatedTokens;
    out.timeToFirstTokenMs = s.timeToFirstTokenMs;
    out.tokensPerSecond = s.generatedTokensPerSecond;
    out.draftedTokens = s.draftedTokens;
    out.acceptedDraftTokens = s.acceptedDraftTokens;
    out.contextUsed = s.contextUsed;
    out.contextSize = s.contextSize;
    out.device = QString::fromStdString(s.device);
    out.stopped = stopped;
    return out;
}

}  // namespace

// The engine promises no exceptions, but std::bad_alloc (or a bug) can escape any
// C++ code, and an exception unwinding through Qt's event loop aborts the app. The
// slots below turn one into an ordinary error the user sees.
void EngineWorker::loadModel(const QString& path, const LoadOptions& options) {
    try {
        loadModelUnguarded(path, options);
    } catch (const std::exception& e) {
        m_session.reset();
        m_model.reset();
        emit modelLoadFailed(path, tr("internal engine error: %1").arg(QString::fromUtf8(e.what())), false);
    }
}

void EngineWorker::generate(const QList<ChatTurn>& conversation, const GenerationOptions& options) {
    try {
        generateUnguarded(conversation, options);
    } catch (const std::exception& e) {
        emit generationFailed(tr("internal engine error: %1").arg(QString::fromUtf8(e.what())));
    }
}

void EngineWorker::loadModelUnguarded(const QString& path, const LoadOptions& options) {
    // Free the old model first: two models may not fit in memory together.
    m_session.reset();
    m_model.reset();
    m_remote = {};
    if (isRemoteModelPath(path)) return connectRemote(path, options);

    int lastPercent = -1;
    assistant::ModelParams params;
    params.device = options.device.isEmpty() ? std::string("auto") : options.device.toStdString();
    params.gpuLayers = options.gpuLayers;
    // The GPU memory setting; auto: 90% of what the chosen GPU has free now (the old model
    // is gone already), as the model list's estimate assumed.
    params.gpuMemory = gpuMemoryBudget(options.gpuMemory, options.gpuMemory ? 0 : assistant::deviceFreeMemory(params.device));
    params.threads = options.threads;
    params.progress = [this, &lastPercent](float progress) {
        const int percent = static_cast<int>(std::lround(progress * 100.0f));
        if (percent != lastPercent) {
            lastPercent = percent;
            emit loadProgress(percent / 100.0);
        }
        return !m_cancel.load();
    };

    auto model = assistant::Model::load(path.toStdString(), params);
    if (!model) {
        emit modelLoadFailed(path, describe(model.error()),
                             model.error().code == assistant::ErrorCode::Cancelled);
        return;
    }
    assistant::SessionParams sessionParams;
    sessionParams.contextLength = options.contextLength;
    sessionParams.threads = options.threads;
    auto session = assistant::Session::create(*model, sessionParams);
    if (!session) {
        emit modelLoadFailed(path, describe(session.error()), false);
        return;
    }
    m_model = std::move(*model);
    m_session = std::move(*session);
    const assistant::ModelInfo& info = m_model->info();
    emit modelLoaded(path, modelTitle(QString::fromStdString(info.name), QString::fromStdString(info.architecture), path));
}

assistant::GenerateParams EngineWorker::generateParams(const GenerationOptions& options) const {
    assistant::GenerateParams params;
    params.cancel = &m_cancel;
    params.maxTokens = options.maxTokens;
    params.sampling.temperature = static_cast<float>(options.temperature);
    params.sampling.topK = options.topK;
    params.sampling.topP = static_cast<float>(options.topP);
    params.sampling.minP = static_cast<float>(options.minP);
    params.sampling.repeatPenalty = static_cast<float>(options.repeatPenalty);
    if (options.draftTokens > 0) {
        params.speculative.draft = assistant::SpeculativeParams::Draft::PromptLookup;
        params.speculative.maxDraftTokens = options.draftTokens;
    }
    return params;
}

void EngineWorker::generateUnguarded(const QList<ChatTurn>& conversation, const GenerationOptions& options) {
    if (!m_session && m_remote.baseUrl.empty()) {
        emit generationFailed(tr("No model is loaded."));
        return;
    }
    std::vector<assistant::Message> messages;
    messages.reserve(conversation.size());
    for (const ChatTurn& turn : conversation)
        messages.push_back({turn.role.toStdString(), turn.content.toStdString()});
    if (!options.documentsDb.isEmpty()) messages = withDocuments(std::move(messages), options);
    if (!m_remote.baseUrl.empty()) return generateRemote(messages, options);

    const assistant::GenerateParams params = generateParams(options);

    QElapsedTimer clock;
    clock.start();
    PieceCoalescer coalescer;
    assistant::GenerateStats lastStats;
    const auto sink = [&](std::string_view piece, const assistant::GenerateStats& stats) {
        lastStats = stats;
        const QString text = QString::fromUtf8(piece.data(), static_cast<qsizetype>(piece.size()));
        if (coalescer.add(text, clock.elapsed()))
            emit textStreamed(coalescer.take(clock.elapsed()), toQt(stats, false));
        return !m_cancel.load();
    };

    auto result = m_session->generate(std::span<const assistant::Message>(messages), params, sink);
    if (!coalescer.isEmpty()) emit textStreamed(coalescer.take(clock.elapsed()), toQt(lastStats, false));

    if (result) {
        const bool stopped = result->stopReason == assistant::StopReason::Cancelled;
        emit generationFinished(toQt(result->stats, stopped));
    } else if (result.error().code == assistant::ErrorCode::Cancelled) {
        emit generationFinished(toQt({}, true));
    } else {
        emit generationFailed(describe(result.error()));
    }
}

