// ChatController without a model: the streaming coalescer, the stats line, and the
// controller's state machine around loads that fail, are cancelled or are replaced.
// (A missing or corrupt file must end in NoModel with a message.)
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

#include "chat_controller.h"
#include "chat_types.h"
#include "piece_coalescer.h"

namespace {
const QString kMissingA = QStringLiteral("/nonexistent/assistant-test-a.gguf");
const QString kMissingB = QStringLiteral("/nonexistent/assistant-test-b.gguf");
constexpr int kWaitMs = 10000;

bool waitForState(ChatController& c, ChatController::State state) {
    return QTest::qWaitFor([&] { return c.state() == state; }, kWaitMs);
}
}  // namespace

class ChatControllerTest : public QObject {
    Q_OBJECT

private slots:
    // --- PieceCoalescer --------------------------------------------------------
    void coalescer_data() {
        QTest::addColumn<QList<qint64>>("times");  // arrival time of each piece, ms
        QTest::addColumn<QList<bool>>("due");      // add() says "send now"
        QTest::newRow("first piece at once") << QList<qint64>{0} << QList<bool>{true};
        QTest::newRow("burst held for a frame")
            << QList<qint64>{0, 1, 5, 15, 16, 17} << QList<bool>{true, false, false, false, true, false};
        QTest::newRow("slow model: every piece")
            << QList<qint64>{0, 40, 80, 120} << QList<bool>{true, true, true, true};
    }
    void coalescer() {
        QFETCH(QList<qint64>, times);
        QFETCH(QList<bool>, due);
        PieceCoalescer c;
        QString sent;
        for (int i = 0; i < times.size(); ++i) {
            const bool isDue = c.add(QString::number(i), times[i]);
            QCOMPARE(isDue, due[i]);
            if (isDue) sent += c.take(times[i]);
        }
        sent += c.take(times.last());
        QString expected;
        for (int i = 0; i < times.size(); ++i) expected += QString::number(i);
        QCOMPARE(sent, expected);  // nothing lost, nothing reordered
        QVERIFY(c.isEmpty());
    }

    void coalescerLimitsUpdatesToAboutOnePerFrame() {
        // 2000 tokens in 200 ms (10 000 tok/s, the demo model's speed class).
        PieceCoalescer c;
        int updates = 0;
        for (int i = 0; i < 2000; ++i) {
            const qint64 now = i / 10;
            if (c.add(QStringLiteral("x"), now)) {
                c.take(now);
                ++updates;
            }
        }
        QVERIFY2(updates <= 200 / PieceCoalescer::kFrameMs + 1, qPrintable(QString::number(updates)));
        QVERIFY(updates >= 10);
    }

    // --- formatStats ------------------------------------------------------------
    void statsLine() {
        GenerationStats s;
        s.generatedTokens = 64;
        s.tokensPerSecond = 42.06;
        s.timeToFirstTokenMs = 119.6;
        s.contextUsed = 350;
        s.contextSize = 4096;
        s.device = "cpu";
        QCOMPARE(formatStats(s), QString("42.1 tok/s · first token 120 ms · context 350/4096 · cpu"));
        s.draftedTokens = 40;
        s.acceptedDraftTokens = 30;
        QCOMPARE(formatStats(s), QString("42.1 tok/s · first token 120 ms · 75% of guesses kept · context 350/4096 · cpu"));
        s.stopped = true;
        QVERIFY(formatStats(s).endsWith(" · stopped"));
        GenerationStats cancelledEarly;
        cancelledEarly.stopped = true;
        QCOMPARE(formatStats(cancelledEarly), QString("stopped"));
    }

    // The demo model's first token comes in well under a millisecond: the line says
    // so instead of "0 ms", and short times keep a decimal.
    void statsLineFirstTokenTimes_data() {
        QTest::addColumn<double>("ms");
        QTest::addColumn<QString>("shown");
        QTest::newRow("0.02 ms") << 0.02 << "first token < 1 ms";
        QTest::newRow("0.999 ms") << 0.999 << "first token < 1 ms";
        QTest::newRow("1 ms") << 1.0 << "first token 1.0 ms";
        QTest::newRow("3.46 ms") << 3.46 << "first token 3.5 ms";
        QTest::newRow("9.94 ms") << 9.94 << "first token 9.9 ms";
        QTest::newRow("10.4 ms") << 10.4 << "first token 10 ms";
        QTest::newRow("119.6 ms") << 119.6 << "first token 120 ms";
        QTest::newRow("2.5 s") << 2500.2 << "first token 2500 ms";
    }
    void statsLineFirstTokenTimes() {
        QFETCH(double, ms);
        QFETCH(QString, shown);
        GenerationStats s;
        s.generatedTokens = 3;
        s.tokensPerSecond = 1000;
        s.timeToFirstTokenMs = ms;
        s.contextSize = 512;
        QVERIFY2(formatStats(s).split(QStringLiteral(" · ")).contains(shown), qPrintable(formatStats(s)));
    }

    // --- ChatController ----------------------------------------------------------
    void startsWithoutModelAndRefusesToSend() {
        ChatController c;
        QCOMPARE(c.state(), ChatController::State::NoModel);
        QVERIFY(!c.canSend());
        QVERIFY(!c.busy());
        QVERIFY(!c.send("hello"));
        QCOMPARE(c.messages()->count(), 0);
        c.stop();  // idle: nothing to cancel
        QCOMPARE(c.state(), ChatController::State::NoModel);
    }

    void failedLoadEndsInNoModelWithAnError() {
        ChatController c;
        QSignalSpy states(&c, &ChatController::stateChanged);
        QSignalSpy errors(&c, &ChatController::errorTextChanged);
        c.loadModel(kMissingA);
        QCOMPARE(c.state(), ChatController::State::Loading);
        QVERIFY(c.busy());
        QVERIFY(waitForState(c, ChatController::State::NoModel));
        QCOMPARE(states.count(), 2);  // Loading, NoModel
        QVERIFY(errors.count() >= 1);
        QVERIFY2(c.errorText().contains("assistant-test-a.gguf"), qPrintable(c.errorText()));
        QVERIFY(!c.canSend());

        c.dismissError();
        QVERIFY(c.errorText().isEmpty());
    }

    void loadRequestedWhileLoadingReplacesTheFirst() {
        ChatController c;
        c.loadModel(kMissingA);
        c.loadModel(kMissingB);  // queued behind A, which is cancelled
        QVERIFY(waitForState(c, ChatController::State::NoModel));
        QVERIFY2(c.errorText().contains("assistant-test-b.gguf"), qPrintable(c.errorText()));
    }

    void stopWhileLoadingDropsThePendingLoad() {
        ChatController c;
        c.loadModel(kMissingA);
        c.loadModel(kMissingB);
        c.stop();
        QVERIFY(waitForState(c, ChatController::State::NoModel));
        QVERIFY2(c.errorText().contains("assistant-test-a.gguf"), qPrintable(c.errorText()));
    }

    void followsTheSelectedModel() {
        ModelController::setDefaultModelPath(kMissingA);
        ModelController models;
        ChatController c;
        QSignalSpy modelsChanged(&c, &ChatController::modelsChanged);
        c.setModels(&models);
        QCOMPARE(modelsChanged.count(), 1);
        QCOMPARE(c.state(), ChatController::State::Loading);
        QVERIFY(waitForState(c, ChatController::State::NoModel));
        QVERIFY(c.errorText().contains("assistant-test-a.gguf"));
        ModelController::setDefaultModelPath({});
    }

    void destroyedWhileLoadingReturnsPromptly() {
        auto c = std::make_unique<ChatController>();
        c->loadModel(kMissingA);
        QElapsedTimer t;
        t.start();
        c.reset();  // cancel, quit, wait
        QVERIFY(t.elapsed() < 5000);
    }
};

QTEST_GUILESS_MAIN(ChatControllerTest)
#include "chat_controller_test.moc"
