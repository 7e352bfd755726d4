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

// Where a model would be placed for a device and GPU memory budget, and the decode
// speed to expect there (assistant::planPlacement + estimateDecode: an estimate).
struct PlacementEstimate {
    QString device;           // as asked ("" : auto)
    quint64 gpuMemory = 0;    // as asked (0: auto, gpu_memory.h)
    QString placement;        // "16 of 16 layers on opencl:0.0, routed experts in RAM on the CPU"
    double tokensPerSecond = 0;
    QString error;            // why there is no plan (e.g. a budget too small)
};
Q_DECLARE_METATYPE(PlacementEstimate)

class ModelInspector : public QObject {
    Q_OBJECT
public slots:
    // Opens the file with the engine (weights memory-mapped, not read) and describes it.
    void inspect(const QString& path);
    // The engine's devices plus the RAM available now (/proc/meminfo).
    void listDevices();
    // The placement plan (nothing uploaded) and the decode estimate for the GPU memory
    // setting (0: auto, resolved as the engine worker does: gpu_memory.h); the memory
    // figures are probed once (about a second) and cached in the user's config dir.
    void estimate(const QString& path, const QString& device, quint64 gpuMemory);
signals:
    void inspected(const QString& path, const ModelFacts& facts);
    void inspectFailed(const QString& path, const QString& message);
    void devicesListed(const QVariantList& devices, quint64 ramAvailableBytes);
    void estimated(const QString& path, const PlacementEstimate& estimate);
};
