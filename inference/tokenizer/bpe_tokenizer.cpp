#include "tokenizer/tokenizer_internal.h"
namespace tokenizer::detail {
assistant::Result<std::unique_ptr<Tokenizer>> makeBpe(VocabSpec& spec) {
    return std::unexpected(assistant::Error{assistant::ErrorCode::UnsupportedTokenizer, "gpt2: not yet"});
}
}
