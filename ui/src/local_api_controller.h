// The local API toggle: keeps an OpenAI-compatible server (app/server, through a
// LocalApiBackend the app provides) running while Settings › Local API is on and a
// model is loaded, with the settings' port and token and the app's load options.
// Restarts it when the port, token or model change. ui/ cannot include app/: the
// app installs a backend factory at start-up (local_api_backend.h); without one (a
// build without the server) `available` is false and the page says so.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <memory>

#include "local_api_backend.h"
#include "settings_controller.h"

class LocalApiController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(SettingsController* settings READ settings WRITE setSettings NOTIFY settingsChanged)
    Q_PROPERTY(QString modelPath READ modelPath WRITE setModelPath NOTIFY modelPathChanged)
    Q_PROPERTY(QString documentsDb MEMBER m_documentsDb NOTIFY modelPathChanged)
    Q_PROPERTY(bool available READ available CONSTANT)
    Q_PROPERTY(bool running READ running NOTIFY stateChanged)
    // The address to paste into the office extension (also while stopped: what it will be).
    Q_PROPERTY(QString url READ url NOTIFY stateChanged)
    Q_PROPERTY(QString statusText READ statusText NOTIFY stateChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY stateChanged)

public:
    explicit LocalApiController(QObject* parent = nullptr);
    ~LocalApiController() override;

    // Set once by the app before the QML is loaded (and by tests).
    static void setBackendFactory(LocalApiBackendFactory factory);

    SettingsController* settings() const { return m_settings; }
    void setSettings(SettingsController* settings);
    QString modelPath() const { return m_modelPath; }
    void setModelPath(const QString& path);
    bool available() const { return m_backend != nullptr; }
    bool running() const { return m_backend && m_backend->isRunning(); }
    QString url() const;
    QString statusText() const;
    QString errorText() const { return m_errorText; }

    Q_INVOKABLE void copyToClipboard(const QString& text) const;

signals:
    void settingsChanged();
    void modelPathChanged();
    void stateChanged();

private:
    // Starts, restarts or stops the server to match the settings and the model.
    void apply();
    LocalApiConfig wantedConfig() const;

    QPointer<SettingsController> m_settings;
    QString m_modelPath;
    QString m_documentsDb;
    std::unique_ptr<LocalApiBackend> m_backend;
    bool m_started = false;
    LocalApiConfig m_runningConfig;
    QString m_errorText;
};
