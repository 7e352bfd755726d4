// The GUI's local API: LocalApiBackend (ui/) on top of server::ApiServer (app/server),
// so the Settings › Local API toggle starts and stops the server in the app process.
#pragma once

#include <memory>
#include <string>

#include "local_api_backend.h"

// embedderPath: the model for /v1/embeddings (the shipped USE-Lite); empty: none.
std::unique_ptr<LocalApiBackend> makeLocalApiBackend(std::string embedderPath);
