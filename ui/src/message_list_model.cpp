#include "message_list_model.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include "markdown.h"

MessageListModel::MessageListModel(QObject* parent) : QAbstractListModel(parent) {}

int MessageListModel::appendUser(const QString& text) { return append(makeMessage(QStringLiteral("user"), text, {})); }

int MessageListModel::appendAssistant() { return append(makeMessage(QStringLiteral("assistant"), {}, {})); }

int MessageListModel::appendError(const QString& text) { return append(makeMessage(QStringLiteral("error"), text, {})); }

void MessageListModel::appendText(int row, const QString& text) {
    if (!isValidRow(row) || text.isEmpty()) return;
    Message& m = m_messages[row];
    m.text += text;
    const bool wasOpen = m.reasoningOpen;
    const QString oldReasoning = m.reasoning;
    derive(m);
    QList<int> roles{TextRole, AnswerRole, BlocksRole};
    if (m.reasoning != oldReasoning) roles << ReasoningRole;
    if (m.reasoningOpen != wasOpen) roles << ReasoningOpenRole;
    const QModelIndex i = index(row);
    emit dataChanged(i, i, roles);
}

void MessageListModel::setStats(int row, const QString& stats) {
    if (!isValidRow(row) || m_messages[row].stats == stats) return;
    m_messages[row].stats = stats;
    const QModelIndex i = index(row);
    emit dataChanged(i, i, {StatsRole});
}

void MessageListModel::setSources(int row, const QVariantList& sources) {
    if (!isValidRow(row)) return;
    m_messages[row].sources = sources;
    derive(m_messages[row]);
    const QModelIndex i = index(row);
    emit dataChanged(i, i, {SourcesRole, BlocksRole});
}

QVariantList MessageListModel::sources(int row) const {
    return isValidRow(row) ? m_messages[row].sources : QVariantList{};
}

void MessageListModel::removeLast() { removeFrom(count() - 1); }

void MessageListModel::removeFrom(int row) {
    if (!isValidRow(row)) return;
    beginRemoveRows({}, row, count() - 1);
    m_messages.remove(row, count() - row);
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

void MessageListModel::setMessages(const QList<StoredMessage>& messages) {
    beginResetModel();
    m_messages.clear();
    for (const StoredMessage& s : messages) {
        m_messages.append(makeMessage(s.role, s.text, s.stats,
                                      QJsonDocument::fromJson(s.sources.toUtf8()).array().toVariantList()));
    }
    endResetModel();
    emit countChanged();
}

QList<StoredMessage> MessageListModel::messagesForStorage() const {
    QList<StoredMessage> out;
    out.reserve(m_messages.size());
    for (const Message& m : m_messages) {
        const QString sources = m.sources.isEmpty() ? QString()
            : QString::fromUtf8(QJsonDocument(QJsonArray::fromVariantList(m.sources)).toJson(QJsonDocument::Compact));
        out.append({m.role, m.text, m.stats, sources});
    }
    return out;
}

QString MessageListModel::text(int row) const { return isValidRow(row) ? m_messages[row].text : QString(); }
QString MessageListModel::role(int row) const { return isValidRow(row) ? m_messages[row].role : QString(); }
QString MessageListModel::stats(int row) const { return isValidRow(row) ? m_messages[row].stats : QString(); }
QString MessageListModel::answer(int row) const { return isValidRow(row) ? m_messages[row].answer : QString(); }
QString MessageListModel::reasoning(int row) const {
    return isValidRow(row) ? m_messages[row].reasoning : QString();
}

QList<ChatTurn> MessageListModel::conversation() const {
    QList<ChatTurn> turns;
    for (const Message& m : m_messages) {
        if (m.role == QLatin1String("error") || m.answer.isEmpty()) continue;
        turns.append({m.role, m.answer});
    }
    return turns;
}

QString MessageListModel::toMarkdown(const QString& title) const {
    QString out = QStringLiteral("# %1\n").arg(title.isEmpty() ? tr("Conversation") : title);
    for (const Message& m : m_messages) {
        if (m.role == QLatin1String("error")) continue;
        out += m.role == QLatin1String("user") ? tr("\n## You\n\n") : tr("\n## Assistant\n\n");
        if (!m.reasoning.isEmpty()) {
            // A quoted block keeps the reasoning apart from the answer when rendered.
            QString quoted = m.reasoning;
            quoted.replace(u'\n', QStringLiteral("\n> "));
            out += tr("> **Reasoning**\n> ") + quoted + QStringLiteral("\n\n");
        }
        out += m.answer.trimmed() + u'\n';
        if (!m.stats.isEmpty()) out += QStringLiteral("\n*%1*\n").arg(m.stats);
    }
    return out;
}

MessageListModel::Message MessageListModel::makeMessage(const QString& role, const QString& text, const QString& stats,
                                                       const QVariantList& sources) {
    Message m;
    m.role = role;
    m.text = text;
    m.stats = stats;
    m.sources = sources;
    derive(m);
    return m;
}

int MessageListModel::append(Message message) {
    const int row = count();
    beginInsertRows({}, row, row);
    m_messages.append(std::move(message));
    endInsertRows();
    emit countChanged();
    return row;
}

void MessageListModel::derive(Message& m) {
    if (m.role == QLatin1String("assistant")) {
        markdown::ReasoningSplit split = markdown::splitReasoning(m.text);
        m.answer = std::move(split.answer);
        m.reasoning = std::move(split.reasoning);
        m.reasoningOpen = split.reasoningOpen;
    } else {
        m.answer = m.text;
    }
    // The user's own text is shown as written; only answers are Markdown.
    if (m.role != QLatin1String("assistant")) {
        m.blocks.clear();
        return;
    }
    QList<markdown::Block> blocks = markdown::toBlocks(m.answer);
    if (!m.sources.isEmpty()) {
        // [n] of a source the answer was given becomes a link the view opens (also the
        // full-width 【n】 and ［n］ of answers in Chinese or Japanese).
        static const QRegularExpression cite(QStringLiteral("[\\[\uFF3B\u3010](\\d{1,3})[\\]\uFF3D\u3011]"));
        for (markdown::Block& b : blocks) {
            if (b.kind != markdown::Block::Kind::RichText) continue;
            QString out;
            qsizetype at = 0;
            for (auto it = cite.globalMatch(b.content); it.hasNext();) {
                const auto match = it.next();
                const int n = match.captured(1).toInt();
                out += b.content.mid(at, match.capturedStart() - at);
                out += n >= 1 && n <= m.sources.size()
                           ? QStringLiteral("<a href=\"cite:%1\">%2</a>").arg(n).arg(match.captured(0)) : match.captured(0);
                at = match.capturedEnd();
            }
            b.content = out + b.content.mid(at);
        }
    }
    m.blocks = markdown::toVariantList(blocks);
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
    case AnswerRole: return m.answer;
    case ReasoningRole: return m.reasoning;
    case ReasoningOpenRole: return m.reasoningOpen;
    case BlocksRole: return m.blocks;
    case SourcesRole: return m.sources;
    default: return {};
    }
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
    return {{RoleRole, "role"},         {TextRole, "text"},
            {StatsRole, "stats"},       {AnswerRole, "answer"},
            {ReasoningRole, "reasoning"}, {ReasoningOpenRole, "reasoningOpen"},
            {BlocksRole, "blocks"},     {SourcesRole, "sources"}};
}
