// Markdown -> Qt rich text, for answers that are still streaming. Our own small
// converter (CommonMark subset): headings, paragraphs, bullet and numbered lists
// (nested by indentation), tables, block quotes, rules, fenced code blocks, and
// inline code, bold, italic, strike-through and links. Fenced code comes out as its
// own block so the view can give it a Copy button; an unterminated fence (the model
// is still writing it) is a code block up to the end of the text.
#pragma once

#include <QList>
#include <QString>
#include <QStringView>
#include <QVariantList>

namespace markdown {

struct Block {
    enum class Kind { RichText, Code };
    Kind kind = Kind::RichText;
    QString content;   // RichText: HTML for QML's Text.RichText; Code: the code, verbatim
    QString language;  // Code: the fence's info string ("cpp"), may be empty
    bool operator==(const Block&) const = default;
};

// The whole message as blocks, in order. Text between code fences is one RichText block.
QList<Block> toBlocks(QStringView markdown);

// Inline spans of one line or paragraph -> HTML (escapes everything else).
QString inlineToHtml(QStringView text);

// Blocks as QML sees them: [{kind: "text"|"code", content, language}].
QVariantList toVariantList(const QList<Block>& blocks);

// A reasoning model's answer, split at its <think>…</think> section.
struct ReasoningSplit {
    QString reasoning;        // inside <think>, trimmed
    QString answer;           // everything after </think> (or all of it without a section)
    bool reasoningOpen = false;  // <think> seen but not yet closed: still reasoning
};
// Handles "<think>R</think>A", a section still open while streaming, and templates
// that put <think> in the prompt so the output starts with "R</think>A".
ReasoningSplit splitReasoning(QStringView raw);

}  // namespace markdown
