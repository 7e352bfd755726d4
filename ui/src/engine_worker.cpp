#include "engine_worker.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QStringList>
#include <QVariantMap>

#include <cmath>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "assistant/engine.h"
#ifdef ASSISTANT_HAVE_RAG
#include "rag/answerer.h"
#include "rag/store.h"
#include "rag/summarize.h"
#endif
#include "piece_coalescer.h"

namespace {

// "model loading is not implemented yet (...) [NotImplemented]"
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
    out.contextUsed = s.contextUsed;
    out.contextSize = s.contextSize;
    out.device = QString::fromStdString(s.device);
    out.stopped = stopped;
    return out;
}

#ifdef ASSISTANT_HAVE_RAG
QString qs(const std::string& s) { return QString::fromStdString(s); }

// The line under the answer that says what the model was given.
QString documentsNote(const rag::PreparedAnswer& a, const QString& embedderProblem) {
    auto file = [](const std::string& path) { return QFileInfo(qs(path)).fileName(); };
    if (a.basis == rag::AnswerBasis::WholeCollection) {
        const int n = static_cast<int>(a.wholeDocuments.size());
        return n == 1 ? EngineWorker::tr("whole document used: %1").arg(file(a.wholeDocuments.front()))
                      : EngineWorker::tr("all %n documents used whole", nullptr, n);
    }
    QStringList parts;
    if (a.basis == rag::AnswerBasis::WholeDocument)
        parts << EngineWorker::tr("whole document used: %1").arg(file(a.wholeDocuments.front()));
    if (a.search == rag::SearchMode::Hybrid) parts << EngineWorker::tr("hybrid search");
    else if (!embedderProblem.isEmpty()) parts << EngineWorker::tr("keyword search only: %1").arg(embedderProblem);
    else parts << EngineWorker::tr("keyword search only: the documents have no vectors yet");
    return parts.join(QStringLiteral(" · "));
}

QVariantList sourcesForQml(const std::vector<rag::Source>& sources) {
    QVariantList out;
    for (const rag::Source& s : sources)
        out.append(QVariantMap{{QStringLiteral("n"), s.n},
                               {QStringLiteral("path"), qs(s.path)},
                               {QStringLiteral("page"), s.pageFrom},
                               {QStringLiteral("pageTo"), s.pageTo},
                               {QStringLiteral("label"), qs(rag::sourceLabel(s))},
                               {QStringLiteral("excerpt"), qs(s.excerpt)}});
    return out;
}
#endif

}  // namespace

struct EngineWorker::Documents {
#ifdef ASSISTANT_HAVE_RAG
    std::optional<rag::Answerer> answerer;
#endif
    QString db;
    QString embedderPath;
    QString embedderProblem;  // why there is no embedder; empty when there is one
};

EngineWorker::EngineWorker(const std::atomic<bool>& cancel, QObject* parent)
    : QObject(parent), m_cancel(cancel) {}

EngineWorker::~EngineWorker() = default;

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

    int lastPercent = -1;
    assistant::ModelParams params;
    params.device = options.device.isEmpty() ? std::string("auto") : options.device.toStdString();
    params.gpuLayers = options.gpuLayers;
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

void EngineWorker::generateUnguarded(const QList<ChatTurn>& conversation, const GenerationOptions& options) {
    if (!m_session) {
        emit generationFailed(tr("No model is loaded."));
        return;
    }
    std::vector<assistant::Message> messages;
    messages.reserve(conversation.size());
    for (const ChatTurn& turn : conversation)
        messages.push_back({turn.role.toStdString(), turn.content.toStdString()});
    if (!options.documentsDb.isEmpty()) messages = withDocuments(std::move(messages), options);

    assistant::GenerateParams params;
    params.cancel = &m_cancel;
    params.maxTokens = options.maxTokens;
    params.sampling.temperature = static_cast<float>(options.temperature);
    params.sampling.topK = options.topK;
    params.sampling.topP = static_cast<float>(options.topP);
    params.sampling.minP = static_cast<float>(options.minP);
    params.sampling.repeatPenalty = static_cast<float>(options.repeatPenalty);

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

std::vector<assistant::Message> EngineWorker::withDocuments(std::vector<assistant::Message> messages,
                                                           const GenerationOptions& options) {
#ifdef ASSISTANT_HAVE_RAG
    if (!m_documents) m_documents = std::make_unique<Documents>();
    Documents& d = *m_documents;
    if (!d.answerer || d.db != options.documentsDb || d.embedderPath != options.embedderPath) {
        d.answerer.reset();
        d.embedderProblem = tr("no embedder");
        std::optional<rag::Embedder> embedder;
        if (!options.embedderPath.isEmpty()) {
            auto loaded = rag::Embedder::load(options.embedderPath.toStdString());
            if (loaded) embedder = std::move(*loaded);
            else d.embedderProblem = tr("the embedder could not be loaded (%1)").arg(qs(loaded.error()));
        }
        if (embedder) d.embedderProblem.clear();
        auto opened = rag::Answerer::open(options.documentsDb.toStdString(), std::move(embedder));
        if (!opened) {
            emit documentsUsed({}, {}, qs(opened.error()));
            return messages;
        }
        d.answerer.emplace(std::move(*opened));
        d.db = options.documentsDb;
        d.embedderPath = options.embedderPath;
    }
    rag::AnswerOptions answer;
    answer.contextTokens = m_session->contextSize();
    answer.answerTokens = options.maxTokens > 0 ? std::min(options.maxTokens, answer.contextTokens / 2)
                                                : std::min(512, answer.contextTokens / 4);
    answer.countTokens = rag::modelTokenCounter(m_model);
    auto prepared = d.answerer->prepare(messages, answer);
    if (!prepared) {
        emit documentsUsed({}, {}, qs(prepared.error()));
        return messages;
    }
    emit documentsUsed(sourcesForQml(prepared->sources), documentsNote(*prepared, d.embedderProblem), {});
    return std::move(prepared->messages);
#else
    Q_UNUSED(options)
    emit documentsUsed({}, {}, tr("this build has no document index"));
    return messages;
#endif
}

void EngineWorker::summarize(const QString& dbPath, qint64 documentId) {
#ifdef ASSISTANT_HAVE_RAG
    try {
        if (!m_session) return emit generationFailed(tr("No model is loaded."));
        auto store = rag::Store::open(dbPath.toStdString());
        if (!store) return emit generationFailed(QString::fromStdString(store.error()));
        QElapsedTimer clock;
        clock.start();
        PieceCoalescer coalescer;
        rag::SummarizeOptions options;
        options.cancel = &m_cancel;
        options.onProgress = [this](std::string_view stage, int done, int total) {
            emit summaryProgress(stage == "map" ? tr("Summarizing: part %1 of %2").arg(done).arg(total)
                                                : tr("Summarizing: combining, step %1 of %2").arg(done).arg(total));
        };
        options.onFinalPiece = [&](std::string_view piece) {
            const QString text = QString::fromUtf8(piece.data(), static_cast<qsizetype>(piece.size()));
            if (coalescer.add(text, clock.elapsed())) emit textStreamed(coalescer.take(clock.elapsed()), {});
            return !m_cancel.load();
        };
        auto result = rag::summarizeDocument(*store, documentId, *m_session, options);
        if (!coalescer.isEmpty()) emit textStreamed(coalescer.take(clock.elapsed()), {});
        if (!result) return emit generationFailed(QString::fromStdString(result.error()));
        GenerationStats stats;
        stats.stopped = result->cancelled || m_cancel.load();
        emit summaryProgress(tr("Summary of %n part(s)", nullptr, result->sections) +
                             (result->cachedSections > 0 ? tr(" (%1 from the cache)").arg(result->cachedSections) : QString()));
        emit generationFinished(stats);
    } catch (const std::exception& e) {
        emit generationFailed(tr("internal engine error: %1").arg(QString::fromUtf8(e.what())));
    }
#else
    Q_UNUSED(dbPath)
    Q_UNUSED(documentId)
    emit generationFailed(tr("this build has no document index"));
#endif
}
