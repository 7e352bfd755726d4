#include "model_controller.h"

#include <QFile>
#include <QFileInfo>

namespace {
QString& defaultModelPathSlot() {
    static QString path;
    return path;
}
}  // namespace

ModelController::ModelController(QObject* parent) : QObject(parent) { useDefaultModel(); }

void ModelController::setDefaultModelPath(const QString& path) { defaultModelPathSlot() = path; }

void ModelController::useDefaultModel() {
    const QString path = defaultModelPathSlot();
    if (path.isEmpty()) {
        setStatus(tr("The embedded demo model was not found. Open a GGUF model to start."));
        return;
    }
    select(path, true);
}

void ModelController::openModel(const QUrl& file) {
    const QString path = file.isLocalFile() ? file.toLocalFile() : file.toString();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        setStatus(tr("Cannot open %1: %2").arg(path, f.errorString()));
        return;
    }
    if (f.read(4) != QByteArrayLiteral("GGUF")) {
        setStatus(tr("%1 is not a GGUF model file.").arg(QFileInfo(path).fileName()));
        return;
    }
    select(path, path == defaultModelPathSlot());
}

void ModelController::select(const QString& path, bool demo) {
    m_modelPath = path;
    m_modelName = QFileInfo(path).completeBaseName();
    m_isDemo = demo;
    emit modelChanged();
    setStatus(demo ? tr("Demo model: a tiny story-telling model (260K parameters), not a real "
                        "assistant. Open a GGUF model file for real answers.")
                   : tr("Model: %1").arg(QFileInfo(path).fileName()));
}

void ModelController::setStatus(const QString& text) {
    if (text == m_statusText) return;
    m_statusText = text;
    emit statusChanged();
}
