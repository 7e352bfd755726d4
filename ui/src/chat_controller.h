// The chat view-model: owns the conversation, the worker thread and the
// EngineWorker living on it. QML talks to this object only; it never blocks.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>
#include <QtQml/qqmlregistration.h>

#include <atomic>

#include "chat_types.h"
#include "message_list_model.h"
#include "model_controller.h"

class EngineWorker;

class ChatController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(MessageListModel* messages READ messages CONSTANT)
    Q_PROPERTY(ModelController* models READ models WRITE setModels NOTIFY modelsChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY stateChanged)
    Q_PROPERTY(bool canSend READ canSend NOTIFY stateChanged)
    Q_PROPERTY(double loadProgress READ loadProgress NOTIFY loadProgressChanged)
    Q_PROPERTY(QString loadedModelName READ loadedModelName NOTIFY loadedModelChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)

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
    ModelController* models() const { return m_models; }
    // The selected model (ModelController::modelPath) is loaded whenever it changes.
    void setModels(ModelController* models);

    State state() const { return m_state; }
    bool busy() const { return m_state == State::Loading || m_state >= State::Generating; }
    bool canSend() const { return m_state == State::Ready; }
    double loadProgress() const { return m_loadProgress; }
    QString loadedModelName() const { return m_loadedModelName; }
    QString errorText() const { return m_errorText; }

    // Loads path now, or as soon as the current job has stopped.
    Q_INVOKABLE void loadModel(const QString& path);
    // Appends the user's message and starts the answer. False if not Ready or empty.
    Q_INVOKABLE bool send(const QString& text);
    // Cancels the running load or generation (Esc, the Stop button).
    Q_INVOKABLE void stop();
    Q_INVOKABLE void clearConversation();
    Q_INVOKABLE void dismissError();

signals:
    void modelsChanged();
    void stateChanged();
    void loadProgressChanged();
    void loadedModelChanged();
    void errorTextChanged();

    // To the worker (queued); not for QML.
    void loadRequested(const QString& path);
    void generateRequested(const QList<ChatTurn>& conversation);

private:
    void onLoadProgress(double progress);
    void onModelLoaded(const QString& path, const QString& name);
    void onModelLoadFailed(const QString& path, const QString& message, bool cancelled);
    void onTextStreamed(const QString& text);
    void onGenerationFinished(const GenerationStats& stats);
    void onGenerationFailed(const QString& message);

    void startLoad(QString path);  // by value: callers pass m_pendingPath, cleared here
    // The worker returned from a job: start a load that waited for it, if any.
    bool startPendingLoad();
    void setState(State state);
    void setError(const QString& text);

    MessageListModel m_messages;
    QPointer<ModelController> m_models;
    State m_state = State::NoModel;
    double m_loadProgress = 0;
    QString m_loadingPath;
    QString m_pendingPath;
    QString m_loadedPath;
    QString m_loadedModelName;
    QString m_errorText;
    int m_answerRow = -1;

    std::atomic<bool> m_cancel{false};
    QThread m_thread;
    EngineWorker* m_worker = nullptr;  // lives on m_thread; deleted after it stops
};
