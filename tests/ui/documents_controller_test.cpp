// DocumentsController with the real rag/ library: files and folders are indexed
// with per-file statuses and reasons, progress reaches "Done", pause and resume,
// removal; and with the demo model, "Use my documents" attaches the sources to the
// answer, says when documents went in whole, and searches hybrid with the shipped
// embedder (BM25 without it).
#include <QAbstractItemModelTester>
#include <QFile>
#include <QMap>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "chat_controller.h"
#include "documents_controller.h"
#include "rag/embedder.h"
#include "rag/store.h"

namespace {
constexpr int kWaitMs = 30000;
const QString kDemoModel = QStringLiteral(DEMO_MODEL_PATH);
const QString kEmbedder = QStringLiteral(EMBEDDER_PATH);

void writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

QString statusOf(DocumentListModel* docs, const QString& fileName) {
    const QAbstractItemModel& m = *docs;
    for (int i = 0; i < docs->count(); ++i)
        if (m.data(m.index(i, 0), DocumentListModel::FileNameRole).toString() == fileName)
            return m.data(m.index(i, 0), DocumentListModel::StatusRole).toString() + u'|' +
                   m.data(m.index(i, 0), DocumentListModel::DetailRole).toString();
    return {};
}
// The app's chat side on the demo model with its settings in memory, answering from
// `docs`; the model loads in the background (wait for chat.canSend()).
struct DemoChat {
    bool inMemory = (AppStorage::setDefaultPath({}), true);  // before `storage` is made
    AppStorage storage;
    SettingsController settings;
    ChatController chat;
    explicit DemoChat(DocumentsController& docs) {
        settings.setStorage(&storage);
        chat.setSettings(&settings);
        chat.setDocuments(&docs);
        chat.loadModel(kDemoModel);
    }
};
}  // namespace

class DocumentsControllerTest : public QObject {
    Q_OBJECT

private slots:
    void init() {
        QVERIFY(m_dir.isValid());
        m_docs = m_dir.filePath(QStringLiteral("docs%1").arg(m_run));
        QVERIFY(QDir().mkpath(m_docs));
        DocumentsController::setDefaultDatabasePath(m_dir.filePath(QStringLiteral("index%1.db").arg(m_run++)));
        writeFile(m_docs + "/freedonia.txt", "Freedonia facts.\n\nThe capital of Freedonia is Zenda, on the river Vltava.\n");
        writeFile(m_docs + "/notes.md", "# Cooking\n\nBoil the pasta for nine minutes.\n");
        writeFile(m_docs + "/broken.pdf", "%PDF-1.7 this is not really a PDF");
    }

    void indexesAFolderWithStatusesAndRemoves() {
        DocumentsController c;
        QVERIFY(c.available());
        QAbstractItemModelTester tester(c.documents(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy indexing(&c, &DocumentsController::indexingChanged);
        c.add({QUrl::fromLocalFile(m_docs)});
        QVERIFY(c.indexing());
        QVERIFY(QTest::qWaitFor([&] { return !c.indexing(); }, kWaitMs));
        QVERIFY2(c.errorText().isEmpty(), qPrintable(c.errorText()));
        QVERIFY(indexing.count() >= 2);  // started (perhaps queued first), finished
        QCOMPARE(c.progress(), 1.0);
        QVERIFY2(c.progressText().startsWith("Done"), qPrintable(c.progressText()));
        QVERIFY(QTest::qWaitFor([&] { return c.documents()->count() == 3; }, kWaitMs));
        QVERIFY(statusOf(c.documents(), "freedonia.txt").startsWith("indexed|"));
        const QString broken = statusOf(c.documents(), "broken.pdf");
        QVERIFY2(broken.startsWith("failed|") && broken.size() > 8, qPrintable(broken));  // with a reason

        // Remove one: gone from the list.
        int row = -1;
        for (int i = 0; i < c.documents()->count(); ++i)
            if (c.documents()->row(i)->path.endsWith("notes.md")) row = i;
        QVERIFY(row >= 0);
        c.remove(row);
        QVERIFY(QTest::qWaitFor([&] { return c.documents()->count() == 2; }, kWaitMs));
    }

    void showsEachDocumentsLanguageInItsOwnName() {
        const QString dir = m_dir.filePath(QStringLiteral("languages%1").arg(m_run));
        QVERIFY(QDir().mkpath(dir));
        writeFile(dir + "/miete.txt", "Der Vermieter darf die Miete nur erhöhen, wenn die Wohnung modernisiert wurde.\n");
        writeFile(dir + "/xihu.txt", "杭州西湖是中国最著名的湖泊之一，游客可以乘船游览三潭印月。\n");
        writeFile(dir + "/numbers.txt", "12 345 678\n");
        DocumentsController c;
        c.add({QUrl::fromLocalFile(dir)});
        QVERIFY(QTest::qWaitFor([&] { return !c.indexing() && c.documents()->count() == 3; }, kWaitMs));
        QMap<QString, QString> languages;
        const QAbstractItemModel& m = *c.documents();
        for (int i = 0; i < c.documents()->count(); ++i)
            languages[m.data(m.index(i, 0), DocumentListModel::FileNameRole).toString()] =
                m.data(m.index(i, 0), DocumentListModel::LanguageRole).toString();
        QCOMPARE(languages["miete.txt"], QString("Deutsch"));
        QCOMPARE(languages["xihu.txt"], QString("中文"));
        QCOMPARE(languages["numbers.txt"], QString());
    }

    // Choosing another embedder prepares what is already indexed for it: a run embeds
    // every chunk (the text is not extracted again), and dense search can use them.
    void anotherEmbedderReembedsTheIndexedDocuments() {
        QVERIFY2(QFileInfo::exists(kEmbedder), qPrintable(kEmbedder));
        QFile::remove(m_docs + "/broken.pdf");
        DocumentsController docs;
        QVERIFY(docs.embedderPath().isEmpty());
        docs.add({QUrl::fromLocalFile(m_docs)});
        QVERIFY(QTest::qWaitFor([&] { return !docs.indexing() && docs.documents()->count() == 2; }, kWaitMs));
        auto embedder = rag::Embedder::load(kEmbedder.toStdString());
        QVERIFY(embedder.has_value());
        auto missing = [&] {
            auto store = rag::Store::open(docs.databasePath().toStdString());
            auto id = store->embedderId(embedder->name(), embedder->fileHash(), embedder->dims());
            return *store->countChunksWithoutEmbedding(*id);
        };
        QVERIFY(missing() > 0);
        QSignalSpy changed(&docs, &DocumentsController::embedderChanged);
        docs.setEmbedderPath(kEmbedder);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(docs.embedderPath(), kEmbedder);
        QVERIFY(docs.indexing());
        QVERIFY(QTest::qWaitFor([&] { return !docs.indexing(); }, kWaitMs));
        QVERIFY2(docs.errorText().isEmpty(), qPrintable(docs.errorText()));
        QCOMPARE(missing(), 0);
        docs.setEmbedderPath({});  // back to the default (none here): nothing to run
        QVERIFY(docs.embedderPath().isEmpty());
        QVERIFY(!docs.indexing());
    }

    void pauseAndResume() {
        DocumentsController c;
        c.add({QUrl::fromLocalFile(m_docs)});
        c.pause();
        QVERIFY(c.paused());
        QCOMPARE(c.progressText(), QString("Paused."));
        QTest::qWait(300);
        QVERIFY(c.indexing());  // held, not finished
        c.resume();
        QVERIFY(!c.paused());
        QVERIFY(QTest::qWaitFor([&] { return !c.indexing(); }, kWaitMs));
        QVERIFY(QTest::qWaitFor([&] { return c.documents()->count() == 3; }, kWaitMs));
    }

    void missingPathIsAClearError() {
        DocumentsController c;
        c.add({QUrl::fromLocalFile(m_dir.filePath("nope"))});
        QVERIFY(!c.indexing());
        QVERIFY(c.errorText().contains("does not exist"));
    }

    // A password-protected PDF asks for its password; a wrong one asks again, the
    // right one indexes it; only a password given with "remember" is handed on to
    // be kept.
    void protectedPdfAsksForItsPassword() {
        const QString pdf = m_dir.filePath(QStringLiteral("locked%1.pdf").arg(m_run));
        QVERIFY(QFile::copy(QStringLiteral(ENCRYPTED_PDF), pdf));  // user password "test"
        DocumentsController c;
        QSignalSpy asked(&c, &DocumentsController::passwordNeeded);
        QSignalSpy remember(&c, &DocumentsController::rememberPasswordRequested);
        c.add({QUrl::fromLocalFile(pdf)});
        QVERIFY(QTest::qWaitFor([&] { return !c.indexing(); }, kWaitMs));
        QTRY_COMPARE(asked.count(), 1);
        QCOMPARE(asked[0][0].toString(), pdf);
        QCOMPARE(asked[0][1].toBool(), false);
        QTRY_COMPARE(c.documents()->count(), 1);
        QCOMPARE(c.documents()->row(0)->status, QString("encrypted"));

        c.unlock(pdf, "wrong", false);
        QVERIFY(QTest::qWaitFor([&] { return !c.indexing(); }, kWaitMs));
        QTRY_COMPARE(asked.count(), 2);
        QCOMPARE(asked[1][1].toBool(), true);  // retry
        QCOMPARE(remember.count(), 0);

        c.unlock(pdf, "test", true);
        QVERIFY(QTest::qWaitFor([&] { return !c.indexing(); }, kWaitMs));
        QTRY_VERIFY(c.documents()->row(0) && c.documents()->row(0)->status != QLatin1String("encrypted"));
        QCOMPARE(c.documents()->row(0)->status, QString("indexed"));
        QCOMPARE(asked.count(), 2);
        QCOMPARE(remember.count(), 1);
        QCOMPARE(remember[0][0].toString(), pdf);
        QCOMPARE(remember[0][1].toString(), QString("test"));
    }

    void answersFromDocumentsCarrySources() {
        QVERIFY2(QFileInfo::exists(kDemoModel), qPrintable(kDemoModel));
        DocumentsController docs;
        docs.add({QUrl::fromLocalFile(m_docs)});
        QVERIFY(QTest::qWaitFor([&] { return !docs.indexing(); }, kWaitMs));
        DemoChat rig(docs);
        ChatController& chat = rig.chat;
        SettingsController& settings = rig.settings;
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        QVERIFY(settings.setParam("maxTokens", 16));  // the prompt is what matters here
        chat.setUseDocuments(true);
        QVERIFY(chat.send("capital of Freedonia"));
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        const QVariantList sources = chat.messages()->sources(1);
        QVERIFY(!sources.isEmpty());
        QVERIFY(sources.first().toMap().value("excerpt").toString().contains("Zenda"));
        QVERIFY(chat.messages()->stats(1).contains("tok/s"));
        // Two small files fit the context: they went in whole, and the answer says so.
        QVERIFY2(chat.messages()->stats(1).contains("all 2 documents used whole"), qPrintable(chat.messages()->stats(1)));
        // Without the toggle: no sources.
        chat.setUseDocuments(false);
        QVERIFY(chat.send("Once upon a time"));
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        QVERIFY(chat.messages()->sources(3).isEmpty());

        // "Summarize this document": the summary streams into a new answer.
        qint64 id = 0;
        for (int i = 0; i < docs.documents()->count(); ++i)
            if (docs.documents()->row(i)->path.endsWith("freedonia.txt")) id = docs.documents()->row(i)->id;
        QVERIFY(id > 0);
        QVERIFY(!chat.summarizeDocument(0, "none"));
        QVERIFY(chat.summarizeDocument(id, "freedonia.txt"));
        QCOMPARE(chat.messages()->text(4), QString("Summarize “freedonia.txt”"));
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        QCOMPARE(chat.messages()->role(5), QString("assistant"));
        QVERIFY(!chat.messages()->text(5).isEmpty());
        QVERIFY2(chat.messages()->stats(5).startsWith("Summary of"), qPrintable(chat.messages()->stats(5)));
    }

    // Documents too long to go in whole together: the engine worker loads the embedder
    // and searches hybrid (a question sharing no word with them still finds them
    // through dense search); the best hit's document, small, goes in whole.
    void answersSearchHybridWithTheEmbedder() {
        QVERIFY2(QFileInfo::exists(kEmbedder), qPrintable(kEmbedder));
        QFile::remove(m_docs + "/broken.pdf");
        QString trains, ships;
        for (int i = 0; i < 200; ++i) {
            trains += QStringLiteral("Train %1 leaves the station at noon. ").arg(i);
            ships += QStringLiteral("Ship %1 sails from the harbour at dawn. ").arg(i);
        }
        writeFile(m_docs + "/trains.txt", trains.toUtf8());
        writeFile(m_docs + "/ships.txt", ships.toUtf8());
        DocumentsController::setDefaultEmbedderPath(kEmbedder);
        DocumentsController docs;
        DocumentsController::setDefaultEmbedderPath({});
        QCOMPARE(docs.embedderPath(), kEmbedder);
        docs.add({QUrl::fromLocalFile(m_docs)});
        QVERIFY(QTest::qWaitFor([&] { return !docs.indexing(); }, kWaitMs));
        QVERIFY2(docs.errorText().isEmpty(), qPrintable(docs.errorText()));
        DemoChat rig(docs);
        ChatController& chat = rig.chat;
        SettingsController& settings = rig.settings;
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        QVERIFY(settings.setParam("maxTokens", 8));
        chat.setUseDocuments(true);

        QVERIFY(chat.send("capital of Freedonia"));
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        QString stats = chat.messages()->stats(1);
        QVERIFY2(stats.contains("whole document used: freedonia.txt") && stats.contains("hybrid search"), qPrintable(stats));
        QVERIFY(chat.messages()->sources(1).first().toMap().value("excerpt").toString().contains("Zenda"));

        QVERIFY(chat.send("qwzx vbnq"));  // no word in common with any document
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        stats = chat.messages()->stats(3);
        QVERIFY2(stats.contains("hybrid search"), qPrintable(stats));
        QVERIFY(!chat.messages()->sources(3).isEmpty());

        // The same index without an embedder: BM25 only, which finds nothing here.
        DocumentsController plain;
        QVERIFY(plain.embedderPath().isEmpty());
        chat.setDocuments(&plain);
        QVERIFY(chat.send("qwzx vbnq"));
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        stats = chat.messages()->stats(5);
        QVERIFY2(stats.contains("keyword search only: no embedder"), qPrintable(stats));
        QVERIFY(chat.messages()->sources(5).isEmpty());
    }

private:
    QTemporaryDir m_dir;
    QString m_docs;
    int m_run = 0;
};

QTEST_GUILESS_MAIN(DocumentsControllerTest)
#include "documents_controller_test.moc"
