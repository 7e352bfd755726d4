// User settings: look (theme, font size), the system prompt and saved personas, and
// per-model parameter presets (sampling, length, context, threads, device, GPU
// layers). Stored in AppStorage's settings table; every change is saved at once.
//
// Parameters are one QVariantMap for QML, keys: temperature, topK, topP, minP,
// repeatPenalty, maxTokens, contextLength, threads, device, gpuLayers. The preset
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

    // Saves the current system prompt under name (replacing one of that name).
    Q_INVOKABLE void savePersona(const QString& name);
    Q_INVOKABLE void removePersona(const QString& name);
    Q_INVOKABLE void applyPersona(const QString& name);
    // Sets one parameter of the current model's preset; values are clamped to
    // their valid range. False for an unknown key.
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

private:
    void load();
    void save(const QString& key, const QString& value);
    void savePersonas();
    void loadPreset();

    QPointer<AppStorage> m_storage;
    QString m_theme = QStringLiteral("system");
    int m_fontSize = 14;
    QString m_systemPrompt;
    QVariantList m_personas;
    QString m_modelKey;
    QVariantMap m_params = defaultParams();
};
