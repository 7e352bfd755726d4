// ModelInspector: opens GGUF files with the engine on the model library's worker thread
// and describes them (ModelFacts), and lists the devices; the second and last class in
// ui/ that calls inference/ (the engine worker is the first).
#pragma once

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QVariantList>

// What the inspector learns about one file (assistant::ModelInfo and friends).
struct ModelFacts {
    QString name;
    QString architecture;
    QString quantization;
    quint64 fileSize = 0;
    quint64 parameterCount = 0;
    int contextLength = 0;
    quint64 kvBytesPerToken = 0;  // F16 KV cache
    bool isEmbeddingModel = false;
};
Q_DECLARE_METATYPE(ModelFacts)

class ModelInspector : public QObject {
    Q_OBJECT
public slots:
    // Opens the file with the engine (weights memory-mapped, not read) and describes it.
    void inspect(const QString& path);
    // The engine's devices plus the RAM available now (/proc/meminfo).
    void listDevices();
signals:
    void inspected(const QString& path, const ModelFacts& facts);
    void inspectFailed(const QString& path, const QString& message);
    void devicesListed(const QVariantList& devices, quint64 ramAvailableBytes);
};
