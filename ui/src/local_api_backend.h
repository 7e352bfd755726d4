// The server behind Settings › Local API as ui/ sees it: LocalApiController starts and
// stops it through this interface. ui/ cannot include app/: the app installs the
// implementation over app/server (app/gui/local_api_backend_impl.h) as a factory.
#pragma once

#include <QString>

#include <functional>
#include <memory>

#include "chat_types.h"

struct LocalApiConfig {
    int port = 8765;
    QString token;       // "Authorization: Bearer <token>"; empty: none
    QString modelPath;   // the chat model (the app's loaded one)
    QString documentsDb; // the document index: rag:<collection> models; empty: none
    LoadOptions load;    // device, GPU layers, threads, context per slot
};

class LocalApiBackend {
public:
    virtual ~LocalApiBackend() = default;
    // Serves config (stopping a previous run first). Returns why it could not, or "".
    virtual QString start(const LocalApiConfig& config) = 0;
    virtual void stop() = 0;  // idempotent
    virtual bool isRunning() const = 0;
    virtual QString url() const = 0;  // "http://127.0.0.1:8765" while running
};
using LocalApiBackendFactory = std::function<std::unique_ptr<LocalApiBackend>()>;
