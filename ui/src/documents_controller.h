// The documents view-model: the files in the document index with their status, and
// indexing runs (rag::Indexer on its own thread, embedding with the shipped embedder
// so answers can use hybrid search) with progress, rate, ETA, pause, resume and
// cancel. Store reads run on a worker thread (DocumentWorker); QML sees queued
// signals. Answers from the documents are prepared by the engine worker
// (EngineWorker, rag::Answerer) with this index and embedder.
#pragma once

#include <QHash>
#include <QSet>
#include <QList>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include <memory>

#include "document_list_model.h"
#include "document_worker.h"

namespace rag {
class Indexer;
}

// Deletes a run's rag::Indexer (cancels and joins it); defined where rag/ is, so this
// header and the controller build without it.
struct IndexerDeleter {
    void operator()(rag::Indexer* indexer) const;
};

class DocumentsController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(DocumentListModel* documents READ documents CONSTANT)
    Q_PROPERTY(bool available READ available CONSTANT)  // built with rag/
    Q_PROPERTY(QString databasePath READ databasePath CONSTANT)
    // The embedder that indexing runs use and answers embed questions with (empty: none, BM25 only).
    // Set from the settings ("" = the shipped default); a change re-embeds what is indexed.
    Q_PROPERTY(QString embedderPath READ embedderPath WRITE setEmbedderPath NOTIFY embedderChanged)
    // A remote embedder ("remote:URL#MODEL", settings' documentEmbedder): its API key, and
    // the server's host for the plain words that the documents' text goes there.
    Q_PROPERTY(QString embedderApiKey MEMBER m_embedderApiKey NOTIFY embedderChanged)
    // The device a local embedder runs on (the chat model's device setting: cpu, auto, opencl:P.D).
    Q_PROPERTY(QString embedderDevice MEMBER m_embedderDevice NOTIFY embedderChanged)
    Q_PROPERTY(QString remoteEmbedderHost READ remoteEmbedderHost NOTIFY embedderChanged)  // "" when local
    Q_PROPERTY(QString defaultEmbedderPath READ defaultEmbedderPath CONSTANT)
    Q_PROPERTY(bool indexing READ indexing NOTIFY indexingChanged)
    Q_PROPERTY(bool paused READ paused NOTIFY indexingChanged)
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged)  // [0, 1]; -1 unknown
    Q_PROPERTY(QString progressText READ progressText NOTIFY progressChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    // For the next indexing run (Main.qml binds them to the settings): OCR of pages
    // without a text layer, and Tesseract's language(s), "eng+fra".
    Q_PROPERTY(bool ocrEnabled MEMBER m_ocrEnabled NOTIFY ocrChanged)
    Q_PROPERTY(QString ocrLanguage MEMBER m_ocrLanguage NOTIFY ocrChanged)
    // PDF passwords the user chose to keep (path -> password; Main.qml binds the
    // settings' list). Passwords typed without "remember" live only in this object.
    Q_PROPERTY(QVariantMap savedPasswords MEMBER m_savedPasswords NOTIFY savedPasswordsChanged)

public:
    explicit DocumentsController(QObject* parent = nullptr);
    ~DocumentsController() override;

    // Set once by the app (userDataDir()/documents.sqlite) or a test.
    static void setDefaultDatabasePath(const QString& path);
    // Set once by the app (the shipped USE-Lite model) or a test; empty: no dense search.
    static void setDefaultEmbedderPath(const QString& path);

    DocumentListModel* documents() { return &m_documents; }
    QString databasePath() const { return m_dbPath; }
    QString embedderPath() const { return m_embedderPath; }
    QString embedderApiKey() const { return m_embedderApiKey; }
    QString embedderDevice() const { return m_embedderDevice; }
    QString remoteEmbedderHost() const;
    QString defaultEmbedderPath() const;
    // "" = the default. A new embedder gets vectors for every indexed document: an
    // indexing run over them (their text is unchanged, so only the embedding runs).
    void setEmbedderPath(const QString& path);
    bool available() const;
    // A run is going, or files wait for one.
    bool indexing() const { return m_indexer != nullptr || !m_pending.isEmpty(); }
    bool paused() const;
    double progress() const { return m_progress; }
    QString progressText() const { return m_progressText; }
    QString errorText() const { return m_errorText; }
    bool ocrEnabled() const { return m_ocrEnabled; }
    QString ocrLanguage() const { return m_ocrLanguage; }

    // Files and folders (recursively); queued behind a running index.
    Q_INVOKABLE void add(const QList<QUrl>& urls);
    Q_INVOKABLE void pause();
    Q_INVOKABLE void resume();
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void remove(int row);
    Q_INVOKABLE void refresh();
    // Indexes the password-protected PDF at path again with password; with remember,
    // asks for it to be kept (rememberPasswordRequested).
    Q_INVOKABLE void unlock(const QString& path, const QString& password, bool remember);

signals:
    void indexingChanged();
    void progressChanged();
    void errorTextChanged();
    void ocrChanged();
    void embedderChanged();
    void savedPasswordsChanged();
    // A run found a password-protected PDF; retry: the password given was wrong.
    void passwordNeeded(const QString& path, bool retry);
    void rememberPasswordRequested(const QString& path, const QString& password);
    // To the worker.
    void listRequested();
    void removeRequested(qint64 documentId);

private:
    void startRun();
    void pollRun();
    void setError(const QString& text);

    DocumentListModel m_documents;
    QString m_dbPath;
    QString m_embedderPath;
    QString m_embedderApiKey;
    QString m_embedderDevice = QStringLiteral("cpu");
    QThread m_thread;
    DocumentWorker* m_worker = nullptr;
    std::unique_ptr<rag::Indexer, IndexerDeleter> m_indexer;
    QStringList m_pending;
    // The worker created/migrated the database (first list): an indexer opening it
    // at the same moment would find it locked.
    bool m_storeReady = false;
    bool m_pausePending = false;  // pause() before the run started
    QTimer m_poll;
    double m_progress = -1;
    QString m_progressText;
    QString m_errorText;
    bool m_ocrEnabled = true;
    QString m_ocrLanguage = QStringLiteral("eng");
    QVariantMap m_savedPasswords;
    QHash<QString, QString> m_sessionPasswords;  // path -> password, not kept
    QSet<QString> m_triedPasswords;              // paths of the current run given one
};
