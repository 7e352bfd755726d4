// What a loaded Model holds. Shared read-only by every Session of the model.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "arch/arch.h"
#include "chat_template/model_chat.h"
#include "assistant/engine.h"
#include "gguf/gguf_file.h"
#include "grammar/token_trie.h"
#include "engine/placement.h"
#include "tokenizer/tokenizer.h"

namespace assistant {

struct Model::Impl {
    ModelInfo info;
    std::vector<uint8_t> requantized;            // ModelParams::requantize: the converted image `file` reads
    std::unique_ptr<gguf::File> file;            // the mapping the weights point into
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
    std::unique_ptr<arch::Architecture> arch;
    chat_template::ModelChat chat;               // the chat template or built-in format, chosen at load
    std::unique_ptr<arch::Placement> placement;  // where each decoder layer runs (CPU, device), or null

    // Constrained output (GenerateParams::grammar): every token's piece and the trie
    // over them, built on first use (~30 ms for 32k tokens) and shared by sessions.
    struct GrammarVocab {
        std::vector<std::string> pieces;  // "" for tokens a grammar never allows (control, unknown, unused)
        grammar::TokenTrie trie;
    };
    const GrammarVocab& grammarVocab() const;

private:
    mutable std::once_flag m_grammarVocabOnce;
    mutable std::unique_ptr<GrammarVocab> m_grammarVocab;
};

}  // namespace assistant
