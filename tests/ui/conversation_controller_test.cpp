// ConversationController without a model: titles from the first message, save and
// list, rename, reopen the last conversation from the storage (the chat is told which
// settings to take), delete, the open conversation kept while an answer is written,
// export errors reported.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "conversation_controller.h"

class ConversationControllerTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { AppStorage::setDefaultPath({}); }  // in memory

    void titlesAreOneShortLine() {
        QCOMPARE(ConversationController::titleFor("  Hello\nworld "), QString("Hello"));
        QCOMPARE(ConversationController::titleFor("A cat named Tom lived in a big house and every day he"),
                 QString("A cat named Tom lived in a big house and every…"));
        const QString noSpace(60, u'x');
        QCOMPARE(ConversationController::titleFor(noSpace), QString(48, u'x') + QStringLiteral("…"));
    }

    void savesRenamesReopensAndDeletes() {
        AppStorage storage;
        MessageListModel messages;
        ConversationController conversations(messages);
        conversations.setStorage(&storage);
        QCOMPARE(conversations.currentId(), qint64(0));
        conversations.save("/models/a.gguf", "Be brief.", QJsonObject{{"useDocuments", true}});
        QCOMPARE(conversations.list()->count(), 0);  // nothing to keep yet

        messages.appendUser("Once upon a time");
        conversations.nameAfter("Once upon a time");
        conversations.nameAfter("not this one");
        QCOMPARE(conversations.currentTitle(), QString("Once upon a time"));
        QSignalSpy current(&conversations, &ConversationController::currentChanged);
        conversations.save("/models/a.gguf", "Be brief.", QJsonObject{{"useDocuments", true}});
        const qint64 id = conversations.currentId();
        QVERIFY(id > 0);
        QCOMPARE(current.count(), 1);
        QCOMPARE(conversations.list()->count(), 1);
        QVERIFY(conversations.rename(id, "  Tales "));
        QCOMPARE(conversations.currentTitle(), QString("Tales"));
        QVERIFY(!conversations.current().titleIsAuto);
        QVERIFY(!conversations.rename(id, "   "));

        // Another window on the same storage opens the last conversation with its settings.
        MessageListModel otherMessages;
        ConversationController other(otherMessages);
        QSignalSpy switched(&other, &ConversationController::switched);
        other.setStorage(&storage);
        QCOMPARE(other.currentId(), id);
        QCOMPARE(otherMessages.count(), 1);
        QCOMPARE(switched.count(), 1);
        const auto meta = switched.first().first().value<ConversationMeta>();
        QCOMPARE(meta.modelPath, QString("/models/a.gguf"));
        QCOMPARE(meta.systemPrompt, QString("Be brief."));
        QVERIFY(meta.params.value("useDocuments").toBool());

        QVERIFY(conversations.remove(id));
        QCOMPARE(conversations.list()->count(), 0);
        QCOMPARE(conversations.currentId(), qint64(0));
        QCOMPARE(messages.count(), 0);
        QVERIFY(!conversations.open(id));
    }

    void anAnsweredConversationStaysOpen() {
        AppStorage storage;
        MessageListModel messages;
        ConversationController conversations(messages);
        conversations.setStorage(&storage);
        messages.appendUser("first");
        conversations.save({}, {}, {});
        const qint64 first = conversations.currentId();
        conversations.startNew();
        messages.appendUser("second");
        conversations.save({}, {}, {});
        const qint64 second = conversations.currentId();
        QVERIFY(second != first);

        conversations.setAnswering(true);
        QVERIFY(!conversations.open(first));
        QVERIFY(!conversations.remove(second));
        conversations.startNew();
        QCOMPARE(conversations.currentId(), second);
        QVERIFY(conversations.remove(first));  // another one may go
        conversations.setAnswering(false);
        QVERIFY(conversations.open(second));
    }

    void exportWritesMarkdownOrSaysWhyNot() {
        MessageListModel messages;
        ConversationController conversations(messages);
        messages.appendUser("Hi");
        conversations.nameAfter("Hi");
        QTemporaryDir dir;
        QVERIFY(conversations.exportTo(QUrl::fromLocalFile(dir.filePath("hi.md"))));
        QVERIFY(conversations.markdown().startsWith("# Hi\n"));
        QSignalSpy failed(&conversations, &ConversationController::failed);
        QVERIFY(!conversations.exportTo(QUrl::fromLocalFile("/nonexistent/dir/x.md")));
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.first().first().toString().contains("Could not export"));
    }
};

QTEST_MAIN(ConversationControllerTest)
#include "conversation_controller_test.moc"
