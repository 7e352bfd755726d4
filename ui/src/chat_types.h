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

// One row of a conversation as it is stored (see storage/conversation_store.h).
struct StoredMessage {
    QString role;  // "user" | "assistant" | "error"
    QString text;  // raw, reasoning section included
    QString stats;
    QString sources = {};  // JSON array of the documents an answer was given ([{n, path, page, ...}])
    bool operator==(const StoredMessage&) const = default;
};

// What the stats line under an answer shows (from assistant::GenerateStats).
struct GenerationStats {
    int promptTokens = 0;
    int generatedTokens = 0;
    double timeToFirstTokenMs = 0;
    double tokensPerSecond = 0;  // generated tokens per second
    int draftedTokens = 0;       // speculative decoding: guesses checked, and kept
    int acceptedDraftTokens = 0;
    int contextUsed = 0;         // tokens in the KV cache after the answer
    int contextSize = 0;
    QString device;              // DeviceInfo::id that ran the model ("cpu", "opencl:0")
    bool stopped = false;        // the user pressed Stop
};

// Sampling and length of one answer (assistant::GenerateParams; same defaults).
struct GenerationOptions {
    double temperature = 0.8;
    int topK = 40;
    double topP = 0.95;
    double minP = 0.05;
    double repeatPenalty = 1.0;
    int maxTokens = 512;  // <= 0: until the end of text or a full context
    // Speculative decoding: guessed tokens checked per step (prompt lookup); 0 = off.
    // The answer is the same either way; it comes faster when it repeats the input.
    int draftTokens = 0;
    // "Use my documents": the document index to answer from (empty: none) and the
    // embedder for dense search in it (empty or missing: BM25 only).
    QString documentsDb = {};
    QString embedderPath = {};      // or "remote:URL#MODEL": the server's /v1/embeddings
    QString embedderApiKey = {};    // for a remote embedder
    QString embedderDevice = QStringLiteral("cpu");  // for a local one: cpu, auto, opencl:P.D
};

// How a model is loaded and its session created (ModelParams + SessionParams).
struct LoadOptions {
    int contextLength = 0;  // tokens; 0 = the engine's default (min(trained, 4096))
    int threads = 0;        // 0 = physical cores
    QString device = QStringLiteral("auto");
    int gpuLayers = -1;     // -1 = as many as fit
    quint64 gpuMemory = 0;  // bytes of GPU memory the model may fill; 0 = auto (gpu_memory.h)
    QString remoteApiKey = {};  // for a "remote:" model path (remote_backend.h)
    bool operator==(const LoadOptions&) const = default;
};

// The title of a model in the UI: general.name, else the file name (without .gguf).
// Some converters (llama2.c's, for the demo model) write the architecture ("llama")
// as general.name; such a name says nothing about the model, so the file name wins.
QString modelTitle(const QString& generalName, const QString& architecture, const QString& path);

// A measured duration: "< 1 ms", "3.4 ms" (one decimal below 10 ms), "120 ms".
QString formatMilliseconds(double ms);

// "42.1 tok/s · first token 120 ms · context 350/4096 · cpu", plus " · stopped".
QString formatStats(const GenerationStats& stats);

Q_DECLARE_METATYPE(ChatTurn)
Q_DECLARE_METATYPE(GenerationStats)
Q_DECLARE_METATYPE(GenerationOptions)
Q_DECLARE_METATYPE(LoadOptions)
