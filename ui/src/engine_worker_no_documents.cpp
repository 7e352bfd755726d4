// The engine worker's document verbs in a build without rag/ (ASSISTANT_WITH_RAG=OFF):
// each says that this build has no document index.
#include "engine_worker.h"

#include "assistant/engine.h"

struct EngineWorker::Documents {};

EngineWorker::EngineWorker(const std::atomic<bool>& cancel, QObject* parent)
    : QObject(parent), m_cancel(cancel) {}

EngineWorker::~EngineWorker() = default;

std::vector<assistant::Message> EngineWorker::withDocuments(std::vector<assistant::Message> messages,
                                                           const GenerationOptions&) {
    emit documentsUsed({}, {}, tr("this build has no document index"));
    return messages;
}

void EngineWorker::summarize(const QString&, qint64) {
    emit generationFailed(tr("this build has no document index"));
}
