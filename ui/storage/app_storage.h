// The QML face of the app's database: created once in Main.qml and handed to the
// view-models that persist something (ChatController for its conversations,
// SettingsController, ModelLibrary).
#pragma once

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include "conversation_store.h"

class AppStorage : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString path READ path CONSTANT)
    Q_PROPERTY(QString errorText READ errorText CONSTANT)

public:
    // Opens defaultPath(); if that fails, an in-memory database keeps the app usable
    // and errorText says why nothing will be kept.
    explicit AppStorage(QObject* parent = nullptr);

    // Set once by the app (userDataDir()/assistant.sqlite) or a test; empty: in memory.
    static void setDefaultPath(const QString& path);
    static QString defaultPath();

    QString path() const { return m_path; }
    QString errorText() const { return m_errorText; }
    ConversationStore& store() { return m_store; }

private:
    ConversationStore m_store;
    QString m_path;
    QString m_errorText;
};
