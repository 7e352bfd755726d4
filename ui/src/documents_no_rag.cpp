// The documents view in a build without rag/ (ASSISTANT_WITH_RAG=OFF): no index, so
// available() is false, the list stays empty and indexing verbs do nothing (add()
// and unlock() already say "This build has no document index").
#include "documents_controller.h"

void IndexerDeleter::operator()(rag::Indexer*) const {}  // none is ever created here

void DocumentWorker::list() { emit listed({}); }
void DocumentWorker::remove(qint64) {}

bool DocumentsController::available() const { return false; }
bool DocumentsController::paused() const { return false; }
void DocumentsController::startRun() {}
void DocumentsController::pollRun() {}
void DocumentsController::pause() {}
void DocumentsController::resume() {}
void DocumentsController::cancel() {}
