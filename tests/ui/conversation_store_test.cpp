// ConversationStore (SQLite) and ConversationListModel: create, save, list with
// search, rename, delete (messages cascade), settings, reopening a file, and a
// database from a newer schema refused with a clear error.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "conversation_list_model.h"
#include "conversation_store.h"

class ConversationStoreTest : public QObject {
    Q_OBJECT

private slots:
    void createSaveAndReadBack() {
        ConversationStore store;
        QVERIFY2(store.open(":memory:"), qPrintable(store.lastError()));
        ConversationMeta meta;
        meta.title = "Stories";
        meta.modelPath = "/models/a.gguf";
        meta.systemPrompt = "Be brief.";
        meta.params = QJsonObject{{"temperature", 0.2}};
        const qint64 id = store.create(meta);
        QVERIFY(id > 0);
        const QList<StoredMessage> messages{{"user", "Hi", ""}, {"assistant", "<think>x</think>Hello", "5 tok/s"}};
        QVERIFY(store.saveMessages(id, messages));
        QCOMPARE(store.messages(id), messages);
        const auto back = store.conversation(id);
        QVERIFY(back);
        QCOMPARE(back->title, QString("Stories"));
        QCOMPARE(back->modelPath, QString("/models/a.gguf"));
        QCOMPARE(back->systemPrompt, QString("Be brief."));
        QCOMPARE(back->params.value("temperature").toDouble(), 0.2);
        QVERIFY(back->titleIsAuto);
        // Saving again replaces, never appends.
        QVERIFY(store.saveMessages(id, messages.mid(0, 1)));
        QCOMPARE(store.messages(id).size(), 1);
    }

    void listSearchRenameDelete() {
        ConversationStore store;
        QVERIFY(store.open(":memory:"));
        ConversationMeta a;
        a.title = "Cooking pasta";
        const qint64 ida = store.create(a);
        ConversationMeta b;
        b.title = "Rust lifetimes";
        const qint64 idb = store.create(b);
        QVERIFY(store.saveMessages(idb, {{"user", "What does 'a mean in fn f<'a>?", ""}}));
        QTest::qWait(5);  // updated_at has millisecond resolution
        QVERIFY(store.saveMessages(ida, {{"user", "100% durum wheat?", ""}}));

        QCOMPARE(store.list().size(), 2);
        QCOMPARE(store.list().first().id, ida);  // most recently saved first
        QCOMPARE(store.list("pasta").size(), 1);
        QCOMPARE(store.list("FN F").first().id, idb);      // message text, any case
        QCOMPARE(store.list("100%").first().id, ida);      // LIKE wildcards are literal
        QCOMPARE(store.list("50%").size(), 0);
        QCOMPARE(store.list("rust missing").size(), 0);   // every word must match

        QVERIFY(store.rename(idb, "Lifetimes"));
        QCOMPARE(store.conversation(idb)->title, QString("Lifetimes"));
        QVERIFY(!store.conversation(idb)->titleIsAuto);
        QVERIFY(!store.rename(9999, "x"));
        QVERIFY(store.lastError().contains("no such conversation"));

        QVERIFY(store.remove(ida));
        QVERIFY(!store.conversation(ida));
        QVERIFY(store.messages(ida).isEmpty());  // cascaded
        QCOMPARE(store.list().size(), 1);
    }

    void settingsAndReopen() {
        QTemporaryDir dir;
        const QString path = dir.filePath("sub/dir/assistant.sqlite");  // folders are created
        {
            ConversationStore store;
            QVERIFY2(store.open(path), qPrintable(store.lastError()));
            QCOMPARE(store.setting("theme", "system"), QString("system"));
            QVERIFY(store.setSetting("theme", "dark"));
            QVERIFY(store.setSetting("theme", "light"));
            ConversationMeta m;
            m.title = "kept";
            QVERIFY(store.create(m) > 0);
        }
        ConversationStore again;
        QVERIFY(again.open(path));
        QCOMPARE(again.setting("theme"), QString("light"));
        QCOMPARE(again.list().size(), 1);
    }

    void newerSchemaIsRefused() {
        QTemporaryDir dir;
        const QString path = dir.filePath("future.sqlite");
        {
            QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "future");
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery(db).exec("PRAGMA user_version = 99");
            db.close();
        }
        QSqlDatabase::removeDatabase("future");
        ConversationStore store;
        QVERIFY(!store.open(path));
        QVERIFY2(store.lastError().contains("newer"), qPrintable(store.lastError()));
    }

    void listModelFollowsTheStore() {
        ConversationStore store;
        QVERIFY(store.open(":memory:"));
        ConversationListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy count(&model, &ConversationListModel::countChanged);
        model.setStore(&store);
        QCOMPARE(model.count(), 0);
        ConversationMeta m;
        m.title = "First";
        m.modelPath = "/m/tiny.gguf";
        const qint64 id = store.create(m);
        m.title = "Second";
        store.create(m);
        model.refresh();
        QCOMPARE(model.count(), 2);
        QCOMPARE(count.count(), 1);
        const QAbstractItemModel& qm = model;
        const QHash<int, QByteArray> names = qm.roleNames();
        QCOMPARE(names.value(ConversationListModel::TitleRole), QByteArray("title"));
        QCOMPARE(qm.data(qm.index(model.rowOf(id), 0), ConversationListModel::ModelNameRole).toString(), QString("tiny"));
        QSignalSpy filter(&model, &ConversationListModel::filterChanged);
        model.setFilter("sec");
        QCOMPARE(filter.count(), 1);
        QCOMPARE(model.count(), 1);
        QCOMPARE(qm.data(qm.index(0, 0), ConversationListModel::TitleRole).toString(), QString("Second"));
    }
};

QTEST_GUILESS_MAIN(ConversationStoreTest)
#include "conversation_store_test.moc"
