// The conversation verbs of the chat window: start a new conversation, open, rename,
// delete, copy and export one. It keeps the current conversation's record (id, title,
// model, system prompt, parameters), saves it with its messages in the AppStorage and
// lists the stored ones for the sidebar. ChatController owns it with the messages and
// says when an answer is being written: the conversation it goes into then stays open.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include "app_storage.h"
#include "conversation_list_model.h"
#include "message_list_model.h"

class ConversationController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("ConversationController is owned by ChatController")
    Q_PROPERTY(ConversationListModel* list READ list CONSTANT)
    Q_PROPERTY(qint64 currentId READ currentId NOTIFY currentChanged)  // 0: not saved yet
    Q_PROPERTY(QString currentTitle READ currentTitle NOTIFY currentChanged)

public:
    // messages: the current conversation's, shown by the chat view (outlives this).
    explicit ConversationController(MessageListModel& messages, QObject* parent = nullptr);

    ConversationListModel* list() { return &m_list; }
    qint64 currentId() const { return m_current.id; }
    QString currentTitle() const { return m_current.title; }
    const ConversationMeta& current() const { return m_current; }

    AppStorage* storage() const { return m_storage; }
    // Lists the stored conversations and opens the last one.
    void setStorage(AppStorage* storage);
    // An answer is being written into the current conversation: it cannot be left or deleted.
    void setAnswering(bool answering) { m_answering = answering; }
    // Names an untitled conversation after its first message (titleFor).
    void nameAfter(const QString& firstMessage);
    // Saves the current conversation and its messages (not an empty one) with the model,
    // system prompt and parameters it runs with; a failure is reported by failed().
    void save(const QString& modelPath, const QString& systemPrompt, const QJsonObject& params);

    // Conversations (open, rename and delete need a storage).
    Q_INVOKABLE void startNew();
    Q_INVOKABLE bool open(qint64 id);
    Q_INVOKABLE bool rename(qint64 id, const QString& title);
    Q_INVOKABLE bool remove(qint64 id);

    // Clipboard and export.
    Q_INVOKABLE void copyMessage(int row) const;
    Q_INVOKABLE void copyText(const QString& text) const;
    QString markdown() const;  // the conversation as Markdown (copy and exportTo)
    Q_INVOKABLE void copy() const;
    Q_INVOKABLE bool exportTo(const QUrl& file);

    // "Once upon a time, there was…" -> a one-line title of at most 48 characters.
    static QString titleFor(const QString& firstMessage);

signals:
    void currentChanged();
    // Another conversation is shown (startNew: an empty record; open: the stored one):
    // the chat takes its model, system prompt and parameters.
    void switched(const ConversationMeta& meta);
    void failed(const QString& message);

private:
    MessageListModel& m_messages;
    ConversationListModel m_list;
    QPointer<AppStorage> m_storage;
    ConversationMeta m_current;  // id 0: not saved yet
    bool m_answering = false;
};
