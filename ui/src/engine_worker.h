// The engine side of a chat: lives on ChatController's worker thread and is the
// only class in ui/ that calls inference/. Every slot runs to completion on that
// thread; results go back through signals (queued by the controller).
#pragma once

#include <QObject>
#include <QString>
#include <QVariantList>

#include <atomic>
#include <memory>
#include <vector>

#include "chat_types.h"
#include "remote_backend.h"

namespace assistant {
class Model;
class Session;
struct Message;
struct GenerateParams;
}  // namespace assistant

class EngineWorker : public QObject {
    Q_OBJECT

public:
    // cancel: owned by the controller, set from the GUI thread; stops a load (through
    // the progress callback) or a generation (between micro-batches and tokens).
    explicit EngineWorker(const std::atomic<bool>& cancel, QObject* parent = nullptr);
    ~EngineWorker() override;

public slots:
    // Drops the current model, then loads path and creates a session for it.
    void loadModel(const QString& path, const LoadOptions& options);
    // Streams the answer to the last user turn of conversation; with
    // options.documentsDb, from the documents (rag::Answerer, on this thread).
    void generate(const QList<ChatTurn>& conversation, const GenerationOptions& options);
    // Map-reduce summary of an indexed document (rag::summarizeDocument) with this
    // session's model; the final summary streams like an answer.
    void summarize(const QString& dbPath, qint64 documentId);

signals:
    void loadProgress(double progress);  // [0, 1], at most every whole percent
    void modelLoaded(const QString& path, const QString& name);
    void modelLoadFailed(const QString& path, const QString& message, bool cancelled);
    // Coalesced to about one per frame; stats so far (the live stats line).
    void textStreamed(const QString& text, const GenerationStats& stats);
    void generationFinished(const GenerationStats& stats);
    void generationFailed(const QString& message);
    void summaryProgress(const QString& text);  // "Summarizing: part 2 of 5"
    // Before an answer from the documents streams: its sources ([{n, path, page, pageTo,
    // label, excerpt}]), how they were chosen ("whole document used: a.pdf", "hybrid
    // search") and, if the documents could not be used, why (the answer goes on without them).
    void documentsUsed(const QVariantList& sources, const QString& note, const QString& error);

private:
    void loadModelUnguarded(const QString& path, const LoadOptions& options);
    // engine_worker_remote.cpp: a "remote:" path instead of a file; the answer from it.
    void connectRemote(const QString& path, const LoadOptions& options);
    void generateRemote(const std::vector<assistant::Message>& messages, const GenerationOptions& options);
    assistant::GenerateParams generateParams(const GenerationOptions& options) const;
    void generateUnguarded(const QList<ChatTurn>& conversation, const GenerationOptions& options);
    // The messages with the documents' sources in them; emits documentsUsed.
    std::vector<assistant::Message> withDocuments(std::vector<assistant::Message> messages,
                                                  const GenerationOptions& options);

    const std::atomic<bool>& m_cancel;
    std::shared_ptr<const assistant::Model> m_model;
    std::unique_ptr<assistant::Session> m_session;
    // A remote server instead of m_model (remote_backend.h); empty baseUrl: none.
    RemoteEndpoint m_remote;
    int m_remoteContext = 8192;  // tokens the remote model is given (LoadOptions::contextLength)
    // The document index (rag::Answerer) and its embedder, opened and loaded on this
    // thread by the first answer from documents; again when either path changes.
    struct Documents;
    std::unique_ptr<Documents> m_documents;
};
