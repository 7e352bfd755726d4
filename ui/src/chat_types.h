// Plain value types that travel between the GUI thread and the engine worker in
// queued signals. Qt-side mirrors of the engine's structs, so only the worker
// includes the engine header.
#pragma once

#include <QList>
#include <QMetaType>
#include <QString>

// One message of the conversation as the engine sees it.
struct ChatTurn {
    QString role;  // "system" | "user" | "assistant"
    QString content;
};

// What the stats line under an answer shows (from assistant::GenerateStats).
struct GenerationStats {
    int promptTokens = 0;
    int generatedTokens = 0;
    double timeToFirstTokenMs = 0;
    double tokensPerSecond = 0;  // generated tokens per second
    int contextUsed = 0;         // tokens in the KV cache after the answer
    int contextSize = 0;
    QString device;              // DeviceInfo::id that ran the model ("cpu", "opencl:0")
    bool stopped = false;        // the user pressed Stop
};

// "42.1 tok/s · first token 120 ms · context 350/4096 · cpu", plus " · stopped".
QString formatStats(const GenerationStats& stats);

Q_DECLARE_METATYPE(ChatTurn)
Q_DECLARE_METATYPE(GenerationStats)
