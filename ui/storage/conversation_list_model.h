// The conversation list of the sidebar: newest first, filtered by a search text.
// Roles: conversationId, title, updatedAt (ms since the epoch), modelName.
#pragma once

#include <QAbstractListModel>
#include <QList>
#include <QtQml/qqmlregistration.h>

#include "conversation_store.h"

class ConversationListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("ConversationListModel is owned by ConversationController")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(QString filter READ filter WRITE setFilter NOTIFY filterChanged)

public:
    enum Roles { IdRole = Qt::UserRole + 1, TitleRole, UpdatedAtRole, ModelNameRole };

    explicit ConversationListModel(QObject* parent = nullptr);

    void setStore(ConversationStore* store);
    int count() const { return static_cast<int>(m_rows.size()); }
    QString filter() const { return m_filter; }
    void setFilter(const QString& filter);

    // Re-reads the list from the store (after a save, rename or delete).
    Q_INVOKABLE void refresh();
    Q_INVOKABLE int rowOf(qint64 id) const;

signals:
    void countChanged();
    void filterChanged();

private:
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    ConversationStore* m_store = nullptr;
    QString m_filter;
    QList<ConversationMeta> m_rows;
};
