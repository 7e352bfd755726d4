// The messages of the current conversation, for the chat view. GUI thread only.
// Roles: role ("user" | "assistant" | "error"), text (raw, as the model wrote it),
// answer (text without its <think> section), reasoning, reasoningOpen (still inside
// <think>), blocks (the answer as Markdown blocks, see markdown.h; [n] citations
// become "cite:n" links), stats (the line under an answer), sources (the document
// excerpts an answer was given: [{n, path, page, pageTo, label, excerpt}]).
#pragma once

#include <QAbstractListModel>
#include <QList>
#include <QString>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include "chat_types.h"

class MessageListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("MessageListModel is owned by ChatController")
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Roles {
        RoleRole = Qt::UserRole + 1,
        TextRole,
        StatsRole,
        AnswerRole,
        ReasoningRole,
        ReasoningOpenRole,
        BlocksRole,
        SourcesRole,
    };

    explicit MessageListModel(QObject* parent = nullptr);

    int count() const { return static_cast<int>(m_messages.size()); }

    // Each append returns the new row.
    int appendUser(const QString& text);
    int appendAssistant();                    // an empty answer, filled by appendText
    int appendError(const QString& text);
    void appendText(int row, const QString& text);
    void setStats(int row, const QString& stats);
    void setSources(int row, const QVariantList& sources);
    QVariantList sources(int row) const;
    void removeLast();
    // Removes rows [row, count): editing a message drops everything after it.
    void removeFrom(int row);
    void clear();
    // Replaces everything (a conversation restored from the store).
    void setMessages(const QList<StoredMessage>& messages);
    QList<StoredMessage> messagesForStorage() const;

    QString text(int row) const;
    QString role(int row) const;
    QString stats(int row) const;
    QString answer(int row) const;
    QString reasoning(int row) const;

    // User and assistant turns for the engine; errors, empty answers and reasoning
    // sections left out (a model is not shown its own earlier thoughts).
    QList<ChatTurn> conversation() const;
    // The conversation as a Markdown document ("## You", "## Assistant" sections).
    QString toMarkdown(const QString& title) const;

signals:
    void countChanged();

private:
    struct Message {
        QString role;
        QString text;
        QString stats;
        // Derived from text for assistant rows; refreshed on every change.
        QString answer;
        QString reasoning;
        bool reasoningOpen = false;
        QVariantList blocks;
        QVariantList sources;
    };

    static Message makeMessage(const QString& role, const QString& text, const QString& stats,
                               const QVariantList& sources = {});
    int append(Message message);
    static void derive(Message& m);
    bool isValidRow(int row) const { return row >= 0 && row < count(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QList<Message> m_messages;
};
