// The engine side of a chat: lives on ChatController's worker thread and is the
// only class in ui/ that calls inference/. Every slot runs to completion on that
// thread; results go back through signals (queued by the controller).
#pragma once

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

#include "chat_types.h"

namespace assistant {
class Model;
class Session;
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
    // Streams the answer to the last user turn of conversation.
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

private:
    void loadModelUnguarded(const QString& path, const LoadOptions& options);
    void generateUnguarded(const QList<ChatTurn>& conversation, const GenerationOptions& options);

    const std::atomic<bool>& m_cancel;
    std::shared_ptr<const assistant::Model> m_model;
    std::unique_ptr<assistant::Session> m_session;
};
