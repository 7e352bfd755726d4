#include "message_list_model.h"

MessageListModel::MessageListModel(QObject* parent) : QAbstractListModel(parent) {}

int MessageListModel::appendUser(const QString& text) {
    return append({QStringLiteral("user"), text, {}});
}

int MessageListModel::appendAssistant() { return append({QStringLiteral("assistant"), {}, {}}); }

int MessageListModel::appendError(const QString& text) {
    return append({QStringLiteral("error"), text, {}});
}

void MessageListModel::appendText(int row, const QString& text) {
    if (!isValidRow(row) || text.isEmpty()) return;
    m_messages[row].text += text;
    const QModelIndex i = index(row);
    emit dataChanged(i, i, {TextRole});
}

void MessageListModel::setStats(int row, const QString& stats) {
    if (!isValidRow(row)) return;
    m_messages[row].stats = stats;
    const QModelIndex i = index(row);
    emit dataChanged(i, i, {StatsRole});
}

void MessageListModel::removeLast() {
    if (m_messages.isEmpty()) return;
    const int row = count() - 1;
    beginRemoveRows({}, row, row);
    m_messages.removeLast();
    endRemoveRows();
    emit countChanged();
}

void MessageListModel::clear() {
    if (m_messages.isEmpty()) return;
    beginResetModel();
    m_messages.clear();
    endResetModel();
    emit countChanged();
}

QString MessageListModel::text(int row) const { return isValidRow(row) ? m_messages[row].text : QString(); }
QString MessageListModel::role(int row) const { return isValidRow(row) ? m_messages[row].role : QString(); }
QString MessageListModel::stats(int row) const { return isValidRow(row) ? m_messages[row].stats : QString(); }

QList<ChatTurn> MessageListModel::conversation() const {
    QList<ChatTurn> turns;
    for (const Message& m : m_messages) {
        if (m.role == QLatin1String("error") || m.text.isEmpty()) continue;
        turns.append({m.role, m.text});
    }
    return turns;
}

int MessageListModel::append(Message message) {
    const int row = count();
    beginInsertRows({}, row, row);
    m_messages.append(std::move(message));
    endInsertRows();
    emit countChanged();
    return row;
}

int MessageListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : count();
}

QVariant MessageListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !isValidRow(index.row())) return {};
    const Message& m = m_messages[index.row()];
    switch (role) {
    case RoleRole: return m.role;
    case TextRole: return m.text;
    case StatsRole: return m.stats;
    default: return {};
    }
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
    return {{RoleRole, "role"}, {TextRole, "text"}, {StatsRole, "stats"}};
}
