// The block syntaxes (DeepSeek, Granite, Command-R, functionary, Kimi, gpt-oss
// harmony): a call block opens with a marker and is read whole once it is complete.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "assistant/tools.h"

namespace assistant::detail {

bool isBlockSyntax(ToolCallSyntax syntax);
// Markers that open a block anywhere in the text.
std::vector<std::string_view> blockMarkers(ToolCallSyntax syntax);

struct BlockScan {
    enum class Status { More, Done, NotCalls } status = BlockScan::Status::More;
    size_t length = 0;  // Done: how much of the text the block took
    std::vector<std::pair<std::string, std::string>> calls;  // name, arguments JSON text
};
// `text` starts with a block marker (functionary: or at the answer's start). final:
// no more text will come (a block complete so far is taken).
BlockScan scanBlock(ToolCallSyntax syntax, std::string_view text, bool final);

}  // namespace assistant::detail
