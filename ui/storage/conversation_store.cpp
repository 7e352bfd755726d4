#include "conversation_store.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QVariant>

#include <atomic>

namespace {

qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

// A null QString binds as SQL NULL; the text columns are NOT NULL.
QVariant text(const QString& s) { return s.isNull() ? QVariant(QStringLiteral("")) : QVariant(s); }

// Numbered migrations: entry i brings user_version from i to i + 1. Never edit an
// applied one; append.
const char* const kMigrations[] = {
    "CREATE TABLE conversations(id INTEGER PRIMARY KEY, title TEXT NOT NULL,"
    " title_is_auto INTEGER NOT NULL DEFAULT 1, model_path TEXT NOT NULL DEFAULT '',"
    " system_prompt TEXT NOT NULL DEFAULT '', params TEXT NOT NULL DEFAULT '{}',"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE messages(conversation_id INTEGER NOT NULL REFERENCES conversations(id)"
    " ON DELETE CASCADE, position INTEGER NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL,"
    " stats TEXT NOT NULL DEFAULT '', PRIMARY KEY(conversation_id, position));"
    "CREATE INDEX conversations_updated ON conversations(updated_at);"
    "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 2: the document excerpts an answer was given ("Use my documents"), JSON.
    "ALTER TABLE messages ADD COLUMN sources TEXT NOT NULL DEFAULT '';",
};

QString jsonText(const QJsonObject& o) { return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)); }

QJsonObject jsonObject(const QString& text) { return QJsonDocument::fromJson(text.toUtf8()).object(); }

ConversationMeta readMeta(const QSqlQuery& q) {
    ConversationMeta m;
    m.id = q.value(0).toLongLong();
    m.title = q.value(1).toString();
    m.titleIsAuto = q.value(2).toBool();
    m.modelPath = q.value(3).toString();
    m.systemPrompt = q.value(4).toString();
    m.params = jsonObject(q.value(5).toString());
    m.createdAt = q.value(6).toLongLong();
    m.updatedAt = q.value(7).toLongLong();
    return m;
}

const char* const kMetaColumns =
    "c.id, c.title, c.title_is_auto, c.model_path, c.system_prompt, c.params, c.created_at, c.updated_at";

}  // namespace

ConversationStore::ConversationStore() {
    static std::atomic<int> counter{0};
    m_connection = QStringLiteral("assistant-store-%1").arg(counter++);
}

ConversationStore::~ConversationStore() {
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isValid()) db.close();
    }
    if (QSqlDatabase::contains(m_connection)) QSqlDatabase::removeDatabase(m_connection);
}

bool ConversationStore::fail(const QString& what, const QString& sqlError) const {
    m_error = QStringLiteral("%1: %2").arg(what, sqlError);
    return false;
}

bool ConversationStore::open(const QString& path) {
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        return fail(QStringLiteral("cannot open the conversation database"),
                    QStringLiteral("the Qt SQLite driver (libqt6sql6-sqlite) is not installed"));
    if (path != QLatin1String(":memory:")) {
        const QString dir = QFileInfo(path).absolutePath();
        if (!QDir().mkpath(dir)) return fail(QStringLiteral("cannot create %1").arg(dir), QStringLiteral("mkpath failed"));
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    db.setDatabaseName(path);
    if (!db.open()) return fail(QStringLiteral("cannot open %1").arg(path), db.lastError().text());
    QSqlQuery q(db);
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=2000"})
        if (!q.exec(QString::fromLatin1(pragma))) return fail(QString::fromLatin1(pragma), q.lastError().text());
    return migrate();
}

bool ConversationStore::migrate() {
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next())
        return fail(QStringLiteral("reading the schema version"), q.lastError().text());
    const int version = q.value(0).toInt();
    const int latest = int(std::size(kMigrations));
    if (version > latest)
        return fail(QStringLiteral("the conversation database is from a newer Assistant"),
                    QStringLiteral("schema %1, this build knows %2").arg(version).arg(latest));
    for (int v = version; v < latest; ++v) {
        if (!db.transaction()) return fail(QStringLiteral("starting migration %1").arg(v + 1), db.lastError().text());
        // QSqlQuery runs one statement at a time.
        for (const QString& statement : QString::fromLatin1(kMigrations[v]).split(u';', Qt::SkipEmptyParts)) {
            if (!q.exec(statement)) {
                db.rollback();
                return fail(QStringLiteral("migration %1").arg(v + 1), q.lastError().text());
            }
        }
        if (!q.exec(QStringLiteral("PRAGMA user_version = %1").arg(v + 1)) || !db.commit()) {
            db.rollback();
            return fail(QStringLiteral("migration %1").arg(v + 1), q.lastError().text());
        }
    }
    return true;
}

qint64 ConversationStore::create(const ConversationMeta& meta) {
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("INSERT INTO conversations(title, title_is_auto, model_path, system_prompt, params,"
                             " created_at, updated_at) VALUES(?, ?, ?, ?, ?, ?, ?)"));
    const qint64 now = nowMs();
    for (const QVariant& v : {text(meta.title), QVariant(meta.titleIsAuto), text(meta.modelPath),
                              text(meta.systemPrompt), QVariant(jsonText(meta.params)), QVariant(now), QVariant(now)})
        q.addBindValue(v);
    if (!q.exec()) return fail(QStringLiteral("creating a conversation"), q.lastError().text()), 0;
    const qint64 id = q.lastInsertId().toLongLong();
    if (id <= 0) return fail(QStringLiteral("creating a conversation"), QStringLiteral("no row id: %1").arg(q.lastInsertId().toString())), 0;
    return id;
}

bool ConversationStore::update(const ConversationMeta& meta) {
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("UPDATE conversations SET title = ?, title_is_auto = ?, model_path = ?,"
                             " system_prompt = ?, params = ?, updated_at = ? WHERE id = ?"));
    for (const QVariant& v : {text(meta.title), QVariant(meta.titleIsAuto), text(meta.modelPath),
                              text(meta.systemPrompt), QVariant(jsonText(meta.params)), QVariant(nowMs()),
                              QVariant(meta.id)})
        q.addBindValue(v);
    if (!q.exec()) return fail(QStringLiteral("saving conversation %1").arg(meta.id), q.lastError().text());
    return q.numRowsAffected() == 1 || fail(QStringLiteral("saving conversation %1").arg(meta.id), QStringLiteral("no such conversation"));
}

bool ConversationStore::rename(qint64 id, const QString& title) {
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("UPDATE conversations SET title = ?, title_is_auto = 0 WHERE id = ?"));
    q.addBindValue(text(title));
    q.addBindValue(id);
    if (!q.exec()) return fail(QStringLiteral("renaming conversation %1").arg(id), q.lastError().text());
    return q.numRowsAffected() == 1 || fail(QStringLiteral("renaming conversation %1").arg(id), QStringLiteral("no such conversation"));
}

bool ConversationStore::remove(qint64 id) {
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("DELETE FROM conversations WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec()) return fail(QStringLiteral("deleting conversation %1").arg(id), q.lastError().text());
    return true;
}

std::optional<ConversationMeta> ConversationStore::conversation(qint64 id) const {
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT %1 FROM conversations c WHERE c.id = ?").arg(QLatin1String(kMetaColumns)));
    q.addBindValue(id);
    if (!q.exec()) return fail(QStringLiteral("reading conversation %1").arg(id), q.lastError().text()), std::nullopt;
    if (!q.next()) return std::nullopt;
    return readMeta(q);
}

QList<ConversationMeta> ConversationStore::list(const QString& search) const {
    // Every word must appear in the title or in one of the messages.
    const QStringList words = search.simplified().split(u' ', Qt::SkipEmptyParts);
    QString sql = QStringLiteral("SELECT %1 FROM conversations c").arg(QLatin1String(kMetaColumns));
    QStringList where;
    for (qsizetype i = 0; i < words.size(); ++i)
        where << QStringLiteral("(c.title LIKE ? ESCAPE '\\' OR EXISTS(SELECT 1 FROM messages m WHERE "
                                "m.conversation_id = c.id AND m.text LIKE ? ESCAPE '\\'))");
    if (!where.isEmpty()) sql += QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND "));
    sql += QStringLiteral(" ORDER BY c.updated_at DESC, c.id DESC");
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(sql);
    for (QString w : words) {
        w.replace(u'\\', QStringLiteral("\\\\")).replace(u'%', QStringLiteral("\\%")).replace(u'_', QStringLiteral("\\_"));
        const QString pattern = u'%' + w + u'%';
        q.addBindValue(pattern);
        q.addBindValue(pattern);
    }
    QList<ConversationMeta> out;
    if (!q.exec()) return fail(QStringLiteral("listing conversations"), q.lastError().text()), out;
    while (q.next()) out.append(readMeta(q));
    return out;
}

QList<StoredMessage> ConversationStore::messages(qint64 id) const {
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT role, text, stats, sources FROM messages WHERE conversation_id = ? ORDER BY position"));
    q.addBindValue(id);
    QList<StoredMessage> out;
    if (!q.exec()) return fail(QStringLiteral("reading messages of %1").arg(id), q.lastError().text()), out;
    while (q.next())
        out.append({q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString()});
    return out;
}

bool ConversationStore::saveMessages(qint64 id, const QList<StoredMessage>& messages) {
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    const QString what = QStringLiteral("saving messages of conversation %1").arg(id);
    if (!db.transaction()) return fail(what, db.lastError().text());
    QSqlQuery q(db);
    q.prepare(QStringLiteral("DELETE FROM messages WHERE conversation_id = ?"));
    q.addBindValue(id);
    bool ok = q.exec();
    q.prepare(QStringLiteral("INSERT INTO messages(conversation_id, position, role, text, stats, sources) VALUES(?, ?, ?, ?, ?, ?)"));
    for (qsizetype i = 0; ok && i < messages.size(); ++i) {
        q.addBindValue(id);
        q.addBindValue(qint64(i));
        q.addBindValue(text(messages[i].role));
        q.addBindValue(text(messages[i].text));
        q.addBindValue(text(messages[i].stats));
        q.addBindValue(text(messages[i].sources));
        ok = q.exec();
    }
    if (ok) {
        q.prepare(QStringLiteral("UPDATE conversations SET updated_at = ? WHERE id = ?"));
        q.addBindValue(nowMs());
        q.addBindValue(id);
        ok = q.exec();
    }
    if (!ok || !db.commit()) {
        const QString error = q.lastError().text();
        db.rollback();
        return fail(what, error);
    }
    return true;
}

QString ConversationStore::setting(const QString& key, const QString& fallback) const {
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT value FROM settings WHERE key = ?"));
    q.addBindValue(key);
    if (!q.exec()) return fail(QStringLiteral("reading setting %1").arg(key), q.lastError().text()), fallback;
    return q.next() ? q.value(0).toString() : fallback;
}

bool ConversationStore::setSetting(const QString& key, const QString& value) {
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("INSERT INTO settings(key, value) VALUES(?, ?)"
                             " ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    q.addBindValue(key);
    q.addBindValue(text(value));
    if (!q.exec()) return fail(QStringLiteral("saving setting %1").arg(key), q.lastError().text());
    return true;
}
