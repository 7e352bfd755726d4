#include "model_library.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QVariantMap>

#include <algorithm>

#include "chat_types.h"

namespace {

constexpr int kDefaultContext = 4096;             // the engine's default cap
constexpr quint64 kComputeOverhead = 64ull << 20;  // activations and scratch, bytes

}  // namespace

ModelLibrary::ModelLibrary(QObject* parent) : QAbstractListModel(parent) {
    qRegisterMetaType<ModelFacts>();
    qRegisterMetaType<PlacementEstimate>();
    m_thread.setObjectName(QStringLiteral("model-inspector"));
    m_inspector = new ModelInspector;
    m_inspector->moveToThread(&m_thread);
    connect(this, &ModelLibrary::inspectRequested, m_inspector, &ModelInspector::inspect, Qt::QueuedConnection);
    connect(this, &ModelLibrary::devicesRequested, m_inspector, &ModelInspector::listDevices, Qt::QueuedConnection);
    connect(m_inspector, &ModelInspector::inspected, this, &ModelLibrary::onInspected, Qt::QueuedConnection);
    connect(m_inspector, &ModelInspector::inspectFailed, this, &ModelLibrary::onInspectFailed, Qt::QueuedConnection);
    connect(m_inspector, &ModelInspector::devicesListed, this, &ModelLibrary::onDevicesListed, Qt::QueuedConnection);
    connect(this, &ModelLibrary::estimateRequested, m_inspector, &ModelInspector::estimate, Qt::QueuedConnection);
    connect(m_inspector, &ModelInspector::estimated, this, &ModelLibrary::onEstimated, Qt::QueuedConnection);
    m_thread.start();
    refreshDevices();
}

ModelLibrary::~ModelLibrary() {
    m_thread.quit();
    m_thread.wait();
    delete m_inspector;
}

void ModelLibrary::setStorage(AppStorage* storage) {
    if (storage == m_storage) return;
    m_storage = storage;
    if (m_storage) {
        const QJsonArray paths =
            QJsonDocument::fromJson(m_storage->store().setting(QStringLiteral("modelPaths"), QStringLiteral("[]")).toUtf8())
                .array();
        for (const QJsonValue& p : paths)
            if (QFileInfo::exists(p.toString())) addFile(p.toString());
    }
    emit storageChanged();
}

void ModelLibrary::setContextLength(int tokens) {
    tokens = std::max(0, tokens);
    if (tokens == m_contextLength) return;
    m_contextLength = tokens;
    emit contextLengthChanged();
    if (count() > 0) emit dataChanged(index(0), index(count() - 1), {FitRole, FitsRole});
}

int ModelLibrary::add(const QUrl& fileOrFolder) {
    const QString path = fileOrFolder.isLocalFile() ? fileOrFolder.toLocalFile() : fileOrFolder.toString();
    const QFileInfo info(path);
    if (!info.exists()) {
        setLastError(tr("%1 does not exist.").arg(path));
        return 0;
    }
    if (!info.isDir()) return addFile(info.absoluteFilePath()) ? 1 : 0;
    int added = 0;
    const QFileInfoList files = QDir(path).entryInfoList({QStringLiteral("*.gguf"), QStringLiteral("*.GGUF")},
                                                         QDir::Files | QDir::Readable, QDir::Name);
    for (const QFileInfo& f : files) added += addFile(f.absoluteFilePath()) ? 1 : 0;
    if (added == 0 && files.isEmpty()) setLastError(tr("No .gguf files in %1.").arg(path));
    return added;
}

int ModelLibrary::addUrls(const QList<QUrl>& urls) {
    int added = 0;
    for (const QUrl& url : urls) added += add(url);
    return added;
}

bool ModelLibrary::addFile(const QString& path) {
    if (rowOf(path) >= 0) return false;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        setLastError(tr("Cannot open %1: %2").arg(path, f.errorString()));
        return false;
    }
    if (f.read(4) != QByteArrayLiteral("GGUF")) {
        setLastError(tr("%1 is not a GGUF model file.").arg(QFileInfo(path).fileName()));
        return false;
    }
    setLastError({});
    const int row = count();
    beginInsertRows({}, row, row);
    Row added;
    added.path = path;
    m_rows.append(std::move(added));
    endInsertRows();
    emit countChanged();
    savePaths();
    emit inspectRequested(path);
    return true;
}

void ModelLibrary::remove(int row) {
    if (row < 0 || row >= count()) return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
    emit countChanged();
    savePaths();
}

QString ModelLibrary::pathAt(int row) const { return row >= 0 && row < count() ? m_rows[row].path : QString(); }

void ModelLibrary::refreshDevices() { emit devicesRequested(); }

void ModelLibrary::onInspected(const QString& path, const ModelFacts& facts) {
    const int row = rowOf(path);
    if (row < 0) return;
    m_rows[row].facts = facts;
    m_rows[row].status = QStringLiteral("ready");
    if (facts.isEmbeddingModel) {
        m_rows[row].status = QStringLiteral("unsupported");
        m_rows[row].error = tr("This is an embedding model (%1): it cannot chat.").arg(facts.architecture);
    }
    emit dataChanged(index(row), index(row));
    if (m_rows[row].status == QLatin1String("ready")) emit estimateRequested(path, m_device, m_gpuMemory);
}

void ModelLibrary::setDevice(const QString& device) {
    const QString d = device.isEmpty() ? QStringLiteral("auto") : device;
    if (d == m_device) return;
    m_device = d;
    emit deviceChanged();
    requestEstimates();
}

void ModelLibrary::setGpuMemory(double bytes) {
    const quint64 b = bytes > 0 ? static_cast<quint64>(bytes) : 0;
    if (b == m_gpuMemory) return;
    m_gpuMemory = b;
    emit deviceChanged();
    requestEstimates();
}

// Every ready model's estimate again, on the inspector's thread (the list shows
// "estimating" meanwhile: the GUI thread never waits for a plan or the probe).
void ModelLibrary::requestEstimates() {
    for (int row = 0; row < count(); ++row) {
        Row& r = m_rows[row];
        if (r.status != QLatin1String("ready")) continue;
        r.estimated = false;
        emit dataChanged(index(row), index(row), {PlacementRole, SpeedRole});
        emit estimateRequested(r.path, m_device, m_gpuMemory);
    }
}

void ModelLibrary::onEstimated(const QString& path, const PlacementEstimate& estimate) {
    const int row = rowOf(path);
    if (row < 0 || estimate.device != m_device || estimate.gpuMemory != m_gpuMemory) return;  // stale
    m_rows[row].estimate = estimate;
    m_rows[row].estimated = true;
    emit dataChanged(index(row), index(row), {PlacementRole, SpeedRole});
}

void ModelLibrary::onInspectFailed(const QString& path, const QString& message) {
    const int row = rowOf(path);
    if (row < 0) return;
    m_rows[row].status = QStringLiteral("unsupported");
    m_rows[row].error = tr("Not a supported GGUF model: %1").arg(message);
    emit dataChanged(index(row), index(row));
}

void ModelLibrary::onDevicesListed(const QVariantList& devices, quint64 ramAvailable) {
    m_devices = devices;
    m_ramAvailable = ramAvailable;
    m_gpuFree = 0;
    for (const QVariant& v : devices) {
        const QVariantMap d = v.toMap();
        if (d.value(QStringLiteral("type")).toString() != QLatin1String("gpu")) continue;
        quint64 bytes = d.value(QStringLiteral("freeBytes")).toULongLong();
        if (bytes == 0) bytes = d.value(QStringLiteral("memoryBytes")).toULongLong();
        if (bytes > m_gpuFree) {
            m_gpuFree = bytes;
            m_gpuName = d.value(QStringLiteral("name")).toString();
        }
    }
    emit devicesChanged();
    if (count() > 0) emit dataChanged(index(0), index(count() - 1), {FitRole, FitsRole});
}

QString ModelLibrary::fitText(const Row& row, bool* fits) const {
    *fits = false;
    if (row.status != QLatin1String("ready")) return {};
    const ModelFacts& f = row.facts;
    int ctx = m_contextLength > 0 ? m_contextLength : kDefaultContext;
    if (f.contextLength > 0) ctx = std::min(ctx, f.contextLength);
    // Weights are memory-mapped: the whole file ends up resident while generating.
    const quint64 needed = f.fileSize + f.kvBytesPerToken * quint64(ctx) + kComputeOverhead;
    const bool ramFits = m_ramAvailable == 0 || needed <= m_ramAvailable;
    const bool gpuFits = m_gpuFree > 0 && needed <= m_gpuFree;
    *fits = ramFits || gpuFits;
    QString text = tr("Needs about %1 at %2 tokens of context").arg(humanBytes(needed)).arg(ctx);
    if (m_ramAvailable > 0)
        text += tr("; %1 of RAM free (%2)").arg(humanBytes(m_ramAvailable), ramFits ? tr("fits") : tr("too large"));
    if (m_gpuFree > 0)
        text += tr("; %1: %2 (%3)").arg(m_gpuName, humanBytes(m_gpuFree), gpuFits ? tr("fits") : tr("too large"));
    return text + u'.';
}

int ModelLibrary::rowOf(const QString& path) const {
    for (int i = 0; i < count(); ++i)
        if (m_rows[i].path == path) return i;
    return -1;
}

void ModelLibrary::savePaths() {
    if (!m_storage) return;
    QJsonArray paths;
    for (const Row& r : std::as_const(m_rows)) paths.append(r.path);
    m_storage->store().setSetting(QStringLiteral("modelPaths"),
                                  QString::fromUtf8(QJsonDocument(paths).toJson(QJsonDocument::Compact)));
}

void ModelLibrary::setLastError(const QString& text) {
    if (text == m_lastError) return;
    m_lastError = text;
    emit lastErrorChanged();
}

QString ModelLibrary::humanBytes(quint64 bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    int unit = 0;
    while (v >= 1024.0 && unit < 4) {
        v /= 1024.0;
        ++unit;
    }
    return unit == 0 ? QStringLiteral("%1 B").arg(bytes)
                     : QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : 1).arg(QLatin1String(units[unit]));
}

QString ModelLibrary::humanCount(quint64 n) {
    if (n < 1000) return QString::number(n);
    if (n < 1000000) return QStringLiteral("%1K").arg(n / 1e3, 0, 'f', 1);
    if (n < 1000000000) return QStringLiteral("%1M").arg(n / 1e6, 0, 'f', 2);
    return QStringLiteral("%1B").arg(n / 1e9, 0, 'f', 2);
}

int ModelLibrary::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }

QVariant ModelLibrary::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() < 0 || index.row() >= count()) return {};
    const Row& r = m_rows[index.row()];
    const ModelFacts& f = r.facts;
    bool fits = false;
    switch (role) {
    case PathRole: return r.path;
    case NameRole: return modelTitle(f.name, f.architecture, r.path);
    case ArchitectureRole: return f.architecture;
    case ParametersRole: return f.parameterCount ? humanCount(f.parameterCount) : QString();
    case QuantizationRole: return f.quantization;
    case FileSizeRole: return humanBytes(f.fileSize ? f.fileSize : quint64(QFileInfo(r.path).size()));
    case ContextLengthRole: return f.contextLength;
    case StatusRole: return r.status;
    case ErrorRole: return r.error;
    case FitRole: return fitText(r, &fits);
    case FitsRole: return (fitText(r, &fits), fits);
    case PlacementRole:
        if (!r.estimated) return QString();
        return r.estimate.error.isEmpty() ? r.estimate.placement : r.estimate.error;
    case SpeedRole:
        if (!r.estimated || !r.estimate.error.isEmpty() || r.estimate.tokensPerSecond <= 0) return QString();
        return tr("about %1 tokens/s when generating (estimate)").arg(r.estimate.tokensPerSecond, 0, 'f',
                                                                       r.estimate.tokensPerSecond < 10 ? 1 : 0);
    default: return {};
    }
}

QHash<int, QByteArray> ModelLibrary::roleNames() const {
    return {{PathRole, "path"},         {NameRole, "name"},          {ArchitectureRole, "architecture"},
            {ParametersRole, "parameters"}, {QuantizationRole, "quantization"}, {FileSizeRole, "fileSize"},
            {ContextLengthRole, "contextLength"}, {StatusRole, "status"}, {ErrorRole, "error"},
            {FitRole, "fit"},           {FitsRole, "fits"},          {PlacementRole, "placement"},
            {SpeedRole, "speed"}};
}
