#include "gpu_memory.h"

#include <QObject>
#include <QRegularExpression>

#include <cmath>

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kMaxBytes = 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0;  // 1024 TB

}  // namespace

bool parseGpuMemory(const QString& text, quint64& bytes, QString& error) {
    const QString t = text.trimmed();
    if (t.isEmpty() || t.compare(QLatin1String("auto"), Qt::CaseInsensitive) == 0) {
        bytes = 0;
        return true;
    }
    static const QRegularExpression kSize(QStringLiteral("^([-+]?[0-9]*\\.?[0-9]+)\\s*([A-Za-z]*)$"));
    const QRegularExpressionMatch m = kSize.match(t);
    const QString unit = m.hasMatch() ? m.captured(2).toUpper() : QString();
    double scale = 0;
    if (unit.isEmpty() || unit == QLatin1String("B")) scale = 1;
    else if (unit == QLatin1String("K") || unit == QLatin1String("KB") || unit == QLatin1String("KIB")) scale = 1024;
    else if (unit == QLatin1String("M") || unit == QLatin1String("MB") || unit == QLatin1String("MIB")) scale = kMiB;
    else if (unit == QLatin1String("G") || unit == QLatin1String("GB") || unit == QLatin1String("GIB")) scale = kMiB * 1024;
    else if (unit == QLatin1String("T") || unit == QLatin1String("TB") || unit == QLatin1String("TIB")) scale = kMiB * kMiB;
    bool ok = false;
    const double value = m.hasMatch() ? m.captured(1).toDouble(&ok) : 0.0;
    if (!m.hasMatch() || !ok || scale == 0) {
        error = QObject::tr("“%1” is not a size: write one like 12 GB or 512 MB, or auto.").arg(t);
        return false;
    }
    const double b = value * scale;
    if (!std::isfinite(b) || b < 0) {
        error = QObject::tr("“%1”: the GPU memory cannot be negative.").arg(t);
        return false;
    }
    if (b == 0) {  // 0 bytes: auto, as the stored setting writes it
        bytes = 0;
        return true;
    }
    if (b < kMiB || b > kMaxBytes) {
        error = QObject::tr("“%1” is out of range: give between 1 MB and 1024 TB, or auto.").arg(t);
        return false;
    }
    bytes = static_cast<quint64>(std::llround(b));
    return true;
}

QString formatGpuMemory(quint64 bytes) {
    if (bytes == 0) return QStringLiteral("auto");
    const double mib = static_cast<double>(bytes) / kMiB;
    if (mib >= 1024 && std::fmod(mib, 1024.0 / 8) == 0)  // whole eighths of a GB: 12 GB, 1.5 GB
        return QStringLiteral("%1 GB").arg(mib / 1024, 0, 'g', 10);
    if (std::fmod(mib, 1.0) == 0) return QStringLiteral("%1 MB").arg(mib, 0, 'f', 0);
    return QStringLiteral("%1 bytes").arg(bytes);
}

quint64 gpuMemoryBudget(quint64 setting, quint64 deviceFreeBytes) {
    if (setting > 0) return setting;
    return static_cast<quint64>(0.9 * static_cast<double>(deviceFreeBytes));
}
