// Reads and edits the document index on the documents thread (DocumentsController
// owns the thread): the list of files, and removing one. Results come back as queued
// signals. Defined in documents_rag.cpp, or documents_no_rag.cpp in a build without rag/.
#pragma once

#include <QObject>
#include <QString>

#include "document_list_model.h"

class DocumentWorker : public QObject {
    Q_OBJECT
public:
    explicit DocumentWorker(QString dbPath) : m_dbPath(std::move(dbPath)) {}
public slots:
    void list();
    void remove(qint64 documentId);
signals:
    void listed(const QList<DocumentRow>& rows);
    void failed(const QString& message);
private:
    QString m_dbPath;
};
