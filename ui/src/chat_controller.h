// The chat view-model: owns the messages, the worker thread and the EngineWorker
// living on it; loads models, writes answers and summaries. It never blocks. Its
// ConversationController (`conversations`) holds the conversation verbs: with a
// storage every conversation is saved (messages, model, system prompt and
// parameters), listed, and the last one restored. With settings it sends the system
// prompt and the current model's parameter preset.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include <atomic>

#include "app_storage.h"
#include "chat_types.h"
#include "conversation_controller.h"
#include "documents_controller.h"
#include "message_list_model.h"
#include "model_controller.h"
#include "settings_controller.h"

class EngineWorker;

class ChatController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(MessageListModel* messages READ messages CONSTANT)
    Q_PROPERTY(ConversationController* conversations READ conversations CONSTANT)
    Q_PROPERTY(ModelController* models READ models WRITE setModels NOTIFY modelsChanged)
    Q_PROPERTY(AppStorage* storage READ storage WRITE setStorage NOTIFY storageChanged)
    Q_PROPERTY(SettingsController* settings READ settings WRITE setSettings NOTIFY settingsChanged)
    Q_PROPERTY(DocumentsController* documents READ documents WRITE setDocuments NOTIFY documentsChanged)
    // "Use my documents" for this conversation: answers get [n] sources from the index.
    Q_PROPERTY(bool useDocuments READ useDocuments WRITE setUseDocuments NOTIFY useDocumentsChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY stateChanged)
    Q_PROPERTY(bool canSend READ canSend NOTIFY stateChanged)
    Q_PROPERTY(double loadProgress READ loadProgress NOTIFY loadProgressChanged)
    Q_PROPERTY(QString loadedModelName READ loadedModelName NOTIFY loadedModelChanged)
    Q_PROPERTY(QString loadedModelPath READ loadedModelPath NOTIFY loadedModelChanged)
    // The loaded model is a remote server: messages (and found passages) leave this computer.
    Q_PROPERTY(bool remote READ remote NOTIFY loadedModelChanged)
    Q_PROPERTY(QString remoteHost READ remoteHost NOTIFY loadedModelChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    // The settings' load options (device, GPU layers, threads, context) differ from
    // those the loaded model was loaded with: they apply on the next load.
    Q_PROPERTY(bool reloadNeeded READ reloadNeeded NOTIFY reloadNeededChanged)
    // The device that ran the last answer ("cpu", "opencl:0"; empty before one).
    Q_PROPERTY(QString device READ device NOTIFY deviceChanged)

public:
    enum class State {
        NoModel,     // nothing loaded (never loaded, or the last load failed)
        Loading,     // the worker is loading a model
        Ready,       // a model is loaded and idle
        Generating,  // an answer is streaming
        Stopping,    // cancel requested, waiting for the worker to return
    };
    Q_ENUM(State)

    explicit ChatController(QObject* parent = nullptr);
    ~ChatController() override;

    MessageListModel* messages() { return &m_messages; }
    ConversationController* conversations() { return &m_conversations; }
    ModelController* models() const { return m_models; }
    // The selected model (ModelController::modelPath) is loaded whenever it changes.
    void setModels(ModelController* models);
    AppStorage* storage() const { return m_conversations.storage(); }
    // Lists the stored conversations and restores the last one (ConversationController).
    void setStorage(AppStorage* storage);
    SettingsController* settings() const { return m_settings; }
    void setSettings(SettingsController* settings);
    DocumentsController* documents() const { return m_documents; }
    void setDocuments(DocumentsController* documents);
    bool useDocuments() const { return m_useDocuments; }
    void setUseDocuments(bool use);

    State state() const { return m_state; }
    bool busy() const { return m_state == State::Loading || m_state >= State::Generating; }
    bool canSend() const { return m_state == State::Ready; }
    double loadProgress() const { return m_loadProgress; }
    QString loadedModelName() const { return m_loadedModelName; }
    QString loadedModelPath() const { return m_loadedPath; }
    bool remote() const;
    QString remoteHost() const;
    QString errorText() const { return m_errorText; }
    bool reloadNeeded() const { return !m_loadedPath.isEmpty() && loadOptions() != m_loadedOptions; }
    QString device() const { return m_device; }

    // Loads path now, or as soon as the current job has stopped.
    Q_INVOKABLE void loadModel(const QString& path);
    // Loads the current model again (the load parameters changed).
    Q_INVOKABLE void reloadModel();
    // Chats with the server of Settings › Model loading › Remote server instead.
    Q_INVOKABLE void connectRemote();
    // Appends the user's message and starts the answer. False if not Ready or empty.
    Q_INVOKABLE bool send(const QString& text);
    // Answers the last user message again (the previous answer is replaced).
    Q_INVOKABLE bool regenerate();
    // Replaces user message `row` with text, drops everything after it and answers anew.
    Q_INVOKABLE bool editMessage(int row, const QString& text);
    // "Summarize this document": a map-reduce summary of an indexed document (needs
    // documents) written as the answer to a "Summarize …" message; Stop cancels it.
    Q_INVOKABLE bool summarizeDocument(qint64 documentId, const QString& fileName);
    // Cancels the running load or generation (Esc, the Stop button).
    Q_INVOKABLE void stop();
    Q_INVOKABLE void dismissError();

signals:
    void modelsChanged();
    void storageChanged();
    void settingsChanged();
    void documentsChanged();
    void useDocumentsChanged();
    void stateChanged();
    void loadProgressChanged();
    void loadedModelChanged();
    void errorTextChanged();
    void deviceChanged();
    void reloadNeededChanged();

    // To the worker (queued); not for QML.
    void loadRequested(const QString& path, const LoadOptions& options);
    void generateRequested(const QList<ChatTurn>& conversation, const GenerationOptions& options);
    void summarizeRequested(const QString& dbPath, qint64 documentId);

private:
    void onLoadProgress(double progress);
    void onModelLoaded(const QString& path, const QString& name);
    void onModelLoadFailed(const QString& path, const QString& message, bool cancelled);
    void onTextStreamed(const QString& text, const GenerationStats& stats);
    void onGenerationFinished(const GenerationStats& stats);
    void onGenerationFailed(const QString& message);
    void onDocumentsUsed(const QVariantList& sources, const QString& note, const QString& error);
    // Another conversation is shown: take its model, system prompt and parameters.
    void onConversationSwitched(const ConversationMeta& meta);
    // formatStats plus how the documents were used ("whole document used: a.pdf").
    QString statsLine(const GenerationStats& stats) const;

    void startLoad(QString path);  // by value: callers pass m_pendingPath, cleared here
    // The worker returned from a job: start a load that waited for it, if any.
    bool startPendingLoad();
    void startAnswer();
    void saveConversation();
    void setState(State state);
    void setError(const QString& text);
    void setDevice(const QString& device);
    LoadOptions loadOptions() const;

    MessageListModel m_messages;
    ConversationController m_conversations{m_messages};
    QPointer<ModelController> m_models;
    QPointer<SettingsController> m_settings;
    QPointer<DocumentsController> m_documents;
    bool m_useDocuments = false;
    QString m_answerNote;  // how the current answer's documents were chosen; empty: none used
    bool m_summarizing = false;  // the running job is a document summary
    State m_state = State::NoModel;
    double m_loadProgress = 0;
    QString m_loadingPath;
    QString m_pendingPath;
    QString m_loadedPath;
    LoadOptions m_loadedOptions;
    QString m_loadedModelName;
    QString m_errorText;
    QString m_device;
    int m_answerRow = -1;

    std::atomic<bool> m_cancel{false};
    QThread m_thread;
    EngineWorker* m_worker = nullptr;  // lives on m_thread; deleted after it stops
};
