// User settings: look (theme, font size), the system prompt and saved personas,
// per-model parameter presets (sampling, length, context, threads, device, GPU
// layers), the local API (on/off, port, token) and document OCR (on/off, language).
// Stored in AppStorage's settings table; every change is saved at once.
// With the theme "system", darkMode follows the desktop's palette while running
// (Qt 6.4 has no colour-scheme hint: the application palette change is watched).
//
// Parameters are one QVariantMap for QML, keys: temperature, topK, topP, minP,
// repeatPenalty, maxTokens, contextLength, threads, device, gpuLayers, gpuMemory
// (bytes, 0 = auto: gpu_memory.h; set from text like "12 GB"). The preset
// shown is the one of `modelKey` (the model's file name); models without one use
// the defaults of GenerationOptions / LoadOptions.
#pragma once

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include "app_storage.h"
#include "chat_types.h"

class SettingsController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(AppStorage* storage READ storage WRITE setStorage NOTIFY storageChanged)
    Q_PROPERTY(QString theme READ theme WRITE setTheme NOTIFY themeChanged)  // "system" | "light" | "dark"
    Q_PROPERTY(bool darkMode READ darkMode NOTIFY themeChanged)
    Q_PROPERTY(int fontSize READ fontSize WRITE setFontSize NOTIFY fontSizeChanged)  // pixels, 10..24
    Q_PROPERTY(QString systemPrompt READ systemPrompt WRITE setSystemPrompt NOTIFY systemPromptChanged)
    Q_PROPERTY(QVariantList personas READ personas NOTIFY personasChanged)  // [{name, prompt}]
    Q_PROPERTY(QString modelKey READ modelKey WRITE setModelKey NOTIFY paramsChanged)
    Q_PROPERTY(QVariantMap params READ params NOTIFY paramsChanged)
    // params.gpuMemory as the settings field shows it: "auto", "12 GB", "512 MB".
    Q_PROPERTY(QString gpuMemoryText READ gpuMemoryText NOTIFY paramsChanged)
    // Why the last setParam refused its value (the old value kept), "" after one that took.
    Q_PROPERTY(QString paramError READ paramError NOTIFY paramErrorChanged)
    // Local API (app/server through LocalApiController): off by default.
    Q_PROPERTY(bool apiEnabled READ apiEnabled WRITE setApiEnabled NOTIFY apiChanged)
    Q_PROPERTY(int apiPort READ apiPort WRITE setApiPort NOTIFY apiChanged)  // 1024..65535, 8765
    Q_PROPERTY(QString apiToken READ apiToken NOTIFY apiChanged)  // 32 characters, made on first use
    // OCR of PDF pages without a text layer, and Tesseract's language(s) ("eng+fra").
    Q_PROPERTY(bool ocrEnabled READ ocrEnabled WRITE setOcrEnabled NOTIFY ocrChanged)
    Q_PROPERTY(QString ocrLanguage READ ocrLanguage WRITE setOcrLanguage NOTIFY ocrChanged)
    // The embedding model for meaning-based document search: a GGUF file, "" = the
    // shipped one (English). A file URL from a file dialog is accepted too.
    Q_PROPERTY(QString embedderPath READ embedderPath WRITE setEmbedderPath NOTIFY embedderChanged)
    // A remote OpenAI-compatible server to chat with instead of a local model: its base
    // URL with the API prefix ("http://gpu-box:8000/v1"), key and model id (empty: the
    // server's first). Stored in the app's settings database, the key as typed.
    Q_PROPERTY(QString remoteUrl READ remoteUrl WRITE setRemoteUrl NOTIFY remoteChanged)
    Q_PROPERTY(QString remoteApiKey READ remoteApiKey WRITE setRemoteApiKey NOTIFY remoteChanged)
    Q_PROPERTY(QString remoteModel READ remoteModel WRITE setRemoteModel NOTIFY remoteChanged)
    // Documents' search vectors from the remote server's /v1/embeddings (its URL and key
    // above) instead of the local embedder: off unless the user turns it on, since the text
    // of every indexed passage (and each question) then goes to that server.
    // remoteEmbeddingModel: the server's embedding model id (empty: its default).
    Q_PROPERTY(bool remoteEmbeddings READ remoteEmbeddings WRITE setRemoteEmbeddings NOTIFY embedderChanged)
    Q_PROPERTY(QString remoteEmbeddingModel READ remoteEmbeddingModel WRITE setRemoteEmbeddingModel NOTIFY embedderChanged)
    // What the document index embeds with: embedderPath, or "remote:URL#MODEL" (remote_backend.h)
    // when remoteEmbeddings is on and a remote URL is set. DocumentsController binds to it.
    Q_PROPERTY(QString documentEmbedder READ documentEmbedder NOTIFY embedderChanged)
    // PDF passwords the user asked to keep: path -> password (stored as typed, in the
    // app's settings database; only when the user ticks "Remember").
    Q_PROPERTY(QVariantMap documentPasswords READ documentPasswords NOTIFY documentPasswordsChanged)

public:
    explicit SettingsController(QObject* parent = nullptr);

    AppStorage* storage() const { return m_storage; }
    void setStorage(AppStorage* storage);

    QString theme() const { return m_theme; }
    void setTheme(const QString& theme);
    bool darkMode() const;
    int fontSize() const { return m_fontSize; }
    void setFontSize(int pixels);
    QString systemPrompt() const { return m_systemPrompt; }
    void setSystemPrompt(const QString& prompt);
    QVariantList personas() const { return m_personas; }
    QString modelKey() const { return m_modelKey; }
    void setModelKey(const QString& key);
    QVariantMap params() const { return m_params; }
    QString gpuMemoryText() const;
    QString paramError() const { return m_paramError; }
    bool apiEnabled() const { return m_apiEnabled; }
    void setApiEnabled(bool enabled);
    int apiPort() const { return m_apiPort; }
    void setApiPort(int port);
    QString apiToken() const { return m_apiToken; }
    bool ocrEnabled() const { return m_ocrEnabled; }
    void setOcrEnabled(bool enabled);
    QString ocrLanguage() const { return m_ocrLanguage; }
    // Letters, digits and '_' joined by '+' ("eng", "deu+fra"); anything else is refused.
    void setOcrLanguage(const QString& language);
    QString embedderPath() const { return m_embedderPath; }
    QString remoteUrl() const { return m_remoteUrl; }
    QString remoteApiKey() const { return m_remoteApiKey; }
    QString remoteModel() const { return m_remoteModel; }
    void setRemoteUrl(const QString& url);
    void setRemoteApiKey(const QString& key);
    void setRemoteModel(const QString& model);
    bool remoteEmbeddings() const { return m_remoteEmbeddings; }
    void setRemoteEmbeddings(bool on);
    QString remoteEmbeddingModel() const { return m_remoteEmbeddingModel; }
    void setRemoteEmbeddingModel(const QString& model);
    QString documentEmbedder() const;
    // "" or an existing file; anything else is refused (embedderChanged still fires).
    void setEmbedderPath(const QString& pathOrUrl);

    QVariantMap documentPasswords() const { return m_documentPasswords; }
    Q_INVOKABLE void rememberDocumentPassword(const QString& path, const QString& password);
    Q_INVOKABLE void forgetDocumentPasswords();

    // A new random API token (the old one stops working when the server restarts).
    Q_INVOKABLE void regenerateApiToken();
    static QString newApiToken();

    // Saves the current system prompt under name (replacing one of that name).
    Q_INVOKABLE void savePersona(const QString& name);
    Q_INVOKABLE void removePersona(const QString& name);
    Q_INVOKABLE void applyPersona(const QString& name);
    // Sets one parameter of the current model's preset; values are clamped to
    // their valid range. False for an unknown key or a value that is not a number;
    // gpuMemory takes a size as text ("12 GB", "auto") or bytes, and refuses what
    // parseGpuMemory refuses (false, paramError says why, the old value stays).
    Q_INVOKABLE bool setParam(const QString& key, const QVariant& value);
    Q_INVOKABLE void resetParams();

    GenerationOptions generationOptions() const;
    LoadOptions loadOptions() const;
    // A conversation's remembered parameters (storage form) and back.
    QJsonObject paramsJson() const { return QJsonObject::fromVariantMap(m_params); }
    void applyConversation(const QString& systemPrompt, const QJsonObject& params);

    static QVariantMap defaultParams();

signals:
    void storageChanged();
    void themeChanged();
    void fontSizeChanged();
    void systemPromptChanged();
    void personasChanged();
    void paramsChanged();
    void paramErrorChanged();
    void apiChanged();
    void ocrChanged();
    void embedderChanged();
    void remoteChanged();
    void documentPasswordsChanged();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void load();
    void save(const QString& key, const QString& value);
    // setting = value, saved under key; false (nothing done) when it already was.
    bool change(QString& setting, const QString& value, const QString& key);
    void savePersonas();
    void loadPreset();
    void setParamError(const QString& error);
    bool refuseParam(const QString& error);  // sets paramError, re-shows the kept value

    QPointer<AppStorage> m_storage;
    QString m_theme = QStringLiteral("system");
    int m_fontSize = 14;
    QString m_systemPrompt;
    QVariantList m_personas;
    QString m_modelKey;
    QVariantMap m_params = defaultParams();
    QString m_paramError;
    bool m_apiEnabled = false;
    int m_apiPort = 8765;
    QString m_apiToken;
    bool m_ocrEnabled = true;
    QString m_ocrLanguage = QStringLiteral("eng");
    QString m_embedderPath;
    QString m_remoteUrl, m_remoteApiKey, m_remoteModel;
    bool m_remoteEmbeddings = false;
    QString m_remoteEmbeddingModel;
    QVariantMap m_documentPasswords;
    bool m_systemDark = false;  // the last darkMode seen while following the system
};
