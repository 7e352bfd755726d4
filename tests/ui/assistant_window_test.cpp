// Starts the real `assistant` executable on the current X display (ctest runs this
// under xvfb-run), waits for its window's first exposed frame, grabs the X screen
// into the build tree and checks the window area is a rendered UI, not a blank.
#include <QGuiApplication>
#include <QHash>
#include <QImage>
#include <QPixmap>
#include <QProcess>
#include <QRegularExpression>
#include <QScreen>
#include <QTemporaryDir>
#include <QTest>

namespace {
constexpr int kStartTimeoutMs = 60000;
}

class AssistantWindowTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY2(QGuiApplication::platformName() == QLatin1String("xcb"),
                 qPrintable("needs an X display (xvfb-run), got platform " +
                            QGuiApplication::platformName()));
    }

    void rendersTheMainWindow() {
        QProcess app;
        QTemporaryDir data;  // the app's conversations database, not the user's
        QVERIFY(data.isValid());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("ASSISTANT_REPORT_EXPOSED", "1");
        env.insert("XDG_DATA_HOME", data.path());
        env.remove("QT_QPA_PLATFORM");  // the same X display as this test, never offscreen
        app.setProcessEnvironment(env);
        app.setProcessChannelMode(QProcess::SeparateChannels);
        // ASSISTANT_EXE / SCREENSHOT_PATH in the environment check another build (an
        // installed package: ASSISTANT_EXE=/usr/bin/assistant).
        const QString exe = qEnvironmentVariable("ASSISTANT_EXE", QStringLiteral(ASSISTANT_EXE));
        const QString shotPath = qEnvironmentVariable("SCREENSHOT_PATH", QStringLiteral(SCREENSHOT_PATH));
        app.start(exe, {});
        QVERIFY2(app.waitForStarted(), qPrintable(app.errorString()));

        // "window-exposed X Y W H" once the first frame is on screen.
        const QRegularExpression exposedLine(R"(window-exposed (-?\d+) (-?\d+) (\d+) (\d+))");
        QRect windowRect;
        QByteArray out;
        const bool exposed = QTest::qWaitFor([&] {
            out += app.readAllStandardOutput();
            const auto m = exposedLine.match(QString::fromUtf8(out));
            if (m.hasMatch())
                windowRect = QRect(m.captured(1).toInt(), m.captured(2).toInt(),
                                   m.captured(3).toInt(), m.captured(4).toInt());
            return m.hasMatch() || app.state() == QProcess::NotRunning;
        }, kStartTimeoutMs);
        const QByteArray err = app.readAllStandardError();
        QVERIFY2(exposed && windowRect.isValid(),
                 qPrintable("assistant did not report an exposed window; stdout: " +
                            QString::fromUtf8(out) + "\nstderr: " + QString::fromUtf8(err)));

        QTest::qWait(1500);  // let the engine's first answer (loaded or error) reach the screen
        QVERIFY2(app.state() == QProcess::Running, "assistant exited after showing its window");

        QScreen* screen = QGuiApplication::primaryScreen();
        QVERIFY(screen);
        const QImage shot = screen->grabWindow(0).toImage().convertToFormat(QImage::Format_RGB32);
        QVERIFY(!shot.isNull());
        QVERIFY2(shot.save(shotPath), qPrintable(shotPath));
        qInfo("screenshot: %s (window at %d,%d %dx%d)", qPrintable(shotPath), windowRect.x(),
              windowRect.y(), windowRect.width(), windowRect.height());

        app.terminate();
        if (!app.waitForFinished(5000)) app.kill();

        checkNotBlank(shot, windowRect.intersected(shot.rect()));
    }

private:
    // A rendered UI has text (antialiased: many colours) and more than one surface.
    static void checkNotBlank(const QImage& shot, const QRect& area) {
        QVERIFY2(area.width() >= 400 && area.height() >= 300, "window area is too small");
        QHash<QRgb, int> histogram;
        for (int y = area.top(); y <= area.bottom(); ++y) {
            const auto* line = reinterpret_cast<const QRgb*>(shot.constScanLine(y));
            for (int x = area.left(); x <= area.right(); ++x) ++histogram[line[x] & 0xffffff];
        }
        int background = 0;
        for (int n : std::as_const(histogram)) background = std::max(background, n);
        const double total = double(area.width()) * area.height();
        const double foregroundShare = 1.0 - background / total;
        qInfo("distinct colours: %d, non-background share: %.1f%%", int(histogram.size()),
              foregroundShare * 100);
        QVERIFY2(histogram.size() >= 64, "too few colours: the window looks blank");
        QVERIFY2(foregroundShare >= 0.05, "almost everything is one colour: the window looks blank");
    }
};

QTEST_MAIN(AssistantWindowTest)
#include "assistant_window_test.moc"
