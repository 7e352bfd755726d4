// Conversations, their messages and the app's settings in one SQLite database
// (QtSql, driver QSQLITE). GUI thread only: every call is a few small statements
// (WAL journal), never per streamed token.
//
// Schema (PRAGMA user_version = the last migration applied):
//   1: conversations(id INTEGER PRIMARY KEY, title TEXT, title_is_auto INTEGER,
//        model_path TEXT, system_prompt TEXT, params TEXT (JSON object),
//        created_at INTEGER, updated_at INTEGER (ms since the epoch))
//      messages(conversation_id -> conversations.id ON DELETE CASCADE,
//        position INTEGER, role TEXT, text TEXT, stats TEXT,
//        PRIMARY KEY(conversation_id, position))
//      settings(key TEXT PRIMARY KEY, value TEXT)
//   2: messages.sources TEXT (JSON array of the document excerpts an answer was given)
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

#include "chat_types.h"

struct ConversationMeta {
    qint64 id = 0;
    QString title;
    bool titleIsAuto = true;  // the app may still replace it with a better one
    QString modelPath;
    QString systemPrompt;
    QJsonObject params;       // the sampling and load parameters it was run with
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
};

class ConversationStore {
public:
    ConversationStore();
    ~ConversationStore();
    ConversationStore(const ConversationStore&) = delete;
    ConversationStore& operator=(const ConversationStore&) = delete;

    // Opens (creating the folder and the file) and migrates. ":memory:" works too.
    bool open(const QString& path);
    // What the last failing call could not do, with SQLite's message.
    QString lastError() const { return m_error; }

    // Returns the new id, 0 on failure.
    qint64 create(const ConversationMeta& meta);
    bool update(const ConversationMeta& meta);  // everything but id and createdAt
    bool rename(qint64 id, const QString& title);
    bool remove(qint64 id);
    std::optional<ConversationMeta> conversation(qint64 id) const;
    // Newest first. search: words matched case-insensitively in titles and messages.
    QList<ConversationMeta> list(const QString& search = {}) const;

    QList<StoredMessage> messages(qint64 id) const;
    // Replaces the conversation's messages (one transaction) and touches updated_at.
    bool saveMessages(qint64 id, const QList<StoredMessage>& messages);

    QString setting(const QString& key, const QString& fallback = {}) const;
    bool setSetting(const QString& key, const QString& value);

private:
    bool migrate();
    bool fail(const QString& what, const QString& sqlError) const;

    QString m_connection;  // QSqlDatabase connection name, unique per store
    mutable QString m_error;
};
