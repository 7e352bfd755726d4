#include "remote_backend.h"

#include <QUrl>

namespace {
std::shared_ptr<RemoteBackend>& slot() {
    static std::shared_ptr<RemoteBackend> backend;
    return backend;
}
const QString kPrefix = QStringLiteral("remote:");
}  // namespace

void RemoteBackend::install(std::shared_ptr<RemoteBackend> backend) { slot() = std::move(backend); }
std::shared_ptr<RemoteBackend> RemoteBackend::installed() { return slot(); }

bool isRemoteModelPath(const QString& path) { return path.startsWith(kPrefix); }

QString remoteModelPath(const QString& baseUrl, const QString& model) {
    QString url = baseUrl.trimmed();
    while (url.endsWith(u'/')) url.chop(1);
    return kPrefix + url + u'#' + model.trimmed();
}

bool parseRemoteModelPath(const QString& path, QString& baseUrl, QString& model) {
    if (!isRemoteModelPath(path)) return false;
    const QString rest = path.mid(kPrefix.size());
    const qsizetype hash = rest.lastIndexOf(u'#');
    baseUrl = hash < 0 ? rest : rest.left(hash);
    model = hash < 0 ? QString() : rest.mid(hash + 1);
    const QUrl url(baseUrl, QUrl::StrictMode);
    return url.isValid() && (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https")) &&
           !url.host().isEmpty();
}
