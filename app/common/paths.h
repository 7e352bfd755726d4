// Where the executables find their data: the embedded model and the user's data dir.
#pragma once

#include <string>

namespace app {

// The embedded demo model. Looks in, in order: $ASSISTANT_DEFAULT_MODEL,
// <exe dir>/../share/assistant/models/stories260K.gguf (build tree and install),
// and the source tree's resources/models. Empty if none exists.
std::string defaultModelPath();

// $XDG_DATA_HOME/assistant (default ~/.local/share/assistant); created on demand by callers.
std::string userDataDir();

}  // namespace app
