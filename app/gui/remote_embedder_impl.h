// The document index's remote embedder (ui/'s document_embedder.h) over app/remote.
#pragma once

#include "document_embedder.h"

RemoteEmbedderConnector makeRemoteEmbedderConnector();
