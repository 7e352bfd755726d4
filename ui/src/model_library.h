// The models the user has opened: each GGUF file described (name, architecture,
// parameters, quantization, file size, trained context) with a fit estimate (RAM
// and GPU memory needed at the chosen context vs what is free) before it is loaded,
// plus the devices panel. Files are inspected on the library's own worker thread
// (ModelInspector, model_inspector.h), so a slow disk never freezes the window. The
// list is kept in AppStorage.
#pragma once

#include <QAbstractListModel>
#include <QList>
#include <QPointer>
#include <QThread>
#include <QUrl>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include "app_storage.h"
#include "model_inspector.h"

class ModelLibrary : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(AppStorage* storage READ storage WRITE setStorage NOTIFY storageChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    // The context the fit estimate assumes (tokens; 0: min(trained, 4096) like the engine).
    Q_PROPERTY(int contextLength READ contextLength WRITE setContextLength NOTIFY contextLengthChanged)
    // [{id, name, backend, type, memory, free, details}] (memory strings human-readable).
    Q_PROPERTY(QVariantList devices READ devices NOTIFY devicesChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
    // The device ("auto", "cpu", "opencl:P.D") and GPU memory setting (bytes, 0: auto, 90%
    // of what the device has free: gpu_memory.h) the placement and speed estimate of each
    // model assume (the app's device and GPU memory settings).
    Q_PROPERTY(QString device READ device WRITE setDevice NOTIFY deviceChanged)
    Q_PROPERTY(double gpuMemory READ gpuMemory WRITE setGpuMemory NOTIFY deviceChanged)

public:
    enum Roles {
        PathRole = Qt::UserRole + 1,
        NameRole,
        ArchitectureRole,
        ParametersRole,  // "260.1K", "6.74B"
        QuantizationRole,
        FileSizeRole,    // "1.1 MiB"
        ContextLengthRole,
        StatusRole,      // "inspecting" | "ready" | "unsupported"
        ErrorRole,       // why a file is unsupported
        FitRole,         // one sentence: needed vs available
        FitsRole,        // bool: fits in RAM or on a GPU
        PlacementRole,   // where the layers (and a MoE model's experts) go for `device`, "" while estimating
        SpeedRole,       // "about 96 tokens/s" (decode estimate), "" while estimating
    };

    explicit ModelLibrary(QObject* parent = nullptr);
    ~ModelLibrary() override;

    AppStorage* storage() const { return m_storage; }
    void setStorage(AppStorage* storage);
    int count() const { return static_cast<int>(m_rows.size()); }
    int contextLength() const { return m_contextLength; }
    void setContextLength(int tokens);
    QVariantList devices() const { return m_devices; }
    QString lastError() const { return m_lastError; }
    QString device() const { return m_device; }
    void setDevice(const QString& device);
    double gpuMemory() const { return static_cast<double>(m_gpuMemory); }
    void setGpuMemory(double bytes);

    // A .gguf file, or a folder whose .gguf files (not recursive) are added. Returns
    // how many were added; a file that is not a GGUF sets lastError.
    Q_INVOKABLE int add(const QUrl& fileOrFolder);
    Q_INVOKABLE int addUrls(const QList<QUrl>& urls);  // drag and drop
    Q_INVOKABLE void remove(int row);
    Q_INVOKABLE QString pathAt(int row) const;
    Q_INVOKABLE void refreshDevices();

    // Formats bytes as "1.1 MiB" / "3.80 GiB".
    static QString humanBytes(quint64 bytes);
    static QString humanCount(quint64 n);

signals:
    void storageChanged();
    void countChanged();
    void contextLengthChanged();
    void devicesChanged();
    void lastErrorChanged();
    void deviceChanged();
    void inspectRequested(const QString& path);
    void estimateRequested(const QString& path, const QString& device, quint64 gpuMemory);
    void devicesRequested();

private:
    struct Row {
        QString path;
        QString status = QStringLiteral("inspecting");
        QString error;
        ModelFacts facts;
        PlacementEstimate estimate;  // for estimate.device / gpuMemory; stale when they differ
        bool estimated = false;
    };

    bool addFile(const QString& path);
    void onInspected(const QString& path, const ModelFacts& facts);
    void onInspectFailed(const QString& path, const QString& message);
    void onDevicesListed(const QVariantList& devices, quint64 ramAvailable);
    void onEstimated(const QString& path, const PlacementEstimate& estimate);
    void requestEstimates();
    QString fitText(const Row& row, bool* fits) const;
    int rowOf(const QString& path) const;
    void savePaths();
    void setLastError(const QString& text);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QPointer<AppStorage> m_storage;
    QList<Row> m_rows;
    int m_contextLength = 0;
    QVariantList m_devices;
    quint64 m_ramAvailable = 0;
    quint64 m_gpuFree = 0;  // the largest GPU's free (or total) memory
    QString m_gpuName;
    QString m_lastError;
    QString m_device = QStringLiteral("auto");
    quint64 m_gpuMemory = 0;
    QThread m_thread;
    ModelInspector* m_inspector = nullptr;  // lives on m_thread
};
