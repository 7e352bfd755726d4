#include "app_storage.h"

namespace {
QString& defaultPathSlot() {
    static QString path;
    return path;
}
}  // namespace

void AppStorage::setDefaultPath(const QString& path) { defaultPathSlot() = path; }
QString AppStorage::defaultPath() { return defaultPathSlot(); }

AppStorage::AppStorage(QObject* parent) : QObject(parent) {
    m_path = defaultPath().isEmpty() ? QStringLiteral(":memory:") : defaultPath();
    if (m_store.open(m_path)) return;
    m_errorText = tr("Conversations cannot be saved (%1).").arg(m_store.lastError());
    m_path = QStringLiteral(":memory:");
    m_store.open(m_path);
}
