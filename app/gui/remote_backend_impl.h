// RemoteBackend (ui/) over app/remote's OpenAI-compatible client.
#pragma once

#include <memory>

#include "remote_backend.h"

std::shared_ptr<RemoteBackend> makeRemoteBackend();
