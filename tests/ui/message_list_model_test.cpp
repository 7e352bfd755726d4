// MessageListModel: the verbs, the roles QML sees, and the signals views rely on.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "message_list_model.h"

class MessageListModelTest : public QObject {
    Q_OBJECT

private slots:
    void rolesAreNamedForQml() {
        MessageListModel model;
        const QHash<int, QByteArray> names = static_cast<QAbstractItemModel&>(model).roleNames();
        QCOMPARE(names.value(MessageListModel::RoleRole), QByteArray("role"));
        QCOMPARE(names.value(MessageListModel::TextRole), QByteArray("text"));
        QCOMPARE(names.value(MessageListModel::StatsRole), QByteArray("stats"));
    }

    void appendsRowsWithRoleTextAndStats() {
        MessageListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy count(&model, &MessageListModel::countChanged);

        QCOMPARE(model.appendUser("Hello"), 0);
        QCOMPARE(model.appendAssistant(), 1);
        model.setStats(1, "12.0 tok/s");

        QCOMPARE(inserted.count(), 2);
        QCOMPARE(count.count(), 2);
        QAbstractItemModel& m = model;
        QCOMPARE(m.rowCount(), 2);
        QCOMPARE(m.data(m.index(0, 0), MessageListModel::RoleRole).toString(), QString("user"));
        QCOMPARE(m.data(m.index(0, 0), MessageListModel::TextRole).toString(), QString("Hello"));
        QCOMPARE(m.data(m.index(1, 0), MessageListModel::RoleRole).toString(), QString("assistant"));
        QCOMPARE(m.data(m.index(1, 0), MessageListModel::StatsRole).toString(), QString("12.0 tok/s"));
    }

    void appendTextGrowsTheAnswerAndSignalsOnlyTextRoles() {
        MessageListModel model;
        model.appendUser("Tell me a story");
        const int row = model.appendAssistant();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        model.appendText(row, "Once");
        model.appendText(row, " upon");
        model.appendText(row, "");  // no-op: nothing to repaint

        QCOMPARE(model.text(row), QString("Once upon"));
        QCOMPARE(changed.count(), 2);
        const auto roles = changed.at(0).at(2).value<QList<int>>();
        QCOMPARE(roles, (QList<int>{MessageListModel::TextRole, MessageListModel::AnswerRole,
                                    MessageListModel::BlocksRole}));
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), row);
    }

    void reasoningIsFoldedOutOfTheAnswer() {
        MessageListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.appendUser("Why?");
        const int row = model.appendAssistant();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.appendText(row, "<think>Because");
        QAbstractItemModel& m = model;
        QVERIFY(m.data(m.index(row, 0), MessageListModel::ReasoningOpenRole).toBool());
        QCOMPARE(model.reasoning(row), QString("Because"));
        QVERIFY(model.answer(row).isEmpty());
        model.appendText(row, " it is.</think>**Yes**");
        QVERIFY(!m.data(m.index(row, 0), MessageListModel::ReasoningOpenRole).toBool());
        QCOMPARE(model.answer(row), QString("**Yes**"));
        const QVariantList blocks = m.data(m.index(row, 0), MessageListModel::BlocksRole).toList();
        QCOMPARE(blocks.size(), 1);
        QCOMPARE(blocks[0].toMap().value("content").toString(), QString("<p><b>Yes</b></p>"));
        QVERIFY(changed.last().at(2).value<QList<int>>().contains(MessageListModel::ReasoningOpenRole));
        // The engine is not shown the reasoning; the raw text keeps it for storage.
        QCOMPARE(model.conversation().last().content, QString("**Yes**"));
        QVERIFY(model.messagesForStorage().last().text.startsWith("<think>"));
    }

    void removeFromDropsTheTail() {
        MessageListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.appendUser("a");
        model.appendText(model.appendAssistant(), "b");
        model.appendUser("c");
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.removeFrom(1);
        QCOMPARE(model.count(), 1);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.at(0).at(1).toInt(), 1);
        QCOMPARE(removed.at(0).at(2).toInt(), 2);
        model.removeFrom(7);  // out of range: nothing
        QCOMPARE(model.count(), 1);
    }

    void storageRoundTripAndMarkdownExport() {
        MessageListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QList<StoredMessage> stored{{"user", "Hi", ""},
                                          {"assistant", "<think>greet</think>Hello!", "9.0 tok/s"},
                                          {"error", "boom", ""}};
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setMessages(stored);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.messagesForStorage(), stored);
        QCOMPARE(model.answer(1), QString("Hello!"));
        const QString md = model.toMarkdown("Greeting");
        QCOMPARE(md, QString("# Greeting\n\n## You\n\nHi\n\n## Assistant\n\n> **Reasoning**\n> greet\n\n"
                             "Hello!\n\n*9.0 tok/s*\n"));
    }

    void citationsOfKnownSourcesBecomeLinks() {
        MessageListModel model;
        const int row = model.appendAssistant();
        model.appendText(row, "Zenda [1], also [3].");
        model.setSources(row, {QVariantMap{{"n", 1}, {"path", "/d/f.pdf"}, {"page", 2}}});
        const QAbstractItemModel& m = model;
        const QVariantList blocks = m.data(m.index(row, 0), MessageListModel::BlocksRole).toList();
        QCOMPARE(blocks[0].toMap().value("content").toString(),
                 QString("<p>Zenda <a href=\"cite:1\">[1]</a>, also [3].</p>"));  // [3]: no such source
        // Full-width citation brackets of CJK answers link too, shown as written.
        const int zh = model.appendAssistant();
        model.appendText(zh, QString::fromUtf8("在杭州【1】，也见［1］。"));
        model.setSources(zh, {QVariantMap{{"n", 1}, {"path", "/d/xihu.md"}, {"page", 1}}});
        QCOMPARE(m.data(m.index(zh, 0), MessageListModel::BlocksRole).toList()[0].toMap().value("content").toString(),
                 QString::fromUtf8("<p>在杭州<a href=\"cite:1\">【1】</a>，也见<a href=\"cite:1\">［1］</a>。</p>"));
        // Sources survive the storage round trip.
        MessageListModel restored;
        restored.setMessages(model.messagesForStorage());
        QCOMPARE(restored.sources(0).size(), 1);
        QCOMPARE(restored.sources(0)[0].toMap().value("page").toInt(), 2);
    }

    void outOfRangeRowsAreIgnored() {
        MessageListModel model;
        model.appendText(-1, "x");
        model.appendText(3, "x");
        model.setStats(0, "x");
        model.removeLast();
        QCOMPARE(model.count(), 0);
        QCOMPARE(model.text(5), QString());
    }

    void conversationSkipsErrorsAndEmptyAnswers() {
        MessageListModel model;
        model.appendUser("Hi");
        const int a = model.appendAssistant();
        model.appendText(a, "Hello!");
        model.appendUser("Again");
        model.appendError("The model could not answer");
        model.appendAssistant();  // still empty: not sent back to the engine

        const QList<ChatTurn> turns = model.conversation();
        QCOMPARE(turns.size(), 3);
        QCOMPARE(turns[0].role, QString("user"));
        QCOMPARE(turns[1].role, QString("assistant"));
        QCOMPARE(turns[1].content, QString("Hello!"));
        QCOMPARE(turns[2].content, QString("Again"));
    }

    void removeLastAndClear() {
        MessageListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.appendUser("a");
        model.appendAssistant();
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.removeLast();
        QCOMPARE(removed.count(), 1);
        QCOMPARE(model.count(), 1);

        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.clear();
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.count(), 0);
        model.clear();  // already empty: no reset
        QCOMPARE(reset.count(), 1);
    }
};

QTEST_GUILESS_MAIN(MessageListModelTest)
#include "message_list_model_test.moc"
