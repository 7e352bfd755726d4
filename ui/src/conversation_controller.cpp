#include "conversation_controller.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QSaveFile>

namespace {
const QString kLastConversationKey = QStringLiteral("lastConversation");
}  // namespace

ConversationController::ConversationController(MessageListModel& messages, QObject* parent)
    : QObject(parent), m_messages(messages) {}

void ConversationController::setStorage(AppStorage* storage) {
    if (storage == m_storage) return;
    m_storage = storage;
    m_list.setStore(m_storage ? &m_storage->store() : nullptr);
    if (m_storage) {
        const qint64 last = m_storage->store().setting(kLastConversationKey).toLongLong();
        if (last > 0) open(last);
    }
}

void ConversationController::nameAfter(const QString& firstMessage) {
    if (!m_current.title.isEmpty()) return;
    m_current.title = titleFor(firstMessage);
    m_current.titleIsAuto = true;
    emit currentChanged();
}

void ConversationController::startNew() {
    if (m_answering) return;
    m_messages.clear();
    m_current = {};
    emit switched(m_current);
    if (m_storage) m_storage->store().setSetting(kLastConversationKey, QStringLiteral("0"));
    emit currentChanged();
}

bool ConversationController::open(qint64 id) {
    if (!m_storage || m_answering) return false;
    ConversationStore& store = m_storage->store();
    const std::optional<ConversationMeta> meta = store.conversation(id);
    if (!meta) return false;
    m_current = *meta;
    m_messages.setMessages(store.messages(id));
    store.setSetting(kLastConversationKey, QString::number(id));
    emit switched(m_current);
    emit currentChanged();
    return true;
}

bool ConversationController::rename(qint64 id, const QString& title) {
    const QString t = title.simplified();
    if (!m_storage || t.isEmpty() || !m_storage->store().rename(id, t)) return false;
    if (id == m_current.id) {
        m_current.title = t;
        m_current.titleIsAuto = false;
        emit currentChanged();
    }
    m_list.refresh();
    return true;
}

bool ConversationController::remove(qint64 id) {
    // The answer being written would recreate it when it finishes.
    if (!m_storage || (m_answering && id == m_current.id) || !m_storage->store().remove(id)) return false;
    if (id == m_current.id) startNew();
    m_list.refresh();
    return true;
}

void ConversationController::save(const QString& modelPath, const QString& systemPrompt, const QJsonObject& params) {
    if (!m_storage || m_messages.count() == 0) return;
    ConversationStore& store = m_storage->store();
    m_current.modelPath = modelPath;
    m_current.systemPrompt = systemPrompt;
    m_current.params = params;
    const bool created = m_current.id == 0;
    bool saved = false;
    if (created) {
        m_current.id = store.create(m_current);
        saved = m_current.id != 0;
        if (saved) store.setSetting(kLastConversationKey, QString::number(m_current.id));
    } else {
        saved = store.update(m_current);
    }
    if (!saved || !store.saveMessages(m_current.id, m_messages.messagesForStorage())) {
        emit failed(tr("The conversation could not be saved: %1").arg(store.lastError()));
        return;
    }
    m_list.refresh();
    if (created) emit currentChanged();
}

QString ConversationController::titleFor(const QString& firstMessage) {
    constexpr int kMaxChars = 48;
    QString line = firstMessage.trimmed().section(u'\n', 0, 0).simplified();
    if (line.size() <= kMaxChars) return line;
    // Cut at a word boundary when there is one in the last third.
    const qsizetype space = line.lastIndexOf(u' ', kMaxChars);
    line.truncate(space > kMaxChars * 2 / 3 ? space : kMaxChars);
    return line + QStringLiteral("…");
}

void ConversationController::copyMessage(int row) const { copyText(m_messages.answer(row)); }

void ConversationController::copyText(const QString& text) const {
    if (QClipboard* clipboard = QGuiApplication::clipboard()) clipboard->setText(text);
}

QString ConversationController::markdown() const { return m_messages.toMarkdown(m_current.title); }

void ConversationController::copy() const { copyText(markdown()); }

bool ConversationController::exportTo(const QUrl& file) {
    const QString path = file.isLocalFile() ? file.toLocalFile() : file.toString();
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(markdown().toUtf8()) < 0 || !out.commit()) {
        emit failed(tr("Could not export to %1: %2").arg(path, out.errorString()));
        return false;
    }
    return true;
}
