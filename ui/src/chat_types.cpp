#include "chat_types.h"

#include <QFileInfo>
#include <QStringList>

QString modelTitle(const QString& generalName, const QString& architecture, const QString& path) {
    const QString name = generalName.trimmed();
    if (name.isEmpty() || name.compare(architecture.trimmed(), Qt::CaseInsensitive) == 0)
        return QFileInfo(path).completeBaseName();
    return name;
}

QString formatMilliseconds(double ms) {
    // The demo model answers in well under a millisecond: "0 ms" would read as "not
    // measured", so say what was measured.
    if (ms < 1.0) return QStringLiteral("< 1 ms");
    if (ms < 10.0) return QStringLiteral("%1 ms").arg(ms, 0, 'f', 1);
    return QStringLiteral("%1 ms").arg(qRound64(ms));
}

QString formatStats(const GenerationStats& stats) {
    QStringList parts;
    // A generation stopped before its first token has nothing to measure.
    const bool measured = stats.generatedTokens > 0 || stats.contextSize > 0;
    if (measured) {
        parts << QStringLiteral("%1 tok/s").arg(stats.tokensPerSecond, 0, 'f', 1);
        parts << QStringLiteral("first token ") + formatMilliseconds(stats.timeToFirstTokenMs);
    }
    if (stats.draftedTokens > 0)
        parts << QStringLiteral("%1% of guesses kept").arg(qRound(100.0 * stats.acceptedDraftTokens / stats.draftedTokens));
    if (stats.contextSize > 0)
        parts << QStringLiteral("context %1/%2").arg(stats.contextUsed).arg(stats.contextSize);
    if (!stats.device.isEmpty()) parts << stats.device;
    if (stats.stopped) parts << QStringLiteral("stopped");
    return parts.join(QStringLiteral(" · "));
}
