// Batches streamed text so the GUI receives at most one update per interval
// (about one frame at 60 Hz) however fast the model produces tokens. The first
// piece goes out at once so the time to first token stays visible.
#pragma once

#include <QString>
#include <QStringView>

class PieceCoalescer {
public:
    static constexpr qint64 kFrameMs = 16;

    explicit PieceCoalescer(qint64 intervalMs = kFrameMs) : m_intervalMs(intervalMs) {}

    // Queues a piece; returns true when the queued text is due (the interval has
    // passed since the last take()). nowMs: any monotonic clock in milliseconds.
    bool add(QStringView piece, qint64 nowMs) {
        m_pending += piece;
        return m_lastTakeMs < 0 || nowMs - m_lastTakeMs >= m_intervalMs;
    }

    // Everything queued since the last take(); the interval restarts at nowMs.
    QString take(qint64 nowMs) {
        m_lastTakeMs = nowMs;
        QString out;
        out.swap(m_pending);
        return out;
    }

    bool isEmpty() const { return m_pending.isEmpty(); }

private:
    qint64 m_intervalMs;
    qint64 m_lastTakeMs = -1;  // -1: nothing sent yet, the first piece is due at once
    QString m_pending;
};
