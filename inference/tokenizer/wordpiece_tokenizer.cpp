#include "tokenizer/tokenizer_internal.h"
namespace tokenizer::detail {
assistant::Result<std::unique_ptr<Tokenizer>> makeWordPiece(VocabSpec& spec) {
    return std::unexpected(assistant::Error{assistant::ErrorCode::UnsupportedTokenizer, "bert: not yet"});
}
}
