// Readability under Xvfb: the app's real QML in light and dark theme; every page of
// the Settings and Models dialogs (each tab clicked in turn) and the main window are
// grabbed, and every visible text (Text, TextInput, TextEdit: labels, buttons, tabs,
// fields) must reach a WCAG contrast ratio of 4.5 between its colour and the
// background measured under it on the screenshot. Disabled controls are exempt
// (WCAG 1.4.3). Screenshots of each page are kept in SCREENSHOT_DIR; with
// QT_SCALE_FACTOR=2 (the ui_contrast_2x test) their names end in "-2x".
#include <QAbstractItemModel>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHash>
#include <QImage>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

#include <algorithm>
#include <cmath>

#include <QTcpServer>

#include "app_storage.h"
#include "chat_controller.h"
#include "documents_controller.h"
#include "local_api_controller.h"
#include "model_controller.h"
#ifdef HAVE_GUI_API
#include "local_api_backend_impl.h"
#endif

Q_IMPORT_QML_PLUGIN(AssistantPlugin)

namespace {
constexpr int kWaitMs = 30000;
constexpr double kMinContrast = 4.5;  // WCAG 2 AA, normal text
const QString kDemoModel = QStringLiteral(DEMO_MODEL_PATH);
const QString kShots = QStringLiteral(SCREENSHOT_DIR);

double channel(int c) {
    const double v = c / 255.0;
    return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}
double relativeLuminance(QRgb c) {
    return 0.2126 * channel(qRed(c)) + 0.7152 * channel(qGreen(c)) + 0.0722 * channel(qBlue(c));
}
double contrastRatio(QRgb a, QRgb b) {
    const double la = relativeLuminance(a), lb = relativeLuminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}
bool near(QRgb a, QRgb b, int tolerance) {
    return std::abs(qRed(a) - qRed(b)) <= tolerance && std::abs(qGreen(a) - qGreen(b)) <= tolerance &&
           std::abs(qBlue(a) - qBlue(b)) <= tolerance;
}

// The background under a text: the most frequent colour in its box (grown by 3
// pixels), ignoring pixels close to the text colour itself (a bold, tightly boxed
// label may be mostly glyphs). Antialiased edges spread over many colours and lose.
QRgb backgroundUnder(const QImage& shot, QRect box, QRgb text) {
    box = box.adjusted(-3, -3, 3, 3).intersected(shot.rect());
    QHash<QRgb, int> counts;
    for (int y = box.top(); y <= box.bottom(); ++y) {
        const auto* line = reinterpret_cast<const QRgb*>(shot.constScanLine(y));
        for (int x = box.left(); x <= box.right(); ++x)
            if (!near(line[x], text, 24)) ++counts[line[x] | 0xff000000u];
    }
    QRgb best = text;
    int bestCount = -1;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        if (it.value() > bestCount) best = it.key(), bestCount = it.value();
    return best;
}

bool isTextItem(const QQuickItem* item) {
    return item->inherits("QQuickText") || item->inherits("QQuickTextInput") || item->inherits("QQuickTextEdit");
}

// Opacity as drawn: the product over the item and its ancestors.
double effectiveOpacity(const QQuickItem* item) {
    double o = 1;
    for (; item; item = item->parentItem()) o *= item->opacity();
    return o;
}

// The part of item's box that is on screen (inside every clipping ancestor), in
// window pixels.
QRect visibleBox(const QQuickItem* item, qreal dpr) {
    QRectF r = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
    for (const QQuickItem* a = item->parentItem(); a; a = a->parentItem())
        if (a->clip()) r &= a->mapRectToScene(QRectF(0, 0, a->width(), a->height()));
    return QRectF(r.topLeft() * dpr, r.size() * dpr).toAlignedRect();
}

struct TextCheck {
    QString text;
    double ratio;
    QRgb fg;
    QRgb bg;
};

// Every visible, enabled text under root, measured on shot.
void checkTexts(QQuickItem* item, const QImage& shot, qreal dpr, QList<TextCheck>& out) {
    if (!item->isVisible() || item->opacity() == 0 || !item->isEnabled()) return;
    if (isTextItem(item)) {
        QString text = item->property("text").toString();
        if (text.trimmed().isEmpty()) text = item->property("placeholderText").toString();
        const QColor declared = item->property("color").value<QColor>();
        const QRect box = visibleBox(item, dpr);
        if (!text.trimmed().isEmpty() && declared.alpha() > 0 && box.width() > 2 && box.height() > 2) {
            const QRgb raw = declared.rgb();
            const QRgb bg = backgroundUnder(shot, box, raw);
            // The colour as drawn: the declared one blended over the background.
            const double a = effectiveOpacity(item) * declared.alphaF();
            const QRgb fg = qRgb(qRound(qRed(raw) * a + qRed(bg) * (1 - a)), qRound(qGreen(raw) * a + qGreen(bg) * (1 - a)),
                                 qRound(qBlue(raw) * a + qBlue(bg) * (1 - a)));
            out.append({text.left(40).replace(u'\n', u' '), contrastRatio(fg, bg), fg, bg});
        }
    }
    for (QQuickItem* child : item->childItems()) checkTexts(child, shot, dpr, out);
}

void findByClass(QQuickItem* item, const char* className, QList<QQuickItem*>& out) {
    if (item->inherits(className)) out << item;
    for (QQuickItem* child : item->childItems()) findByClass(child, className, out);
}
}  // namespace

class ContrastTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY2(QGuiApplication::platformName() == QLatin1String("xcb"),
                 qPrintable("needs an X display (xvfb-run), got " + QGuiApplication::platformName()));
        QVERIFY2(QFileInfo::exists(kDemoModel), qPrintable("missing demo model: " + kDemoModel));
        QVERIFY(m_data.isValid());
        QDir().mkpath(kShots);
        m_suffix = qEnvironmentVariable("QT_SCALE_FACTOR") == QLatin1String("2") ? QStringLiteral("-2x") : QString();
        ModelController::setDefaultModelPath(kDemoModel);
        qputenv("XDG_CONFIG_HOME", m_data.path().toUtf8());  // the bandwidth probe's cache
        AppStorage::setDefaultPath(m_data.filePath(QStringLiteral("assistant.sqlite")));
        DocumentsController::setDefaultDatabasePath(m_data.filePath(QStringLiteral("documents.db")));
#ifdef HAVE_GUI_API
        // The real server behind Settings › Local API, on a free port, turned on.
        LocalApiController::setBackendFactory([] { return makeLocalApiBackend({}); });
#endif
        m_engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
        m_engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Assistant/qml/Main.qml")));
        QVERIFY(!m_engine.rootObjects().isEmpty());
        m_window = qobject_cast<QQuickWindow*>(m_engine.rootObjects().constFirst());
        QVERIFY(m_window);
        m_window->resize(1000, 700);
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        m_chat = m_window->findChild<ChatController*>(QStringLiteral("chat"));
        m_settings = m_window->findChild<QObject*>(QStringLiteral("settings"));
        QVERIFY(m_chat && m_settings);
        QVERIFY2(QTest::qWaitFor([&] { return !m_chat->busy(); }, kWaitMs), "the demo model did not load");
#ifdef HAVE_GUI_API
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const int port = probe.serverPort();
        probe.close();
        QVERIFY(m_settings->setProperty("apiPort", port));
        QVERIFY(m_settings->setProperty("apiEnabled", true));
        QObject* api = m_window->findChild<QObject*>(QStringLiteral("localApi"));
        QVERIFY(api);
        QTRY_VERIFY2(api->property("running").toBool(), qPrintable(api->property("statusText").toString()));
#endif
        // A refused GPU memory size: its message shows on the loading page (and is measured).
        bool taken = true;
        QVERIFY(QMetaObject::invokeMethod(m_settings, "setParam", Q_RETURN_ARG(bool, taken),
                                          Q_ARG(QString, QStringLiteral("gpuMemory")), Q_ARG(QVariant, QStringLiteral("12 XB"))));
        QVERIFY(!taken);
        QVERIFY(!m_settings->property("paramError").toString().isEmpty());
        // A model card in the Models dialog.
        QObject* models = m_window->findChild<QObject*>(QStringLiteral("modelsDialog"));
        QVERIFY(models);
        auto* library = qvariant_cast<QAbstractItemModel*>(models->property("library"));
        QVERIFY(library);
        QVERIFY(QMetaObject::invokeMethod(library, "add", Q_ARG(QUrl, QUrl::fromLocalFile(kDemoModel))));
        const int statusRole = library->roleNames().key("status");
        QTRY_COMPARE_WITH_TIMEOUT(library->data(library->index(0, 0), statusRole).toString(), QString("ready"), kWaitMs);
        // Its placement and expected speed (worked out off the GUI thread) on the card too.
        const int placementRole = library->roleNames().key("placement");
        QTRY_VERIFY_WITH_TIMEOUT(!library->data(library->index(0, 0), placementRole).toString().isEmpty(), kWaitMs);
    }

    void dialogs_data() {
        QTest::addColumn<QString>("theme");
        QTest::addColumn<QString>("dialog");
        for (const char* theme : {"light", "dark"})
            for (const char* dialog : {"settingsDialog", "modelsDialog"})
                QTest::addRow("%s %s", dialog, theme) << theme << dialog;
    }
    // Each tab of the dialog in turn: all its text is readable.
    void dialogs() {
        QFETCH(QString, theme);
        QFETCH(QString, dialog);
        QVERIFY(m_settings->setProperty("theme", theme));
        QObject* popup = m_window->findChild<QObject*>(dialog);
        QVERIFY(popup);
        QVERIFY(QMetaObject::invokeMethod(popup, "open"));
        QTRY_VERIFY(popup->property("opened").toBool());
        auto* content = qvariant_cast<QQuickItem*>(popup->property("contentItem"));
        QVERIFY(content && content->parentItem());
        QQuickItem* popupItem = content->parentItem();
        QList<QQuickItem*> tabs;
        findByClass(popupItem, "QQuickTabButton", tabs);
        QVERIFY2(tabs.size() >= 2, "no tabs found in the dialog");
        QStringList failures;
        for (QQuickItem* tab : std::as_const(tabs)) {
            const QString name = tab->property("text").toString();
            if (!tab->property("checked").toBool()) QVERIFY(QMetaObject::invokeMethod(tab, "toggle"));
            QTRY_VERIFY2(tab->property("checked").toBool(), qPrintable(name));
            QTest::qWait(250);  // hover and the page's first frame
            const QString file = QStringLiteral("%1-%2-%3%4.png")
                                     .arg(dialog.chopped(6), name.toLower().replace(u' ', u'-'), theme, m_suffix);
            failures += measure(popupItem, file);
        }
        QVERIFY(QMetaObject::invokeMethod(popup, "close"));
        QTRY_VERIFY(!popup->property("visible").toBool());
        QVERIFY2(failures.isEmpty(), qPrintable(QStringLiteral("unreadable text (%1):\n  ").arg(theme) +
                                                failures.join(QStringLiteral("\n  "))));
    }

    // The prompt a password-protected PDF opens (DocumentsDialog.askPassword).
    void passwordPrompt_data() { mainWindow_data(); }
    void passwordPrompt() {
        QFETCH(QString, theme);
        QVERIFY(m_settings->setProperty("theme", theme));
        QObject* documents = m_window->findChild<QObject*>(QStringLiteral("documentsDialog"));
        QVERIFY(documents);
        QVERIFY(QMetaObject::invokeMethod(documents, "askPassword", Q_ARG(QVariant, QStringLiteral("/home/me/Taxes 2025.pdf")),
                                          Q_ARG(QVariant, false)));
        QObject* prompt = documents->findChild<QObject*>(QStringLiteral("passwordDialog"));
        QVERIFY(prompt);
        QTRY_VERIFY(prompt->property("opened").toBool());
        QTest::qWait(200);
        auto* content = qvariant_cast<QQuickItem*>(prompt->property("contentItem"));
        QVERIFY(content && content->parentItem());
        const QStringList failures = measure(content->parentItem(), QStringLiteral("documents-password-%1%2.png").arg(theme, m_suffix));
        QVERIFY(QMetaObject::invokeMethod(prompt, "close"));
        QVERIFY(QMetaObject::invokeMethod(documents, "close"));
        QTRY_VERIFY(!documents->property("visible").toBool());
        QVERIFY2(failures.isEmpty(), qPrintable(QStringLiteral("unreadable text (%1):\n  ").arg(theme) +
                                                failures.join(QStringLiteral("\n  "))));
    }

    // The documents list with notes in several languages (each shows its language).
    void documentsList_data() { mainWindow_data(); }
    void documentsList() {
        QFETCH(QString, theme);
        QVERIFY(m_settings->setProperty("theme", theme));
        auto* docs = m_window->findChild<DocumentsController*>(QStringLiteral("documents"));
        QVERIFY(docs);
        if (docs->documents()->count() == 0) {
            const QString set = QStringLiteral(ASSISTANT_SOURCE_DIR "/tests/rag/data/multilingual/");
            QList<QUrl> files;
            for (const char* name : {"zh_xihu.md", "ja_sakura.md", "ko_kimchi.md", "de_miete.md", "fr_fromage.md",
                                     "es_paella.md", "en_backup.md"})
                files << QUrl::fromLocalFile(set + QLatin1String(name));
            docs->add(files);
            QTRY_VERIFY_WITH_TIMEOUT(!docs->indexing() && docs->documents()->count() == 7, kWaitMs);
        }
        QObject* dialog = m_window->findChild<QObject*>(QStringLiteral("documentsDialog"));
        QVERIFY(dialog);
        QVERIFY(QMetaObject::invokeMethod(dialog, "open"));
        QTRY_VERIFY(dialog->property("opened").toBool());
        QTest::qWait(250);
        auto* content = qvariant_cast<QQuickItem*>(dialog->property("contentItem"));
        QVERIFY(content && content->parentItem());
        const QStringList failures = measure(content->parentItem(), QStringLiteral("documents-%1%2.png").arg(theme, m_suffix));
        QVERIFY(QMetaObject::invokeMethod(dialog, "close"));
        QTRY_VERIFY(!dialog->property("visible").toBool());
        QVERIFY2(failures.isEmpty(), qPrintable(QStringLiteral("unreadable text (%1):\n  ").arg(theme) +
                                                failures.join(QStringLiteral("\n  "))));
    }

    void mainWindow_data() {
        QTest::addColumn<QString>("theme");
        QTest::newRow("light") << "light";
        QTest::newRow("dark") << "dark";
    }
    void mainWindow() {
        QFETCH(QString, theme);
        QVERIFY(m_settings->setProperty("theme", theme));
        m_chat->messages()->setMessages({{"user", "How do I sort a vector?", ""},
                                         {"assistant", "Use `std::sort`:\n\n```cpp\nstd::sort(v.begin(), v.end());\n```",
                                          "41.2 tok/s · first token < 1 ms · context 212/4096 · cpu"}});
        QTest::qWait(300);
        const QStringList failures = measure(m_window->contentItem(), QStringLiteral("main-%1%2.png").arg(theme, m_suffix));
        QVERIFY2(failures.isEmpty(), qPrintable(QStringLiteral("unreadable text (%1):\n  ").arg(theme) +
                                                failures.join(QStringLiteral("\n  "))));
    }

    // The check itself: blue text on the accent fill (what the Basic TabButton drew)
    // is refused, the theme's text on its surface passes.
    void ratioRejectsBlueOnBlue() {
        QVERIFY(contrastRatio(qRgb(0x6b, 0x72, 0x80), qRgb(0x3b, 0x6f, 0xe0)) < kMinContrast);
        QVERIFY(contrastRatio(qRgb(0x1f, 0x24, 0x30), qRgb(0xff, 0xff, 0xff)) > kMinContrast);
        QCOMPARE(qRound(contrastRatio(qRgb(0, 0, 0), qRgb(255, 255, 255))), 21);
    }

    void cleanupTestCase() {
        if (m_settings) m_settings->setProperty("apiEnabled", false);
        if (m_window) m_window->close();
    }

private:
    // Grabs the window, saves it as file, and returns "text: ratio (fg on bg)" for
    // every text under root below kMinContrast.
    QStringList measure(QQuickItem* root, const QString& file) {
        const QImage shot = m_window->grabWindow().convertToFormat(QImage::Format_RGB32);
        if (shot.isNull()) return {QStringLiteral("no screenshot")};
        const QString path = kShots + u'/' + file;
        if (shot.save(path)) qInfo("screenshot: %s", qPrintable(path));
        const qreal dpr = shot.width() / qreal(m_window->width());
        QList<TextCheck> checks;
        checkTexts(root, shot, dpr, checks);
        QStringList failures;
        for (const TextCheck& c : std::as_const(checks))
            if (c.ratio < kMinContrast)
                failures << QStringLiteral("%1 \"%2\": %3 (%4 on %5)")
                                .arg(file, c.text)
                                .arg(c.ratio, 0, 'f', 2)
                                .arg(QColor(c.fg).name(), QColor(c.bg).name());
        if (checks.isEmpty()) failures << file + QStringLiteral(": no text found");
        return failures;
    }

    QTemporaryDir m_data;  // declared first: outlives the engine and its database
    QQmlApplicationEngine m_engine;
    QQuickWindow* m_window = nullptr;
    ChatController* m_chat = nullptr;
    QObject* m_settings = nullptr;
    QString m_suffix;
};

QTEST_MAIN(ContrastTest)
#include "contrast_test.moc"
