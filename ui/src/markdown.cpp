#include "markdown.h"

#include <QRegularExpression>
#include <QStringList>
#include <QVariantMap>

namespace markdown {

namespace {

QString escaped(QStringView text) { return text.toString().toHtmlEscaped(); }

// Emphasis and links on already HTML-escaped text without code spans.
QString spansToHtml(QString html) {
    static const QRegularExpression bold(R"(\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__)");
    static const QRegularExpression italic(
        R"((?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])|(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_]))");
    static const QRegularExpression strike(R"(~~(?=\S)(.+?)(?<=\S)~~)");
    // [text](url): only schemes a click may open; anything else stays text.
    static const QRegularExpression link(R"(\[([^\]]+)\]\(((?:https?|file|mailto):[^)\s]+)\))");
    html.replace(link, QStringLiteral("<a href=\"\\2\">\\1</a>"));
    html.replace(bold, QStringLiteral("<b>\\1\\2</b>"));
    html.replace(italic, QStringLiteral("<i>\\1\\2</i>"));
    html.replace(strike, QStringLiteral("<s>\\1</s>"));
    return html;
}

// One table row "| a | b |" -> its cells, trimmed (escaped pipes "\|" kept).
QStringList tableCells(QStringView line) {
    QString row = line.trimmed().toString();
    if (row.startsWith(u'|')) row.remove(0, 1);
    if (row.endsWith(u'|') && !row.endsWith(QLatin1String("\\|"))) row.chop(1);
    QStringList cells;
    QString cell;
    for (qsizetype i = 0; i < row.size(); ++i) {
        if (row[i] == u'\\' && i + 1 < row.size() && row[i + 1] == u'|') {
            cell += u'|';
            ++i;
        } else if (row[i] == u'|') {
            cells << cell.trimmed();
            cell.clear();
        } else {
            cell += row[i];
        }
    }
    cells << cell.trimmed();
    return cells;
}

bool isTableSeparator(QStringView line) {
    static const QRegularExpression sep(R"(^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$)");
    return line.contains(u'-') && sep.match(line).hasMatch();
}

// Line-by-line block parser. State: the open paragraph and the open list nesting.
class Converter {
public:
    QList<Block> run(QStringView text) {
        m_lines = text.toString().split(u'\n');
        for (QString& l : m_lines)
            if (l.endsWith(u'\r')) l.chop(1);
        while (m_at < m_lines.size()) step();
        flushText();
        return m_blocks;
    }

private:
    struct OpenList {
        int indent;
        bool ordered;
    };

    void step() {
        static const QRegularExpression fence(R"(^\s{0,3}(```+|~~~+)\s*([^`\s]*).*$)");
        static const QRegularExpression heading(R"(^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$)");
        static const QRegularExpression rule(R"(^\s{0,3}([-*_])(\s*\1){2,}\s*$)");
        static const QRegularExpression item(R"(^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$)");
        static const QRegularExpression quote(R"(^\s{0,3}>\s?(.*)$)");

        const QString& line = m_lines[m_at];
        if (auto m = fence.match(line); m.hasMatch()) return codeBlock(m.captured(1), m.captured(2));
        if (line.trimmed().isEmpty()) {
            closeParagraph();
            // A blank line inside a list keeps it open only if an item follows.
            if (!m_lists.isEmpty() && !(m_at + 1 < m_lines.size() && item.match(m_lines[m_at + 1]).hasMatch()))
                closeLists(-1);
            ++m_at;
            return;
        }
        if (auto m = heading.match(line); m.hasMatch()) {
            closeAll();
            const int level = int(m.captured(1).size());
            m_html += QStringLiteral("<h%1>%2</h%1>").arg(level).arg(inlineToHtml(m.captured(2)));
            ++m_at;
            return;
        }
        if (rule.match(line).hasMatch() && m_paragraph.isEmpty()) {
            closeAll();
            m_html += QStringLiteral("<hr/>");
            ++m_at;
            return;
        }
        if (line.contains(u'|') && m_at + 1 < m_lines.size() && isTableSeparator(m_lines[m_at + 1]))
            return table();
        if (auto m = quote.match(line); m.hasMatch()) return blockQuote();
        if (auto m = item.match(line); m.hasMatch()) {
            listItem(int(m.captured(1).size()), m.captured(2).front().isDigit(), m.captured(3), m.captured(2));
            ++m_at;
            return;
        }
        // A paragraph line, or the continuation of a list item's text.
        m_paragraph << line.trimmed();
        ++m_at;
    }

    void codeBlock(const QString& marker, const QString& language) {
        closeAll();
        flushText();
        ++m_at;
        QStringList code;
        while (m_at < m_lines.size()) {
            const QString trimmed = m_lines[m_at].trimmed();
            if (trimmed.startsWith(marker) && trimmed.count(marker.front()) == trimmed.size()) {
                ++m_at;
                break;
            }
            code << m_lines[m_at++];
        }
        m_blocks.append({Block::Kind::Code, code.join(u'\n'), language});
    }

    void table() {
        closeAll();
        const QStringList header = tableCells(m_lines[m_at]);
        m_at += 2;  // header and separator
        QString html = QStringLiteral("<table border=\"1\" cellspacing=\"0\" cellpadding=\"5\"><tr>");
        for (const QString& cell : header) html += QStringLiteral("<th>%1</th>").arg(inlineToHtml(cell));
        html += QStringLiteral("</tr>");
        while (m_at < m_lines.size() && m_lines[m_at].contains(u'|') && !m_lines[m_at].trimmed().isEmpty()) {
            const QStringList cells = tableCells(m_lines[m_at++]);
            html += QStringLiteral("<tr>");
            for (qsizetype c = 0; c < header.size(); ++c)
                html += QStringLiteral("<td>%1</td>").arg(c < cells.size() ? inlineToHtml(cells[c]) : QString());
            html += QStringLiteral("</tr>");
        }
        m_html += html + QStringLiteral("</table>");
    }

    void blockQuote() {
        static const QRegularExpression quote(R"(^\s{0,3}>\s?(.*)$)");
        closeAll();
        QStringList inner;
        while (m_at < m_lines.size()) {
            const auto m = quote.match(m_lines[m_at]);
            if (!m.hasMatch()) break;
            inner << m.captured(1);
            ++m_at;
        }
        // Nested blocks inside a quote: rich text only (code fences become plain text).
        QString html;
        for (const Block& b : Converter().run(inner.join(u'\n')))
            html += b.kind == Block::Kind::Code ? QStringLiteral("<pre>%1</pre>").arg(escaped(b.content)) : b.content;
        m_html += QStringLiteral("<blockquote>%1</blockquote>").arg(html);
    }

    void listItem(int indent, bool ordered, const QString& text, const QString& marker) {
        closeParagraph();
        while (!m_lists.isEmpty() && indent < m_lists.last().indent) closeLists(int(m_lists.size()) - 1);
        if (!m_lists.isEmpty() && indent == m_lists.last().indent && ordered != m_lists.last().ordered)
            closeLists(int(m_lists.size()) - 1);
        if (m_lists.isEmpty() || indent > m_lists.last().indent) {
            const int start = ordered ? marker.chopped(1).toInt() : 1;
            m_html += ordered ? (start > 1 ? QStringLiteral("<ol start=\"%1\">").arg(start) : QStringLiteral("<ol>"))
                              : QStringLiteral("<ul>");
            m_lists.append({indent, ordered});
        } else {
            m_html += QStringLiteral("</li>");
        }
        m_html += QStringLiteral("<li>");
        m_paragraph << text;
        m_inItem = true;
    }

    void closeParagraph() {
        if (m_paragraph.isEmpty()) return;
        // Markdown's hard break is two trailing spaces; models mostly mean a line break
        // when they end a line, so lines of one paragraph keep their breaks.
        QStringList html;
        for (const QString& l : std::as_const(m_paragraph)) html << inlineToHtml(l);
        const QString body = html.join(QStringLiteral("<br/>"));
        m_html += m_inItem ? body : QStringLiteral("<p>%1</p>").arg(body);
        m_paragraph.clear();
    }

    // Closes lists down to `keep` open ones (-1: all).
    void closeLists(int keep) {
        if (keep < 0) keep = 0;
        while (m_lists.size() > keep) {
            m_html += m_lists.last().ordered ? QStringLiteral("</li></ol>") : QStringLiteral("</li></ul>");
            m_lists.removeLast();
        }
        m_inItem = !m_lists.isEmpty();
    }

    void closeAll() {
        closeParagraph();
        closeLists(-1);
    }

    void flushText() {
        closeAll();
        if (!m_html.isEmpty()) m_blocks.append({Block::Kind::RichText, m_html, {}});
        m_html.clear();
    }

    QStringList m_lines;
    qsizetype m_at = 0;
    QStringList m_paragraph;
    QList<OpenList> m_lists;
    bool m_inItem = false;
    QString m_html;
    QList<Block> m_blocks;
};

}  // namespace

QString inlineToHtml(QStringView text) {
    // Code spans first: their content is literal (no emphasis inside).
    QString out;
    qsizetype i = 0;
    while (i < text.size()) {
        const qsizetype open = text.indexOf(u'`', i);
        if (open < 0) break;
        qsizetype ticks = 1;
        while (open + ticks < text.size() && text[open + ticks] == u'`') ++ticks;
        const QString marker(ticks, u'`');
        const qsizetype close = text.indexOf(marker, open + ticks);
        if (close < 0) break;  // unterminated (still streaming): plain text
        out += spansToHtml(escaped(text.mid(i, open - i)));
        out += QStringLiteral("<code>%1</code>").arg(escaped(text.mid(open + ticks, close - open - ticks).trimmed()));
        i = close + ticks;
    }
    out += spansToHtml(escaped(text.mid(i)));
    return out;
}

QList<Block> toBlocks(QStringView markdown) { return Converter().run(markdown); }

QVariantList toVariantList(const QList<Block>& blocks) {
    QVariantList list;
    list.reserve(blocks.size());
    for (const Block& b : blocks) {
        list.append(QVariantMap{
            {QStringLiteral("kind"), b.kind == Block::Kind::Code ? QStringLiteral("code") : QStringLiteral("text")},
            {QStringLiteral("content"), b.content},
            {QStringLiteral("language"), b.language},
        });
    }
    return list;
}

ReasoningSplit splitReasoning(QStringView raw) {
    static const QLatin1String kOpen("<think>");
    static const QLatin1String kClose("</think>");
    ReasoningSplit out;
    const QStringView lead = raw.trimmed();
    const qsizetype close = raw.indexOf(kClose);
    if (lead.startsWith(kOpen)) {
        const qsizetype start = raw.indexOf(kOpen) + kOpen.size();
        if (close < 0) {
            out.reasoning = raw.mid(start).trimmed().toString();
            out.reasoningOpen = true;
        } else {
            out.reasoning = raw.mid(start, close - start).trimmed().toString();
            out.answer = raw.mid(close + kClose.size()).trimmed().toString();
        }
    } else if (close >= 0 && !raw.left(close).contains(kOpen)) {
        out.reasoning = raw.left(close).trimmed().toString();
        out.answer = raw.mid(close + kClose.size()).trimmed().toString();
    } else {
        out.answer = raw.toString();
    }
    return out;
}

}  // namespace markdown
