#include "documents_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QUrl>

#include "remote_backend.h"

// What does not depend on rag/; indexing runs and the store's worker are in
// documents_rag.cpp (documents_no_rag.cpp in a build without rag/: CMake picks one).
namespace {

QString& defaultDbSlot() {
    static QString path;
    return path;
}

QString& defaultEmbedderSlot() {
    static QString path;
    return path;
}

}  // namespace

void DocumentsController::setDefaultDatabasePath(const QString& path) { defaultDbSlot() = path; }
void DocumentsController::setDefaultEmbedderPath(const QString& path) { defaultEmbedderSlot() = path; }

DocumentsController::DocumentsController(QObject* parent) : QObject(parent) {
    qRegisterMetaType<DocumentRow>();
    qRegisterMetaType<QList<DocumentRow>>();
    m_dbPath = defaultDbSlot().isEmpty() ? QDir::temp().filePath(QStringLiteral("assistant-documents.sqlite"))
                                         : defaultDbSlot();
    QDir().mkpath(QFileInfo(m_dbPath).absolutePath());
    m_embedderPath = defaultEmbedderSlot();
    m_thread.setObjectName(QStringLiteral("documents"));
    m_worker = new DocumentWorker(m_dbPath);
    m_worker->moveToThread(&m_thread);
    connect(this, &DocumentsController::listRequested, m_worker, &DocumentWorker::list, Qt::QueuedConnection);
    connect(this, &DocumentsController::removeRequested, m_worker, &DocumentWorker::remove, Qt::QueuedConnection);
    connect(m_worker, &DocumentWorker::listed, this, [this](const QList<DocumentRow>& rows) {
        m_documents.setRows(rows);
        if (!m_storeReady) {
            m_storeReady = true;
            if (!m_indexer && !m_pending.isEmpty()) startRun();
        }
    }, Qt::QueuedConnection);
    connect(m_worker, &DocumentWorker::failed, this, &DocumentsController::setError, Qt::QueuedConnection);
    m_thread.start();
    m_poll.setInterval(200);
    connect(&m_poll, &QTimer::timeout, this, &DocumentsController::pollRun);
    if (available()) refresh();
}

DocumentsController::~DocumentsController() {
    m_indexer.reset();  // cancels and joins a running index
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

void DocumentsController::refresh() { emit listRequested(); }

QString DocumentsController::defaultEmbedderPath() const { return defaultEmbedderSlot(); }

QString DocumentsController::remoteEmbedderHost() const {
    QString url, model;
    return parseRemoteModelPath(m_embedderPath, url, model) ? QUrl(url).host() : QString();
}

void DocumentsController::setEmbedderPath(const QString& path) {
    const QString effective = path.isEmpty() ? defaultEmbedderSlot() : path;
    if (effective == m_embedderPath) return;
    m_embedderPath = effective;
    emit embedderChanged();
    if (!available() || effective.isEmpty()) return;
    for (int i = 0; i < m_documents.count(); ++i) {
        const DocumentRow* r = m_documents.row(i);
        if (r && (r->status == QLatin1String("indexed") || r->status == QLatin1String("ocr")) && QFileInfo::exists(r->path) &&
            !m_pending.contains(r->path))
            m_pending << r->path;
    }
    if (!m_indexer && !m_pending.isEmpty() && m_storeReady) startRun();
    else if (!m_pending.isEmpty()) emit indexingChanged();
}

void DocumentsController::add(const QList<QUrl>& urls) {
    if (!available()) return setError(tr("This build has no document index."));
    for (const QUrl& url : urls) {
        const QString path = url.isLocalFile() ? url.toLocalFile() : url.toString();
        if (!QFileInfo::exists(path)) {
            setError(tr("%1 does not exist.").arg(path));
            continue;
        }
        m_pending << QFileInfo(path).absoluteFilePath();
    }
    if (!m_indexer && !m_pending.isEmpty() && m_storeReady) startRun();
    else if (!m_pending.isEmpty()) emit indexingChanged();  // queued: indexing() says so
}



void DocumentsController::unlock(const QString& path, const QString& password, bool remember) {
    if (!available() || path.isEmpty()) return;
    m_sessionPasswords.insert(path, password);
    m_triedPasswords.insert(path);
    if (remember) emit rememberPasswordRequested(path, password);
    m_pending << path;
    if (!m_indexer && m_storeReady) startRun();
    else emit indexingChanged();
}




void DocumentsController::remove(int row) {
    const DocumentRow* r = m_documents.row(row);
    if (!r) return;
    if (m_indexer) return setError(tr("Wait for indexing to finish before removing documents."));
    emit removeRequested(r->id);
}

void DocumentsController::setError(const QString& text) {
    if (text == m_errorText) return;
    m_errorText = text;
    emit errorTextChanged();
}
