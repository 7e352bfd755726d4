// ChatController end to end with the embedded demo model (stories260K, built into
// share/assistant/models): the answer streams into the last row in coalesced
// updates, gets its stats line, and Stop ends it. The model is copied into the build
// tree by resources/, so a missing file is a failure.
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTest>

#include "chat_controller.h"

namespace {
const QString kDemoModel = QStringLiteral(DEMO_MODEL_PATH);
constexpr int kWaitMs = 60000;

bool waitForState(ChatController& c, ChatController::State state) {
    return QTest::qWaitFor([&] { return c.state() == state; }, kWaitMs);
}

}  // namespace

class ChatGenerationTest : public QObject {
    Q_OBJECT

private slots:
    void init() {
        QVERIFY2(QFileInfo::exists(kDemoModel), qPrintable("missing demo model: " + kDemoModel));
        m_chat = std::make_unique<ChatController>();
        m_chat->loadModel(kDemoModel);
        QVERIFY(QTest::qWaitFor([&] { return !m_chat->busy(); }, kWaitMs));
        QVERIFY2(m_chat->state() == ChatController::State::Ready, qPrintable(m_chat->errorText()));
    }
    void cleanup() { m_chat.reset(); }

    void answerStreamsIntoTheLastRow() {
        MessageListModel* messages = m_chat->messages();
        QSignalSpy updates(messages, &QAbstractItemModel::dataChanged);
        QVERIFY(m_chat->send("Once upon a time"));
        QCOMPARE(m_chat->state(), ChatController::State::Generating);
        QVERIFY(!m_chat->canSend());
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));

        const int last = messages->count() - 1;
        QCOMPARE(messages->role(last), QString("assistant"));
        QVERIFY(!messages->text(last).isEmpty());
        QVERIFY2(messages->stats(last).contains("tok/s"), qPrintable(messages->stats(last)));
        // Coalesced: far fewer repaints than tokens (512 tokens take well under a second).
        qInfo("%lld updates for: %s", qlonglong(updates.count()), qPrintable(messages->stats(last)));
        QVERIFY(updates.count() >= 2);  // at least one text update and the stats
    }

    void stopEndsTheAnswer() {
        QVERIFY(m_chat->send("Once upon a time"));
        m_chat->stop();
        QCOMPARE(m_chat->state(), ChatController::State::Stopping);
        QVERIFY(m_chat->busy());
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));
        const MessageListModel* messages = m_chat->messages();
        const int last = messages->count() - 1;
        QCOMPARE(messages->role(last), QString("assistant"));
        QVERIFY2(messages->stats(last).contains(QLatin1String("topped")), qPrintable(messages->stats(last)));
        QVERIFY(m_chat->send("And then?"));  // usable again after a stop
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));
    }

    void stopMidStreamKeepsThePartialAnswer() {
        const MessageListModel* messages = m_chat->messages();
        QVERIFY(m_chat->send("Once upon a time"));
        const int answer = messages->count() - 1;
        QVERIFY(QTest::qWaitFor([&] { return !messages->text(answer).isEmpty() || !m_chat->busy(); }, kWaitMs));
        QCOMPARE(m_chat->state(), ChatController::State::Generating);
        m_chat->stop();
        QElapsedTimer t;
        t.start();
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));
        QVERIFY2(t.elapsed() < 1000, "the worker did not honour the cancel flag promptly");
        QVERIFY(!messages->text(answer).isEmpty());
        QVERIFY2(messages->stats(answer).endsWith(QLatin1String("stopped")), qPrintable(messages->stats(answer)));
    }

private:
    std::unique_ptr<ChatController> m_chat;
};

QTEST_GUILESS_MAIN(ChatGenerationTest)
#include "chat_generation_test.moc"
