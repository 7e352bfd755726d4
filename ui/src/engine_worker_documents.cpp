// The engine worker's document verbs with rag/: answers prepared by rag::Answerer
// (sources, whole documents or hybrid search) and map-reduce summaries.
// engine_worker_no_documents.cpp stands in without rag/; CMake picks one.
#include <QElapsedTimer>
#include <QFileInfo>
#include <QStringList>
#include <QVariantMap>

#include <algorithm>
#include <exception>
#include <optional>

#include "document_embedder.h"
#include "engine_worker.h"
#include "piece_coalescer.h"
#include "rag/answerer.h"
#include "rag/prompt.h"
#include "rag/store.h"
#include "rag/summarize.h"

namespace {

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

}  // namespace

struct EngineWorker::Documents {
    std::optional<rag::Answerer> answerer;
    QString db;
    QString embedderPath, embedderApiKey, embedderDevice;
    QString embedderProblem;  // why there is no embedder; empty when there is one
};

EngineWorker::EngineWorker(const std::atomic<bool>& cancel, QObject* parent)
    : QObject(parent), m_cancel(cancel) {}

EngineWorker::~EngineWorker() = default;

std::vector<assistant::Message> EngineWorker::withDocuments(std::vector<assistant::Message> messages,
                                                           const GenerationOptions& options) {
    if (!m_documents) m_documents = std::make_unique<Documents>();
    Documents& d = *m_documents;
    if (!d.answerer || d.db != options.documentsDb || d.embedderPath != options.embedderPath ||
        d.embedderApiKey != options.embedderApiKey || d.embedderDevice != options.embedderDevice) {
        d.answerer.reset();
        d.embedderProblem = tr("no embedder");
        std::optional<rag::Embedder> embedder;
        if (!options.embedderPath.isEmpty()) {
            // a request when remote
            auto loaded = loadDocumentEmbedder(options.embedderPath, options.embedderApiKey, options.embedderDevice);
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
        d.embedderApiKey = options.embedderApiKey;
        d.embedderDevice = options.embedderDevice;
    }
    rag::AnswerOptions answer;
    // A remote model's tokenizer is not here: its context is what the settings say
    // (8192 when they leave it to the model) and its tokens are estimated.
    answer.contextTokens = m_session ? m_session->contextSize() : m_remoteContext;
    answer.answerTokens = options.maxTokens > 0 ? std::min(options.maxTokens, answer.contextTokens / 2)
                                                : std::min(512, answer.contextTokens / 4);
    answer.countTokens = m_model ? rag::modelTokenCounter(m_model) : rag::TokenCounter(rag::estimateTokens);
    auto prepared = d.answerer->prepare(messages, answer);
    if (!prepared) {
        emit documentsUsed({}, {}, qs(prepared.error()));
        return messages;
    }
    emit documentsUsed(sourcesForQml(prepared->sources), documentsNote(*prepared, d.embedderProblem), {});
    return std::move(prepared->messages);
}

void EngineWorker::summarize(const QString& dbPath, qint64 documentId) {
    try {
        if (!m_session)
            return emit generationFailed(m_remote.baseUrl.empty() ? tr("No model is loaded.")
                                                                  : tr("Summaries run on a local model: open one in Models."));
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
}
