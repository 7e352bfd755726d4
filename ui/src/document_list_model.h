// The documents list as QML sees it: one row per indexed file (rag::DocumentRecord
// converted to Qt types) with its status, pages, chunks and language.
#pragma once

#include <QAbstractListModel>
#include <QHash>
#include <QList>
#include <QtQml/qqmlregistration.h>

// One indexed file as the view shows it (rag::DocumentRecord).
struct DocumentRow {
    qint64 id = 0;
    QString path;
    QString status;  // "indexed" | "ocr" | "encrypted" | "no_text" | "unreadable" | "failed"
    QString detail;  // why, or a note
    int pages = 0;
    int chunks = 0;
    QString language;  // the language of most of its text, in that language ("Deutsch"); "" unknown
};
Q_DECLARE_METATYPE(DocumentRow)

class DocumentListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("DocumentListModel is owned by DocumentsController")
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Roles { IdRole = Qt::UserRole + 1, PathRole, FileNameRole, StatusRole, DetailRole, PagesRole, ChunksRole, LanguageRole };
    explicit DocumentListModel(QObject* parent = nullptr) : QAbstractListModel(parent) {}
    int count() const { return static_cast<int>(m_rows.size()); }
    void setRows(const QList<DocumentRow>& rows);
    const DocumentRow* row(int i) const { return i >= 0 && i < count() ? &m_rows[i] : nullptr; }

signals:
    void countChanged();

private:
    int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : count(); }
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    QList<DocumentRow> m_rows;
};
