#include "model_inspector.h"

#include <QFile>
#include <QVariantMap>

#include <exception>

#include "assistant/engine.h"
#include "assistant/model_tools.h"
#include "gpu_memory.h"
#include "model_library.h"

namespace {

quint64 ramAvailableBytes() {
    QFile meminfo(QStringLiteral("/proc/meminfo"));
    if (!meminfo.open(QIODevice::ReadOnly)) return 0;
    for (const QByteArray& line : meminfo.readAll().split('\n'))
        if (line.startsWith("MemAvailable:")) return line.mid(13).trimmed().split(' ').value(0).toULongLong() * 1024;
    return 0;
}

}  // namespace

void ModelInspector::inspect(const QString& path) {
    try {
        auto model = assistant::Model::load(path.toStdString());
        if (!model) {
            emit inspectFailed(path, QStringLiteral("%1 [%2]").arg(QString::fromStdString(model.error().message),
                                                              QString::fromUtf8(assistant::errorCodeName(model.error().code))));
            return;
        }
        const assistant::ModelInfo& info = (*model)->info();
        ModelFacts f;
        f.name = QString::fromStdString(info.name);
        f.architecture = QString::fromStdString(info.architecture);
        f.quantization = QString::fromStdString(info.fileType);
        f.fileSize = info.fileSize;
        f.parameterCount = info.parameterCount;
        f.contextLength = info.contextLength;
        f.kvBytesPerToken = (*model)->kvBytesPerToken(assistant::KvType::F16);
        f.isEmbeddingModel = info.isEmbeddingModel;
        emit inspected(path, f);
    } catch (const std::exception& e) {
        emit inspectFailed(path, tr("internal engine error: %1").arg(QString::fromUtf8(e.what())));
    }
}

void ModelInspector::listDevices() {
    QVariantList out;
    for (const assistant::DeviceInfo& d : assistant::listDevices()) {
        out.append(QVariantMap{
            {QStringLiteral("id"), QString::fromStdString(d.id)},
            {QStringLiteral("name"), QString::fromStdString(d.name)},
            {QStringLiteral("backend"), QString::fromStdString(d.backend)},
            {QStringLiteral("type"), QString::fromStdString(d.type)},
            {QStringLiteral("memoryBytes"), QVariant::fromValue<quint64>(d.memoryBytes)},
            {QStringLiteral("freeBytes"), QVariant::fromValue<quint64>(d.freeBytes)},
            {QStringLiteral("memory"), ModelLibrary::humanBytes(d.memoryBytes)},
            {QStringLiteral("free"), d.freeBytes ? ModelLibrary::humanBytes(d.freeBytes) : QString()},
            {QStringLiteral("details"), QString::fromStdString(d.details)},
        });
    }
    emit devicesListed(out, ramAvailableBytes());
}

void ModelInspector::estimate(const QString& path, const QString& device, quint64 gpuMemory) {
    PlacementEstimate e;
    e.device = device;
    e.gpuMemory = gpuMemory;
    try {
        assistant::ModelParams params;
        params.device = device.isEmpty() ? std::string("auto") : device.toStdString();
        params.gpuMemory = gpuMemoryBudget(gpuMemory, gpuMemory ? 0 : assistant::deviceFreeMemory(params.device));
        auto plan = assistant::planPlacement(path.toStdString(), params);
        if (!plan) {
            e.error = QString::fromStdString(plan.error().message);
            emit estimated(path, e);
            return;
        }
        const assistant::PlacementReport& r = *plan;
        if (r.gpuLayers == 0) e.placement = tr("all %1 layers on the CPU").arg(r.layerCount);
        else e.placement = tr("%1 of %2 layers on %3").arg(r.gpuLayers).arg(r.layerCount).arg(QString::fromStdString(r.device));
        if (r.moe && r.gpuLayers > 0) {
            e.placement += r.expertsOnGpu ? tr(", experts on the GPU") : tr(", experts in RAM on the CPU");
            if (r.hotExpertsPerLayer > 0)
                e.placement += tr(" (%1 of %2 per layer cached on the GPU)").arg(r.hotExpertsPerLayer).arg(r.expertCount);
        }
        if (r.gpuLayers > 0 && params.gpuMemory > 0)
            e.placement += (gpuMemory ? tr(", in the %1 of GPU memory set") : tr(", in %1 of GPU memory (90% of what is free)"))
                               .arg(ModelLibrary::humanBytes(params.gpuMemory));
        const std::string dev = r.device.substr(0, r.device.find(','));
        e.tokensPerSecond = assistant::estimateDecode(r, assistant::memoryBandwidth(dev, 0, true)).tokensPerSecond;
    } catch (const std::exception& ex) {
        e.error = tr("internal engine error: %1").arg(QString::fromUtf8(ex.what()));
    }
    emit estimated(path, e);
}
