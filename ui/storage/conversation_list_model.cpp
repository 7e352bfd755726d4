#include "conversation_list_model.h"

#include <QFileInfo>

ConversationListModel::ConversationListModel(QObject* parent) : QAbstractListModel(parent) {}

void ConversationListModel::setStore(ConversationStore* store) {
    m_store = store;
    refresh();
}

void ConversationListModel::setFilter(const QString& filter) {
    if (filter == m_filter) return;
    m_filter = filter;
    emit filterChanged();
    refresh();
}

void ConversationListModel::refresh() {
    const int before = count();
    beginResetModel();
    m_rows = m_store ? m_store->list(m_filter) : QList<ConversationMeta>{};
    endResetModel();
    if (count() != before) emit countChanged();
}

int ConversationListModel::rowOf(qint64 id) const {
    for (int i = 0; i < count(); ++i)
        if (m_rows[i].id == id) return i;
    return -1;
}

int ConversationListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }

QVariant ConversationListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() < 0 || index.row() >= count()) return {};
    const ConversationMeta& m = m_rows[index.row()];
    switch (role) {
    case IdRole: return m.id;
    case TitleRole: return m.title;
    case UpdatedAtRole: return m.updatedAt;
    case ModelNameRole: return QFileInfo(m.modelPath).completeBaseName();
    default: return {};
    }
}

QHash<int, QByteArray> ConversationListModel::roleNames() const {
    return {{IdRole, "conversationId"}, {TitleRole, "title"}, {UpdatedAtRole, "updatedAt"}, {ModelNameRole, "modelName"}};
}
