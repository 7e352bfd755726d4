// ChatController end to end with the embedded demo model (stories260K, built into
// share/assistant/models): the answer streams into the last row in coalesced
// updates, gets its stats line, and Stop ends it; regenerate and edit-and-resend
// replace the tail; conversations are saved with their model, system prompt and
// parameters and restored by a new controller. The model is copied into the build
// tree by resources/, so a missing file is a failure.
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
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

    void regenerateReplacesTheLastAnswer() {
        MessageListModel* messages = m_chat->messages();
        QVERIFY(!m_chat->regenerate());  // nothing to answer again
        QVERIFY(m_chat->send("Once upon a time"));
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));
        QCOMPARE(messages->count(), 2);
        QSignalSpy removed(messages, &QAbstractItemModel::rowsRemoved);
        QVERIFY(m_chat->regenerate());
        QCOMPARE(removed.count(), 1);
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));
        QCOMPARE(messages->count(), 2);
        QCOMPARE(messages->role(1), QString("assistant"));
        QVERIFY(!messages->text(1).isEmpty());
    }

    void editingAMessageResendsFromThere() {
        MessageListModel* messages = m_chat->messages();
        QVERIFY(m_chat->send("Once upon a time"));
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));
        QVERIFY(m_chat->send("The end"));
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));
        QCOMPARE(messages->count(), 4);
        QVERIFY(!m_chat->editMessage(1, "not a user row"));
        QVERIFY(m_chat->editMessage(0, "A dragon"));
        QCOMPARE(messages->count(), 2);
        QCOMPARE(messages->text(0), QString("A dragon"));
        QVERIFY(waitForState(*m_chat, ChatController::State::Ready));
        QVERIFY(!messages->text(1).isEmpty());
    }

    void conversationsPersistWithModelPromptAndParameters() {
        QTemporaryDir dir;
        AppStorage::setDefaultPath(dir.filePath("chat.sqlite"));
        qint64 id = 0;
        {
            AppStorage storage;
            SettingsController settings;
            settings.setStorage(&storage);
            ChatController chat;
            chat.setSettings(&settings);
            chat.setStorage(&storage);
            chat.loadModel(kDemoModel);
            QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
            settings.setSystemPrompt("Tell short stories.");
            QVERIFY(settings.setParam("temperature", 0.0));
            QVERIFY(settings.setParam("maxTokens", 16));
            QSignalSpy conversation(chat.conversations(), &ConversationController::currentChanged);
            QVERIFY(chat.send("A cat named Tom lived in a big house and every day he"));
            QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
            QVERIFY(conversation.count() >= 1);
            id = chat.conversations()->currentId();
            QVERIFY(id > 0);
            QCOMPARE(chat.conversations()->currentTitle(), QString("A cat named Tom lived in a big house and every…"));
            QCOMPARE(chat.conversations()->list()->count(), 1);
            QVERIFY(chat.conversations()->rename(id, "  Tom  "));
            QCOMPARE(chat.conversations()->currentTitle(), QString("Tom"));
            // Markdown export.
            const QString file = dir.filePath("tom.md");
            QVERIFY(chat.conversations()->exportTo(QUrl::fromLocalFile(file)));
            QFile exported(file);
            QVERIFY(exported.open(QIODevice::ReadOnly));
            QVERIFY(exported.readAll().startsWith("# Tom\n\n## You\n\nA cat named Tom"));
            QVERIFY(!chat.conversations()->exportTo(QUrl::fromLocalFile("/nonexistent/dir/x.md")));
            QVERIFY(chat.errorText().contains("Could not export"));
        }
        // A new app: the last conversation, its prompt and parameters come back.
        AppStorage storage;
        SettingsController settings;
        settings.setStorage(&storage);
        settings.setSystemPrompt("something else");
        ChatController chat;
        chat.setSettings(&settings);
        chat.setStorage(&storage);
        QCOMPARE(chat.conversations()->currentId(), id);
        QCOMPARE(chat.conversations()->currentTitle(), QString("Tom"));
        QCOMPARE(chat.messages()->count(), 2);
        QCOMPARE(chat.messages()->role(1), QString("assistant"));
        QVERIFY(!chat.messages()->text(1).isEmpty());
        QVERIFY(chat.messages()->stats(1).contains("tok/s"));
        QCOMPARE(settings.systemPrompt(), QString("Tell short stories."));
        QCOMPARE(settings.generationOptions().maxTokens, 16);
        QVERIFY(storage.store().conversation(id)->modelPath.endsWith("stories260K.gguf"));
        // Delete: gone from the list, the view starts a new conversation.
        QVERIFY(chat.conversations()->remove(id));
        QCOMPARE(chat.conversations()->list()->count(), 0);
        QCOMPARE(chat.conversations()->currentId(), qint64(0));
        QCOMPARE(chat.messages()->count(), 0);
        AppStorage::setDefaultPath({});
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

QTEST_MAIN(ChatGenerationTest)
#include "chat_generation_test.moc"
