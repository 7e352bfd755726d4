// The documents view's parts that use rag/: the store's worker (list, remove) and
// indexing runs (rag::Indexer). documents_no_rag.cpp stands in without rag/.
#include <QFileInfo>

#include "document_embedder.h"
#include "documents_controller.h"
#include "rag/indexer.h"
#include "rag/language.h"
#include "rag/store.h"

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// "12 s", "3 min", "1 h 5 min"
QString humanSeconds(double s) {
    if (s < 90) return QObject::tr("%1 s").arg(qRound(s));
    if (s < 3600) return QObject::tr("%1 min").arg(qRound(s / 60));
    const int minutes = qRound(s / 60);
    return QObject::tr("%1 h %2 min").arg(minutes / 60).arg(minutes % 60);
}

// The language's own name ("Deutsch", "中文"), from an ISO 639-1 code; "" for "".
QString languageLabel(const std::string& code) { return qs(std::string(rag::nativeLanguageName(code))); }

}  // namespace

// --- DocumentWorker (worker thread) --------------------------------------------

void DocumentWorker::list() {
    QList<DocumentRow> rows;
    {
        // Closed before the GUI hears of it: rag::Store::open sets WAL mode before its
        // busy timeout, so an indexer opening the file beside this connection fails.
        auto store = rag::Store::open(m_dbPath.toStdString());
        if (!store) return emit failed(tr("The document index cannot be opened: %1").arg(qs(store.error())));
        auto docs = store->listDocuments();
        if (!docs) return emit failed(tr("The document list cannot be read: %1").arg(qs(docs.error())));
        for (const rag::DocumentRecord& d : *docs)
            rows.append({d.id, qs(d.path), qs(d.status), qs(d.error), d.pages, d.chunks, languageLabel(d.language)});
    }
    emit listed(rows);
}

void DocumentWorker::remove(qint64 documentId) {
    auto store = rag::Store::open(m_dbPath.toStdString());
    if (!store) return emit failed(tr("The document index cannot be opened: %1").arg(qs(store.error())));
    if (auto removed = store->removeDocument(documentId); !removed)
        emit failed(tr("The document could not be removed: %1").arg(qs(removed.error())));
    list();
}

// --- DocumentsController (GUI thread) ------------------------------------------

void IndexerDeleter::operator()(rag::Indexer* indexer) const { delete indexer; }

bool DocumentsController::available() const { return true; }

bool DocumentsController::paused() const {
    return m_pausePending || (m_indexer && m_indexer->paused());
}

void DocumentsController::startRun() {
    rag::IndexOptions options;
    options.extract.ocr = m_ocrEnabled;
    options.extract.ocrLanguage = m_ocrLanguage.toStdString();
    if (isRemoteModelPath(m_embedderPath)) {
        // The texts go to the server the user chose for them; connecting is a request, so
        // it happens on the indexer's thread. A wrong key or a 500 ends the run with its error.
        options.connectEmbedder = [path = m_embedderPath, key = m_embedderApiKey] { return loadDocumentEmbedder(path, key); };
    } else {
        options.embedderPath = m_embedderPath.toStdString();  // loaded on the indexer's thread
        options.embedderDevice = m_embedderDevice.toStdString();
    }
    // The settings choose the index's embedder: vectors of the one chosen before are replaced.
    options.replaceEmbeddings = true;
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
                const QString host = remoteEmbedderHost();  // say so when the text goes to a server
                m_progressText = host.isEmpty()
                                     ? tr("Preparing search: %1 of %2 passages").arg(p.chunksEmbedded).arg(p.chunksToEmbed)
                                     : tr("Preparing search on %3: %1 of %2 passages sent").arg(p.chunksEmbedded)
                                           .arg(p.chunksToEmbed).arg(host);
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
    m_indexer.reset(new rag::Indexer(m_dbPath.toStdString(), std::move(options)));
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
}

void DocumentsController::pollRun() {
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
}

void DocumentsController::pause() {
    if (!m_indexer && m_pending.isEmpty()) return;
    if (m_indexer) m_indexer->pause();
    else m_pausePending = true;
    m_progressText = tr("Paused.");
    emit progressChanged();
    emit indexingChanged();
}

void DocumentsController::resume() {
    m_pausePending = false;
    if (m_indexer) m_indexer->resume();
    emit indexingChanged();
}

void DocumentsController::cancel() {
    m_pending.clear();
    m_pausePending = false;
    if (m_indexer) m_indexer->cancel();
    emit indexingChanged();
}
