#include "chat_controller.h"

#include <QFileInfo>
#include <QUrl>

#include "engine_worker.h"
#include "remote_backend.h"

ChatController::ChatController(QObject* parent) : QObject(parent) {
    qRegisterMetaType<ChatTurn>();
    qRegisterMetaType<QList<ChatTurn>>();
    qRegisterMetaType<GenerationStats>();
    qRegisterMetaType<GenerationOptions>();
    qRegisterMetaType<LoadOptions>();

    m_thread.setObjectName(QStringLiteral("engine"));
    m_worker = new EngineWorker(m_cancel);
    m_worker->moveToThread(&m_thread);

    // GUI -> worker.
    connect(this, &ChatController::loadRequested, m_worker, &EngineWorker::loadModel, Qt::QueuedConnection);
    connect(this, &ChatController::generateRequested, m_worker, &EngineWorker::generate, Qt::QueuedConnection);
    connect(this, &ChatController::summarizeRequested, m_worker, &EngineWorker::summarize, Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::summaryProgress, this, [this](const QString& text) {
        if (m_summarizing) m_messages.setStats(m_answerRow, text);
    }, Qt::QueuedConnection);
    // Worker -> GUI.
    connect(m_worker, &EngineWorker::loadProgress, this, &ChatController::onLoadProgress, Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::modelLoaded, this, &ChatController::onModelLoaded, Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::modelLoadFailed, this, &ChatController::onModelLoadFailed,
            Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::textStreamed, this, &ChatController::onTextStreamed, Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::generationFinished, this, &ChatController::onGenerationFinished,
            Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::generationFailed, this, &ChatController::onGenerationFailed,
            Qt::QueuedConnection);
    connect(m_worker, &EngineWorker::documentsUsed, this, &ChatController::onDocumentsUsed, Qt::QueuedConnection);
    // The conversation verbs.
    connect(&m_conversations, &ConversationController::switched, this, &ChatController::onConversationSwitched);
    connect(&m_conversations, &ConversationController::failed, this, &ChatController::setError);

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
        connect(m_models, &ModelController::modelChanged, this, [this] { loadModel(m_models->modelPath()); });
        loadModel(m_models->modelPath());
    }
    emit modelsChanged();
}

void ChatController::setStorage(AppStorage* storage) {
    if (storage == m_conversations.storage()) return;
    m_conversations.setStorage(storage);
    emit storageChanged();
}

void ChatController::setSettings(SettingsController* settings) {
    if (settings == m_settings) return;
    if (m_settings) disconnect(m_settings, &SettingsController::paramsChanged, this, nullptr);
    m_settings = settings;
    if (m_settings) connect(m_settings, &SettingsController::paramsChanged, this, &ChatController::reloadNeededChanged);
    if (m_settings && !m_loadedPath.isEmpty()) m_settings->setModelKey(QFileInfo(m_loadedPath).fileName());
    emit settingsChanged();
}

void ChatController::setDocuments(DocumentsController* documents) {
    if (documents == m_documents) return;
    m_documents = documents;
    emit documentsChanged();
}

void ChatController::setUseDocuments(bool use) {
    if (use == m_useDocuments) return;
    m_useDocuments = use;
    emit useDocumentsChanged();
}

LoadOptions ChatController::loadOptions() const { return m_settings ? m_settings->loadOptions() : LoadOptions{}; }

void ChatController::loadModel(const QString& path) {
    if (path.isEmpty()) return;
    // The preset of the model about to load decides its load options.
    if (m_settings) m_settings->setModelKey(isRemoteModelPath(path) ? path : QFileInfo(path).fileName());
    const bool alreadyThere =
        (m_state == State::Ready && path == m_loadedPath && loadOptions() == m_loadedOptions) ||
        (m_state == State::Loading && path == m_loadingPath && m_pendingPath.isEmpty() && !m_cancel);
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

void ChatController::connectRemote() {
    if (!m_settings || m_settings->remoteUrl().isEmpty()) return setError(tr("Enter the server's address first."));
    loadModel(remoteModelPath(m_settings->remoteUrl(), m_settings->remoteModel()));
}

bool ChatController::remote() const { return isRemoteModelPath(m_loadedPath); }

QString ChatController::remoteHost() const {
    QString url, model;
    return parseRemoteModelPath(m_loadedPath, url, model) ? QUrl(url).host() : QString();
}

void ChatController::reloadModel() {
    const QString path = !m_loadedPath.isEmpty() ? m_loadedPath : m_models ? m_models->modelPath() : QString();
    loadModel(path);
}

bool ChatController::send(const QString& text) {
    const QString trimmed = text.trimmed();
    if (!canSend() || trimmed.isEmpty()) return false;
    m_messages.appendUser(trimmed);
    m_conversations.nameAfter(trimmed);
    startAnswer();
    return true;
}

bool ChatController::regenerate() {
    if (!canSend()) return false;
    int lastUser = m_messages.count() - 1;
    while (lastUser >= 0 && m_messages.role(lastUser) != QLatin1String("user")) --lastUser;
    if (lastUser < 0) return false;
    m_messages.removeFrom(lastUser + 1);
    startAnswer();
    return true;
}

bool ChatController::editMessage(int row, const QString& text) {
    if (!canSend() || m_messages.role(row) != QLatin1String("user") || text.trimmed().isEmpty()) return false;
    m_messages.removeFrom(row);
    return send(text);
}

bool ChatController::summarizeDocument(qint64 documentId, const QString& fileName) {
    if (!canSend() || !m_documents || !m_documents->available() || documentId <= 0) return false;
    const QString request = tr("Summarize “%1”").arg(fileName);
    m_messages.appendUser(request);
    m_conversations.nameAfter(request);
    m_answerRow = m_messages.appendAssistant();
    m_cancel = false;
    m_summarizing = true;
    setState(State::Generating);
    saveConversation();
    emit summarizeRequested(m_documents->databasePath(), documentId);
    return true;
}

void ChatController::startAnswer() {
    QList<ChatTurn> conversation = m_messages.conversation();
    m_answerRow = m_messages.appendAssistant();
    m_answerNote.clear();
    m_cancel = false;
    setState(State::Generating);
    saveConversation();
    if (m_settings && !m_settings->systemPrompt().trimmed().isEmpty()) {
        if (!conversation.isEmpty() && conversation.first().role == QLatin1String("system"))
            conversation.first().content.prepend(m_settings->systemPrompt().trimmed() + QStringLiteral("\n\n"));
        else
            conversation.prepend({QStringLiteral("system"), m_settings->systemPrompt().trimmed()});
    }
    GenerationOptions options = m_settings ? m_settings->generationOptions() : GenerationOptions{};
    if (m_useDocuments && m_documents && m_documents->available()) {
        // The engine worker picks the sources (it has the tokenizer and the embedder).
        options.documentsDb = m_documents->databasePath();
        options.embedderPath = m_documents->embedderPath();
        options.embedderApiKey = m_documents->embedderApiKey();
        options.embedderDevice = m_documents->embedderDevice();
    }
    emit generateRequested(conversation, options);
}

void ChatController::onDocumentsUsed(const QVariantList& sources, const QString& note, const QString& error) {
    if (m_answerRow < 0) return;
    if (!error.isEmpty()) setError(tr("Your documents could not be searched (%1); answering without them.").arg(error));
    m_messages.setSources(m_answerRow, sources);
    m_answerNote = note;
    if (!note.isEmpty()) m_messages.setStats(m_answerRow, note);
}

QString ChatController::statsLine(const GenerationStats& stats) const {
    const QString line = formatStats(stats);
    if (m_answerNote.isEmpty()) return line;
    return line.isEmpty() ? m_answerNote : line + QStringLiteral(" · ") + m_answerNote;
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

void ChatController::dismissError() { setError({}); }

void ChatController::saveConversation() {
    const ConversationMeta& current = m_conversations.current();
    QJsonObject params = m_settings ? m_settings->paramsJson() : current.params;
    params.insert(QStringLiteral("useDocuments"), m_useDocuments);
    m_conversations.save(m_loadedPath, m_settings ? m_settings->systemPrompt() : current.systemPrompt, params);
}

void ChatController::onConversationSwitched(const ConversationMeta& meta) {
    m_answerRow = -1;
    setUseDocuments(meta.params.value(QStringLiteral("useDocuments")).toBool());
    if (meta.id == 0) return;  // a new conversation keeps the current settings and model
    if (m_settings) m_settings->applyConversation(meta.systemPrompt, meta.params);
    // The conversation remembers its model: switch to it if it still exists.
    if (m_models && !meta.modelPath.isEmpty() && meta.modelPath != m_models->modelPath() &&
        QFileInfo::exists(meta.modelPath))
        m_models->openModel(QUrl::fromLocalFile(meta.modelPath));
}


void ChatController::startLoad(QString path) {
    m_pendingPath.clear();
    m_loadingPath = path;
    m_cancel = false;
    m_loadProgress = 0;
    emit loadProgressChanged();
    setError({});
    setState(State::Loading);
    m_loadedOptions = loadOptions();
    emit loadRequested(path, m_loadedOptions);
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
    emit reloadNeededChanged();
    if (startPendingLoad()) return;
    setState(State::Ready);
}

void ChatController::onModelLoadFailed(const QString& path, const QString& message, bool cancelled) {
    // The worker dropped the previous model before trying this one.
    m_loadedPath.clear();
    m_loadedModelName.clear();
    emit loadedModelChanged();
    if (startPendingLoad()) return;
    if (isRemoteModelPath(path)) {
        // The reason names the server; the conversation stays as it was.
        setError(tr("Could not use the remote server: %1").arg(message));
        setState(State::NoModel);
        return;
    }
    const QString file = QFileInfo(path).fileName();
    setError(cancelled ? tr("Loading %1 was cancelled.").arg(file) : tr("Could not load %1: %2").arg(file, message));
    setState(State::NoModel);
}

void ChatController::onTextStreamed(const QString& text, const GenerationStats& stats) {
    // Models often open an answer with a space or a newline; the bubble should not.
    if (m_messages.text(m_answerRow).isEmpty()) {
        qsizetype start = 0;
        while (start < text.size() && text.at(start).isSpace()) ++start;
        m_messages.appendText(m_answerRow, text.mid(start));
    } else {
        m_messages.appendText(m_answerRow, text);
    }
    if (m_summarizing) return;  // its stats line is the summary's progress
    m_messages.setStats(m_answerRow, statsLine(stats));
    setDevice(stats.device);
}

void ChatController::onGenerationFinished(const GenerationStats& stats) {
    if (m_messages.text(m_answerRow).isEmpty() && stats.stopped)
        m_messages.setStats(m_answerRow, tr("Stopped before the first token."));
    else if (m_summarizing)
        m_messages.setStats(m_answerRow, m_messages.stats(m_answerRow) + (stats.stopped ? tr(" · stopped") : QString()));
    else
        m_messages.setStats(m_answerRow, statsLine(stats));
    m_summarizing = false;
    m_answerRow = -1;
    saveConversation();
    if (startPendingLoad()) return;
    setState(State::Ready);
}

void ChatController::onGenerationFailed(const QString& message) {
    if (m_answerRow == m_messages.count() - 1 && m_messages.text(m_answerRow).isEmpty()) m_messages.removeLast();
    m_messages.appendError(tr("The model could not answer: %1").arg(message));
    m_summarizing = false;
    m_answerRow = -1;
    saveConversation();
    if (startPendingLoad()) return;
    setState(State::Ready);
}

void ChatController::setState(State state) {
    if (state == m_state) return;
    m_state = state;
    m_conversations.setAnswering(m_state == State::Generating || m_state == State::Stopping);
    emit stateChanged();
}

void ChatController::setDevice(const QString& device) {
    if (device.isEmpty() || device == m_device) return;
    m_device = device;
    emit deviceChanged();
}

void ChatController::setError(const QString& text) {
    if (text == m_errorText) return;
    m_errorText = text;
    emit errorTextChanged();
}
