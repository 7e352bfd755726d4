#include "chat_controller.h"

#include <QFileInfo>

#include "engine_worker.h"

ChatController::ChatController(QObject* parent) : QObject(parent) {
    qRegisterMetaType<ChatTurn>();
    qRegisterMetaType<QList<ChatTurn>>();
    qRegisterMetaType<GenerationStats>();

    m_thread.setObjectName(QStringLiteral("engine"));
    m_worker = new EngineWorker(m_cancel);
    m_worker->moveToThread(&m_thread);

    // GUI -> worker.
    connect(this, &ChatController::loadRequested, m_worker, &EngineWorker::loadModel,
            Qt::QueuedConnection);
    connect(this, &ChatController::generateRequested, m_worker, &EngineWorker::generate,
            Qt::QueuedConnection);
    // Worker -> GUI.
    connect(m_worker, &EngineWorker::loadProgress, this, &ChatController::onLoadProgress,
            Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::modelLoaded, this, &ChatController::onModelLoaded,
            Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::modelLoadFailed, this, &ChatController::onModelLoadFailed,
            Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::textStreamed, this, &ChatController::onTextStreamed,
            Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::generationFinished, this,
            &ChatController::onGenerationFinished, Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::generationFailed, this, &ChatController::onGenerationFailed,
            Qt::QueuedConnection);

    m_thread.start();
}

ChatController::~ChatController() {
    // The running job returns within one micro-batch; queued jobs are dropped.
    m_cancel = true;
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

void ChatController::setModels(ModelController* models) {
    if (models == m_models) return;
    if (m_models) disconnect(m_models, nullptr, this, nullptr);
    m_models = models;
    if (m_models) {
        connect(m_models, &ModelController::modelChanged, this,
                [this] { loadModel(m_models->modelPath()); });
        loadModel(m_models->modelPath());
    }
    emit modelsChanged();
}

void ChatController::loadModel(const QString& path) {
    if (path.isEmpty()) return;
    const bool alreadyThere = (m_state == State::Ready && path == m_loadedPath) ||
                              (m_state == State::Loading && path == m_loadingPath &&
                               m_pendingPath.isEmpty() && !m_cancel);
    if (alreadyThere) return;
    if (m_state == State::NoModel || m_state == State::Ready) {
        startLoad(path);
        return;
    }
    // Busy: stop the current job; the worker's answer starts the pending load.
    m_pendingPath = path;
    m_cancel = true;
    if (m_state == State::Generating) setState(State::Stopping);
}

bool ChatController::send(const QString& text) {
    const QString trimmed = text.trimmed();
    if (!canSend() || trimmed.isEmpty()) return false;
    m_messages.appendUser(trimmed);
    const QList<ChatTurn> conversation = m_messages.conversation();
    m_answerRow = m_messages.appendAssistant();
    m_cancel = false;
    setState(State::Generating);
    emit generateRequested(conversation);
    return true;
}

void ChatController::stop() {
    if (m_state == State::Loading) {
        m_pendingPath.clear();
        m_cancel = true;
    } else if (m_state == State::Generating) {
        m_cancel = true;
        setState(State::Stopping);
    }
}

void ChatController::clearConversation() {
    if (m_state == State::Generating || m_state == State::Stopping) return;
    m_messages.clear();
    m_answerRow = -1;
}

void ChatController::dismissError() { setError({}); }

void ChatController::startLoad(QString path) {
    m_pendingPath.clear();
    m_loadingPath = path;
    m_cancel = false;
    m_loadProgress = 0;
    emit loadProgressChanged();
    setError({});
    setState(State::Loading);
    emit loadRequested(path);
}

bool ChatController::startPendingLoad() {
    if (m_pendingPath.isEmpty()) return false;
    startLoad(m_pendingPath);
    return true;
}

void ChatController::onLoadProgress(double progress) {
    m_loadProgress = progress;
    emit loadProgressChanged();
}

void ChatController::onModelLoaded(const QString& path, const QString& name) {
    m_loadedPath = path;
    m_loadedModelName = name;
    emit loadedModelChanged();
    if (startPendingLoad()) return;
    setState(State::Ready);
}

void ChatController::onModelLoadFailed(const QString& path, const QString& message,
                                       bool cancelled) {
    // The worker dropped the previous model before trying this one.
    m_loadedPath.clear();
    m_loadedModelName.clear();
    emit loadedModelChanged();
    if (startPendingLoad()) return;
    const QString file = QFileInfo(path).fileName();
    setError(cancelled ? tr("Loading %1 was cancelled.").arg(file)
                       : tr("Could not load %1: %2").arg(file, message));
    setState(State::NoModel);
}

void ChatController::onTextStreamed(const QString& text) {
    // Models often open an answer with a space or a newline; the bubble should not.
    if (m_messages.text(m_answerRow).isEmpty()) {
        qsizetype start = 0;
        while (start < text.size() && text.at(start).isSpace()) ++start;
        m_messages.appendText(m_answerRow, text.mid(start));
        return;
    }
    m_messages.appendText(m_answerRow, text);
}

void ChatController::onGenerationFinished(const GenerationStats& stats) {
    if (m_messages.text(m_answerRow).isEmpty() && stats.stopped)
        m_messages.setStats(m_answerRow, tr("Stopped before the first token."));
    else
        m_messages.setStats(m_answerRow, formatStats(stats));
    m_answerRow = -1;
    if (startPendingLoad()) return;
    setState(State::Ready);
}

void ChatController::onGenerationFailed(const QString& message) {
    if (m_answerRow == m_messages.count() - 1 && m_messages.text(m_answerRow).isEmpty())
        m_messages.removeLast();
    m_messages.appendError(tr("The model could not answer: %1").arg(message));
    m_answerRow = -1;
    if (startPendingLoad()) return;
    setState(State::Ready);
}

void ChatController::setState(State state) {
    if (state == m_state) return;
    m_state = state;
    emit stateChanged();
}

void ChatController::setError(const QString& text) {
    if (text == m_errorText) return;
    m_errorText = text;
    emit errorTextChanged();
}
