#include "document_list_model.h"

#include <QFileInfo>

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
    case LanguageRole: return r->language;
    default: return {};
    }
}

QHash<int, QByteArray> DocumentListModel::roleNames() const {
    return {{IdRole, "documentId"}, {PathRole, "path"},     {FileNameRole, "fileName"}, {StatusRole, "status"},
            {DetailRole, "detail"},  {PagesRole, "pages"}, {ChunksRole, "chunks"},
            {LanguageRole, "language"}};
}
