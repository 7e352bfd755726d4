// The messages of the current conversation, for the chat view. GUI thread only.
// Roles: role ("user" | "assistant" | "error"), text, stats (the line under an answer).
#pragma once

#include <QAbstractListModel>
#include <QList>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include "chat_types.h"

class MessageListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("MessageListModel is owned by ChatController")
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Roles { RoleRole = Qt::UserRole + 1, TextRole, StatsRole };

    explicit MessageListModel(QObject* parent = nullptr);

    int count() const { return static_cast<int>(m_messages.size()); }

    // Each append returns the new row.
    int appendUser(const QString& text);
    int appendAssistant();                    // an empty answer, filled by appendText
    int appendError(const QString& text);
    void appendText(int row, const QString& text);
    void setStats(int row, const QString& stats);
    void removeLast();
    void clear();

    QString text(int row) const;
    QString role(int row) const;
    QString stats(int row) const;

    // User and assistant turns for the engine; errors and empty answers left out.
    QList<ChatTurn> conversation() const;

signals:
    void countChanged();

private:
    struct Message {
        QString role;
        QString text;
        QString stats;
    };

    int append(Message message);
    bool isValidRow(int row) const { return row >= 0 && row < count(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QList<Message> m_messages;
};
