// End to end under Xvfb: the app's real QML (Main.qml from the Assistant module)
// with the real engine and the embedded demo model, driven by keyboard events like
// a user: type a prompt, press Enter, see the answer stream and its stats line,
// stop an answer with Esc, switch to the dark theme. Screenshots in light and dark
// (and at 800x600) are kept in the build tree (SCREENSHOT_DIR).
#include <QAbstractItemModel>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

#include "app_storage.h"
#include "chat_controller.h"
#include "documents_controller.h"
#include "model_controller.h"

Q_IMPORT_QML_PLUGIN(AssistantPlugin)

namespace {
constexpr int kWaitMs = 30000;
const QString kDemoModel = QStringLiteral(DEMO_MODEL_PATH);
const QString kShots = QStringLiteral(SCREENSHOT_DIR);

// Mean luma of an image, 0 (black) .. 255 (white).
double meanLuma(const QImage& image) {
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    double sum = 0;
    for (int y = 0; y < img.height(); y += 2) {
        const auto* line = reinterpret_cast<const QRgb*>(img.constScanLine(y));
        for (int x = 0; x < img.width(); x += 2) sum += qGray(line[x]);
    }
    return sum / ((img.height() + 1) / 2 * double((img.width() + 1) / 2));
}

// Visible items called `name` with a non-empty text, searched in the visual tree
// (ListView delegates are not QObject children of the view).
void visibleItemsNamed(QQuickItem* item, const QString& name, QList<QQuickItem*>& out) {
    if (!item->isVisible()) return;
    if (item->objectName() == name && !item->property("text").toString().isEmpty()) out << item;
    for (QQuickItem* child : item->childItems()) visibleItemsNamed(child, name, out);
}
QQuickItem* findItem(QQuickItem* item, const QString& name) {
    if (item->objectName() == name) return item;
    for (QQuickItem* child : item->childItems())
        if (QQuickItem* found = findItem(child, name)) return found;
    return nullptr;
}
}  // namespace

class E2eChatTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY2(QGuiApplication::platformName() == QLatin1String("xcb"),
                 qPrintable("needs an X display (xvfb-run), got " + QGuiApplication::platformName()));
        QVERIFY2(QFileInfo::exists(kDemoModel), qPrintable("missing demo model: " + kDemoModel));
        QVERIFY(m_data.isValid());
        QDir().mkpath(kShots);
        ModelController::setDefaultModelPath(kDemoModel);
        AppStorage::setDefaultPath(m_data.filePath(QStringLiteral("assistant.sqlite")));
        DocumentsController::setDefaultDatabasePath(m_data.filePath(QStringLiteral("documents.db")));

        m_engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
        m_engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Assistant/qml/Main.qml")));
        QVERIFY(!m_engine.rootObjects().isEmpty());
        m_window = qobject_cast<QQuickWindow*>(m_engine.rootObjects().constFirst());
        QVERIFY(m_window);
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        // Window shortcuts (Ctrl+N …) fire only in the focus window.
        m_window->requestActivate();
        QVERIFY(QTest::qWaitForWindowActive(m_window));
        m_chat = m_window->findChild<ChatController*>(QStringLiteral("chat"));
        m_settings = m_window->findChild<QObject*>(QStringLiteral("settings"));
        QVERIFY(m_chat && m_settings);
        QVERIFY(m_settings->setProperty("theme", QStringLiteral("light")));
        QVERIFY2(QTest::qWaitFor([&] { return !m_chat->busy(); }, kWaitMs), "the demo model did not load");
        QVERIFY2(m_chat->canSend(), qPrintable(m_chat->errorText()));
    }

    void typedPromptStreamsAnAnswerWithStats() {
        typePrompt(QStringLiteral("Once upon a time"));
        MessageListModel* messages = m_chat->messages();
        QCOMPARE(messages->role(0), QString("user"));
        QCOMPARE(messages->text(0), QString("Once upon a time"));
        QVERIFY(QTest::qWaitFor([&] { return !messages->text(1).isEmpty(); }, kWaitMs));
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        QList<QQuickItem*> stats;
        visibleItemsNamed(m_window->contentItem(), QStringLiteral("statsLine"), stats);
        QVERIFY2(!stats.isEmpty(), "no stats line under the answer");
        const QString line = stats.last()->property("text").toString();
        QVERIFY2(line.contains(QLatin1String("tok/s")) && line.contains(QLatin1String("context")), qPrintable(line));
        QVERIFY2(!line.contains(QLatin1String("first token 0 ms")), qPrintable(line));  // "< 1 ms" or the time
        QTest::qWait(200);  // the last frame
        save(QStringLiteral("chat-light.png"), &m_lightLuma);
        // The conversation was saved and is listed with an automatic title.
        QCOMPARE(m_chat->conversations()->list()->count(), 1);
        QCOMPARE(m_chat->conversations()->currentTitle(), QString("Once upon a time"));
    }

    void escapeStopsAnAnswerMidway() {
        MessageListModel* messages = m_chat->messages();
        typePrompt(QStringLiteral("The little dog"));
        const int answer = messages->count() - 1;
        QVERIFY(QTest::qWaitFor([&] { return !messages->text(answer).isEmpty() || !m_chat->busy(); }, kWaitMs));
        QVERIFY2(m_chat->busy(), "the answer ended before Esc could stop it");
        QTest::keyClick(m_window, Qt::Key_Escape);
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        QVERIFY2(messages->stats(answer).endsWith(QLatin1String("stopped")), qPrintable(messages->stats(answer)));
    }

    void darkThemeAndSmallWindow() {
        QVERIFY(m_settings->setProperty("theme", QStringLiteral("dark")));
        QTest::qWait(300);
        double darkLuma = 0;
        save(QStringLiteral("chat-dark.png"), &darkLuma);
        QVERIFY2(darkLuma < m_lightLuma - 60, qPrintable(QStringLiteral("light %1, dark %2").arg(m_lightLuma).arg(darkLuma)));
        m_window->resize(800, 600);
        QVERIFY(QTest::qWaitFor([&] { return m_window->width() == 800 && m_window->height() == 600; }, 5000));
        QTest::qWait(300);
        save(QStringLiteral("chat-dark-800x600.png"), nullptr);
        m_settings->setProperty("theme", QStringLiteral("light"));
        QTest::qWait(300);
        save(QStringLiteral("chat-light-800x600.png"), nullptr);
    }

    void shortcuts() {
        QTest::keyClick(m_window, Qt::Key_N, Qt::ControlModifier);
        QCOMPARE(m_chat->messages()->count(), 0);
        QCOMPARE(m_chat->conversations()->currentId(), qint64(0));
        QCOMPARE(m_chat->conversations()->list()->count(), 1);  // the old one is kept

        QTest::keyClick(m_window, Qt::Key_F, Qt::ControlModifier);
        QQuickItem* search = findItem(m_window->contentItem(), QStringLiteral("conversationSearch"));
        QVERIFY(search);
        QTRY_VERIFY(search->hasActiveFocus());
        for (const QChar c : QStringLiteral("dog")) QTest::keyClick(m_window, c.toLatin1());
        QTRY_COMPARE(m_chat->conversations()->list()->filter(), QString("dog"));
        QCOMPARE(m_chat->conversations()->list()->count(), 1);  // "The little dog" is in it
        QTest::keyClick(m_window, Qt::Key_Escape);      // clears the search
        QTRY_COMPARE(m_chat->conversations()->list()->filter(), QString());

        QTest::keyClick(m_window, Qt::Key_Comma, Qt::ControlModifier);
        QObject* settingsDialog = m_window->findChild<QObject*>(QStringLiteral("settingsDialog"));
        QVERIFY(settingsDialog);
        QTRY_VERIFY(settingsDialog->property("visible").toBool());
        QTest::qWait(300);
        save(QStringLiteral("settings-light.png"), nullptr);
        QTest::keyClick(m_window, Qt::Key_Escape);
        QTRY_VERIFY(!settingsDialog->property("visible").toBool());
    }

    // How a Markdown answer with reasoning, a table and code looks (the demo model
    // writes none): a stored conversation shown in both themes.
    void markdownAnswerScreenshots() {
        const QString answer = QStringLiteral(
            "<think>The user wants a comparison; a table fits.</think>"
            "## Sorting in C++\n\nUse `std::sort` for **random-access** ranges:\n\n"
            "1. Include `<algorithm>`\n2. Call it on *begin* and *end*\n   - stable? use `std::stable_sort`\n\n"
            "| Function | Complexity |\n|---|---|\n| `std::sort` | O(n log n) |\n| `std::stable_sort` | O(n log² n) |\n\n"
            "```cpp\nstd::vector<int> v{3, 1, 2};\nstd::sort(v.begin(), v.end());\n```\n\n> Tip: prefer ranges in C++20.");
        m_chat->messages()->setMessages({{"user", "How do I sort a vector?", ""},
                                         {"assistant", answer, "41.2 tok/s · first token 85 ms · context 212/4096 · cpu"}});
        m_window->resize(1100, 760);
        m_settings->setProperty("theme", QStringLiteral("light"));
        QTest::qWait(400);
        QQuickItem* copy = findItem(m_window->contentItem(), QStringLiteral("codeCopyButton"));
        QVERIFY2(copy && copy->isVisible(), "the code block has no Copy button");
        save(QStringLiteral("markdown-light.png"), nullptr);
        m_settings->setProperty("theme", QStringLiteral("dark"));
        QTest::qWait(300);
        save(QStringLiteral("markdown-dark.png"), nullptr);
        m_settings->setProperty("theme", QStringLiteral("light"));
        m_chat->conversations()->startNew();
    }

    void modelsDialogDescribesTheDemoModel() {
        QObject* dialog = m_window->findChild<QObject*>(QStringLiteral("modelsDialog"));
        QVERIFY(dialog);
        auto* library = qvariant_cast<QAbstractItemModel*>(dialog->property("library"));
        QVERIFY(library);
        QVERIFY(QMetaObject::invokeMethod(library, "add", Q_ARG(QUrl, QUrl::fromLocalFile(kDemoModel))));
        QVERIFY(QMetaObject::invokeMethod(dialog, "open"));
        const QModelIndex first = library->index(0, 0);
        const int statusRole = library->roleNames().key("status");
        QTRY_COMPARE_WITH_TIMEOUT(library->data(first, statusRole).toString(), QString("ready"), kWaitMs);
        QTest::qWait(300);
        save(QStringLiteral("models-light.png"), nullptr);
        QVERIFY(QMetaObject::invokeMethod(dialog, "close"));
    }

    // "Use my documents": a PDF is indexed, the answer lists its sources, and clicking
    // one opens the in-app viewer at the cited page with the excerpt.
    void documentSourcesOpenInTheViewer() {
        auto* documents = m_window->findChild<DocumentsController*>(QStringLiteral("documents"));
        QVERIFY(documents);
        if (!documents->available()) QSKIP("built without rag/ (ASSISTANT_WITH_RAG=OFF)");
        QVERIFY2(QFileInfo::exists(QStringLiteral(SAMPLE_PDF)), SAMPLE_PDF);
        documents->add({QUrl::fromLocalFile(QStringLiteral(SAMPLE_PDF))});
        QVERIFY(QTest::qWaitFor([&] { return !documents->indexing(); }, kWaitMs));
        QVERIFY2(documents->errorText().isEmpty(), qPrintable(documents->errorText()));
        QTRY_COMPARE(documents->documents()->count(), 1);  // the list is re-read after the run
        QCOMPARE(documents->documents()->row(0)->status, QString("indexed"));

        m_window->resize(1100, 760);
        m_chat->setUseDocuments(true);
        typePrompt(QStringLiteral("What does the document say on the first page"));
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        QVERIFY(!m_chat->messages()->sources(1).isEmpty());
        QTest::qWait(300);
        QList<QQuickItem*> buttons;
        visibleItemsNamed(m_window->contentItem(), QStringLiteral("sourceButton"), buttons);
        QVERIFY2(!buttons.isEmpty(), "no source buttons under the answer");
        save(QStringLiteral("documents-answer-light.png"), nullptr);
        QQuickItem* button = buttons.first();
        QTest::mouseClick(m_window, Qt::LeftButton, {},
                          button->mapToScene(QPointF(button->width() / 2, button->height() / 2)).toPoint());
        QObject* loader = m_window->findChild<QObject*>(QStringLiteral("sourceViewer"));
        QVERIFY(loader);
        QTRY_VERIFY_WITH_TIMEOUT(loader->property("status").toInt() == 1 /* Loader.Ready */, 10000);
        QObject* viewer = qvariant_cast<QObject*>(loader->property("item"));
        QVERIFY(viewer);
        QTRY_VERIFY(viewer->property("visible").toBool());
        QVERIFY(viewer->property("isPdf").toBool());
        QTest::qWait(1000);  // the page renders
        save(QStringLiteral("source-viewer-light.png"), nullptr);
        QVERIFY(QMetaObject::invokeMethod(viewer, "close"));
        QObject* documentsDialog = m_window->findChild<QObject*>(QStringLiteral("documentsDialog"));
        QVERIFY(documentsDialog);
        QVERIFY(QMetaObject::invokeMethod(documentsDialog, "open"));
        QTest::qWait(400);
        save(QStringLiteral("documents-dialog-light.png"), nullptr);
        QVERIFY(QMetaObject::invokeMethod(documentsDialog, "close"));
        m_chat->setUseDocuments(false);
    }

    void cleanupTestCase() {
        if (m_window) m_window->close();
    }

private:
    void typePrompt(const QString& text) {
        auto* input = m_window->findChild<QQuickItem*>(QStringLiteral("composerInput"));
        QVERIFY(input);
        input->forceActiveFocus();
        for (const QChar c : text) QTest::keyClick(m_window, c.toLatin1());  // QWindow has no keyClicks
        QTRY_COMPARE(input->property("text").toString(), text);
        QTest::keyClick(m_window, Qt::Key_Return);
        QTRY_COMPARE(input->property("text").toString(), QString());
    }

    void save(const QString& name, double* luma) {
        const QImage shot = m_window->grabWindow();
        QVERIFY(!shot.isNull());
        const QString path = kShots + u'/' + name;
        QVERIFY2(shot.save(path), qPrintable(path));
        qInfo("screenshot: %s", qPrintable(path));
        if (luma) *luma = meanLuma(shot);
    }

    QTemporaryDir m_data;  // declared first: outlives the engine and its database
    QQmlApplicationEngine m_engine;
    QQuickWindow* m_window = nullptr;
    ChatController* m_chat = nullptr;
    QObject* m_settings = nullptr;
    double m_lightLuma = 0;
};

QTEST_MAIN(E2eChatTest)
#include "e2e_chat_test.moc"
