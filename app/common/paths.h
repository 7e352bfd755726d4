// Where the executables find their data: the embedded model and the user's data dir.
#pragma once

#include <string>

namespace app {

// The embedded demo model. Looks in, in order: $ASSISTANT_DEFAULT_MODEL,
// <exe dir>/../share/assistant/models/stories260K.gguf (build tree and install),
// and the source tree's resources/models. Empty if none exists.
std::string defaultModelPath();

// The default sentence embedder for RAG (Universal Sentence Encoder Lite, 512-d,
// converted by tools/convert_use_lite.py). Same search order as defaultModelPath with
// $ASSISTANT_DEFAULT_EMBEDDER and resources/models/use-lite.gguf. Empty if none exists.
std::string defaultEmbedderPath();

// $XDG_DATA_HOME/assistant (default ~/.local/share/assistant); created on demand by callers.
std::string userDataDir();

}  // namespace app
