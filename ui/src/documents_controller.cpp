#include "documents_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QVariantMap>

#ifdef ASSISTANT_HAVE_RAG
#include "rag/indexer.h"
#include "rag/store.h"
#endif

namespace {

QString& defaultDbSlot() {
    static QString path;
    return path;
}

QString& defaultEmbedderSlot() {
    static QString path;
    return path;
}

QString qs(const std::string& s) { return QString::fromStdString(s); }

// "12 s", "3 min", "1 h 5 min"
QString humanSeconds(double s) {
    if (s < 90) return QObject::tr("%1 s").arg(qRound(s));
    if (s < 3600) return QObject::tr("%1 min").arg(qRound(s / 60));
    const int minutes = qRound(s / 60);
    return QObject::tr("%1 h %2 min").arg(minutes / 60).arg(minutes % 60);
}

}  // namespace

// --- DocumentListModel -------------------------------------------------------

void DocumentListModel::setRows(const QList<DocumentRow>& rows) {
    const int before = count();
    beginResetModel();
    m_rows = rows;
    endResetModel();
    if (count() != before) emit countChanged();
}

QVariant DocumentListModel::data(const QModelIndex& index, int role) const {
    const DocumentRow* r = row(index.isValid() ? index.row() : -1);
    if (!r) return {};
    switch (role) {
    case IdRole: return r->id;
    case PathRole: return r->path;
    case FileNameRole: return QFileInfo(r->path).fileName();
    case StatusRole: return r->status;
    case DetailRole: return r->detail;
    case PagesRole: return r->pages;
    case ChunksRole: return r->chunks;
    default: return {};
    }
}

QHash<int, QByteArray> DocumentListModel::roleNames() const {
    return {{IdRole, "documentId"}, {PathRole, "path"},     {FileNameRole, "fileName"}, {StatusRole, "status"},
            {DetailRole, "detail"},  {PagesRole, "pages"}, {ChunksRole, "chunks"}};
}

// --- DocumentWorker (worker thread) --------------------------------------------

void DocumentWorker::list() {
#ifdef ASSISTANT_HAVE_RAG
    QList<DocumentRow> rows;
    {
        // Closed before the GUI hears of it: rag::Store::open sets WAL mode before its
        // busy timeout, so an indexer opening the file beside this connection fails.
        auto store = rag::Store::open(m_dbPath.toStdString());
        if (!store) return emit failed(tr("The document index cannot be opened: %1").arg(qs(store.error())));
        auto docs = store->listDocuments();
        if (!docs) return emit failed(tr("The document list cannot be read: %1").arg(qs(docs.error())));
        for (const rag::DocumentRecord& d : *docs)
            rows.append({d.id, qs(d.path), qs(d.status), qs(d.error), d.pages, d.chunks});
    }
    emit listed(rows);
#endif
}

void DocumentWorker::remove(qint64 documentId) {
#ifdef ASSISTANT_HAVE_RAG
    auto store = rag::Store::open(m_dbPath.toStdString());
    if (!store) return emit failed(tr("The document index cannot be opened: %1").arg(qs(store.error())));
    if (auto removed = store->removeDocument(documentId); !removed)
        emit failed(tr("The document could not be removed: %1").arg(qs(removed.error())));
    list();
#else
    Q_UNUSED(documentId)
#endif
}

// --- DocumentsController (GUI thread) ------------------------------------------

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

bool DocumentsController::available() const {
#ifdef ASSISTANT_HAVE_RAG
    return true;
#else
    return false;
#endif
}

bool DocumentsController::paused() const {
#ifdef ASSISTANT_HAVE_RAG
    return m_pausePending || (m_indexer && m_indexer->paused());
#else
    return false;
#endif
}

void DocumentsController::refresh() { emit listRequested(); }

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

void DocumentsController::startRun() {
#ifdef ASSISTANT_HAVE_RAG
    rag::IndexOptions options;
    options.extract.ocr = m_ocrEnabled;
    options.extract.ocrLanguage = m_ocrLanguage.toStdString();
    options.embedderPath = m_embedderPath.toStdString();  // loaded on the indexer's thread
    for (auto it = m_savedPasswords.cbegin(); it != m_savedPasswords.cend(); ++it)
        options.passwords[it.key().toStdString()] = it.value().toString().toStdString();
    for (auto it = m_sessionPasswords.cbegin(); it != m_sessionPasswords.cend(); ++it)
        options.passwords[it.key().toStdString()] = it.value().toStdString();
    // Progress and per-file results arrive on the indexer's thread: queue them here.
    options.onProgress = [this](const rag::IndexProgress& p) {
        QMetaObject::invokeMethod(this, [this, p] {
            using Phase = rag::IndexProgress::Phase;
            m_progress = p.filesTotal > 0 ? double(p.filesDone) / p.filesTotal : -1;
            if (p.phase == Phase::Scanning) {
                m_progressText = tr("Looking for documents…");
            } else if (p.phase == Phase::Done) {
                m_progressText = tr("Done: %n file(s)", nullptr, p.filesTotal);
            } else if (p.phase == Phase::Embedding) {
                // The embedder's vectors for hybrid search, after the text is in.
                m_progressText = tr("Preparing search: %1 of %2 passages").arg(p.chunksEmbedded).arg(p.chunksToEmbed);
                if (p.etaSeconds >= 0) m_progressText += tr(" · about %1 left").arg(humanSeconds(p.etaSeconds));
            } else {
                m_progressText = tr("Reading %1 of %2 · %3").arg(p.filesDone + 1).arg(p.filesTotal)
                                     .arg(QFileInfo(qs(p.currentFile)).fileName());
                if (p.ratePerSecond > 0)
                    m_progressText += tr(" · %1 pages/s").arg(p.ratePerSecond, 0, 'f', 1);
                if (p.etaSeconds >= 0) m_progressText += tr(" · about %1 left").arg(humanSeconds(p.etaSeconds));
            }
            emit progressChanged();
        }, Qt::QueuedConnection);
    };
    // The list is re-read when the run ends (reading while the indexer writes could
    // make its transactions wait).
    m_indexer = std::make_unique<rag::Indexer>(m_dbPath.toStdString(), std::move(options));
    std::vector<std::string> paths;
    for (const QString& p : std::as_const(m_pending)) paths.push_back(p.toStdString());
    m_pending.clear();
    setError({});
    m_progress = -1;
    m_progressText = m_pausePending ? tr("Paused.") : tr("Looking for documents…");
    emit progressChanged();
    if (m_pausePending) m_indexer->pause();  // honoured before the first file
    m_pausePending = false;
    m_indexer->start(std::move(paths));
    m_poll.start();
    emit indexingChanged();
#endif
}

void DocumentsController::pollRun() {
#ifdef ASSISTANT_HAVE_RAG
    if (!m_indexer || m_indexer->running()) return;
    const rag::IndexSummary summary = m_indexer->wait();
    m_indexer.reset();
    m_poll.stop();
    if (!summary.error.empty()) setError(tr("Indexing stopped: %1").arg(qs(summary.error)));
    m_progress = summary.cancelled ? -1 : 1;
    m_progressText = summary.cancelled ? tr("Cancelled.") : tr("Done: %n file(s)", nullptr, int(summary.files.size()));
    emit progressChanged();
    emit indexingChanged();
    refresh();
    // Ask for the password of the first protected PDF (a wrong one asks again).
    bool asked = false;
    for (const rag::FileResult& f : summary.files) {
        const QString path = qs(f.path);
        const bool tried = m_triedPasswords.remove(path);
        if (f.status == "encrypted" && !asked) {
            emit passwordNeeded(path, tried);
            asked = true;
        }
    }
    if (!m_pending.isEmpty()) startRun();
#endif
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

void DocumentsController::pause() {
#ifdef ASSISTANT_HAVE_RAG
    if (!m_indexer && m_pending.isEmpty()) return;
    if (m_indexer) m_indexer->pause();
    else m_pausePending = true;
    m_progressText = tr("Paused.");
    emit progressChanged();
    emit indexingChanged();
#endif
}

void DocumentsController::resume() {
#ifdef ASSISTANT_HAVE_RAG
    m_pausePending = false;
    if (m_indexer) m_indexer->resume();
    emit indexingChanged();
#endif
}

void DocumentsController::cancel() {
#ifdef ASSISTANT_HAVE_RAG
    m_pending.clear();
    m_pausePending = false;
    if (m_indexer) m_indexer->cancel();
    emit indexingChanged();
#endif
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
