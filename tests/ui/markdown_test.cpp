// The Markdown converter (table-driven) and the <think> splitter.
#include <QTest>

#include "markdown.h"

using markdown::Block;

class MarkdownTest : public QObject {
    Q_OBJECT

private slots:
    void inlineSpans_data() {
        QTest::addColumn<QString>("markdown");
        QTest::addColumn<QString>("html");
        QTest::newRow("plain, escaped") << "a < b & c" << "a &lt; b &amp; c";
        QTest::newRow("bold") << "a **b** c" << "a <b>b</b> c";
        QTest::newRow("italic star") << "an *idea*" << "an <i>idea</i>";
        QTest::newRow("italic underscore") << "an _idea_" << "an <i>idea</i>";
        QTest::newRow("snake_case stays") << "snake_case_name" << "snake_case_name";
        QTest::newRow("strike") << "~~old~~ new" << "<s>old</s> new";
        QTest::newRow("code is literal") << "use `a**b** <x>` here" << "use <code>a**b** &lt;x&gt;</code> here";
        QTest::newRow("double-tick code") << "``a ` b``" << "<code>a ` b</code>";
        QTest::newRow("unterminated code while streaming") << "run `ls" << "run `ls";
        QTest::newRow("link") << "[docs](https://example.org/a)" << "<a href=\"https://example.org/a\">docs</a>";
        QTest::newRow("javascript link stays text") << "[x](javascript:alert(1))" << "[x](javascript:alert(1))";
        QTest::newRow("lone star") << "2 * 3 = 6" << "2 * 3 = 6";
    }
    void inlineSpans() {
        QFETCH(QString, markdown);
        QFETCH(QString, html);
        QCOMPARE(markdown::inlineToHtml(markdown), html);
    }

    void blocks_data() {
        QTest::addColumn<QString>("markdown");
        QTest::addColumn<QString>("html");  // the single RichText block
        QTest::newRow("heading") << "## Title" << "<h2>Title</h2>";
        QTest::newRow("paragraphs") << "one\ntwo\n\nthree" << "<p>one<br/>two</p><p>three</p>";
        QTest::newRow("bullets") << "- a\n- b" << "<ul><li>a</li><li>b</li></ul>";
        QTest::newRow("numbered from 3") << "3. c\n4. d" << "<ol start=\"3\"><li>c</li><li>d</li></ol>";
        QTest::newRow("nested") << "- a\n  - b\n- c" << "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>";
        QTest::newRow("loose list") << "- a\n\n- b" << "<ul><li>a</li><li>b</li></ul>";
        QTest::newRow("list then paragraph") << "- a\n\nafter" << "<ul><li>a</li></ul><p>after</p>";
        QTest::newRow("table")
            << "| A | B |\n|---|:-:|\n| 1 | **2** |"
            << "<table border=\"1\" cellspacing=\"0\" cellpadding=\"5\"><tr><th>A</th><th>B</th></tr>"
               "<tr><td>1</td><td><b>2</b></td></tr></table>";
        QTest::newRow("quote") << "> said\n> twice" << "<blockquote><p>said<br/>twice</p></blockquote>";
        QTest::newRow("rule") << "a\n\n---\n\nb" << "<p>a</p><hr/><p>b</p>";
        QTest::newRow("html is text") << "<script>x</script>" << "<p>&lt;script&gt;x&lt;/script&gt;</p>";
    }
    void blocks() {
        QFETCH(QString, markdown);
        QFETCH(QString, html);
        const QList<Block> out = markdown::toBlocks(markdown);
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].kind, Block::Kind::RichText);
        QCOMPARE(out[0].content, html);
    }

    void codeFenceSplitsBlocks() {
        const QList<Block> out = markdown::toBlocks(u"Run:\n```python\nprint(1)\n  x = 2\n```\nDone.");
        QCOMPARE(out.size(), 3);
        QCOMPARE(out[0], (Block{Block::Kind::RichText, "<p>Run:</p>", {}}));
        QCOMPARE(out[1], (Block{Block::Kind::Code, "print(1)\n  x = 2", "python"}));
        QCOMPARE(out[2], (Block{Block::Kind::RichText, "<p>Done.</p>", {}}));
    }

    void unterminatedFenceIsCodeToTheEnd() {
        const QList<Block> out = markdown::toBlocks(u"```\nint x;\nint y");
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0], (Block{Block::Kind::Code, "int x;\nint y", {}}));
    }

    void emptyInputHasNoBlocks() { QVERIFY(markdown::toBlocks(u"").isEmpty()); }

    void variantListForQml() {
        const QVariantList list = markdown::toVariantList(markdown::toBlocks(u"a\n```sh\nls\n```"));
        QCOMPARE(list.size(), 2);
        QCOMPARE(list[1].toMap().value("kind").toString(), QString("code"));
        QCOMPARE(list[1].toMap().value("language").toString(), QString("sh"));
        QCOMPARE(list[1].toMap().value("content").toString(), QString("ls"));
    }

    void reasoning_data() {
        QTest::addColumn<QString>("raw");
        QTest::addColumn<QString>("reasoning");
        QTest::addColumn<QString>("answer");
        QTest::addColumn<bool>("open");
        QTest::newRow("none") << "Hello" << "" << "Hello" << false;
        QTest::newRow("closed") << "<think>\nhmm\n</think>\n\nHi" << "hmm" << "Hi" << false;
        QTest::newRow("still thinking") << "<think>let me see" << "let me see" << "" << true;
        QTest::newRow("open tag in the prompt") << "weighing it</think>Yes" << "weighing it" << "Yes" << false;
        QTest::newRow("tag mentioned later") << "Use <think> tags" << "" << "Use <think> tags" << false;
    }
    void reasoning() {
        QFETCH(QString, raw);
        QFETCH(QString, reasoning);
        QFETCH(QString, answer);
        QFETCH(bool, open);
        const markdown::ReasoningSplit s = markdown::splitReasoning(raw);
        QCOMPARE(s.reasoning, reasoning);
        QCOMPARE(s.answer, answer);
        QCOMPARE(s.reasoningOpen, open);
    }
};

QTEST_GUILESS_MAIN(MarkdownTest)
#include "markdown_test.moc"
