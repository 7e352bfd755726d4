// The app's document index with its search vectors from a remote server: our own
// `assistant-cli serve` with the shipped embedder, started as a separate process (a real
// HTTP hop) with a key. Off by default (the documents' embedder stays local); turned on in
// the settings it becomes "remote:URL#MODEL", indexing sends the passages there and
// records that embedder in the index (replacing the local vectors), "Use my documents"
// searches hybrid with it, and a wrong key stops the run with a clear error.
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "app_storage.h"
#include "chat_controller.h"
#include "document_embedder.h"
#include "documents_controller.h"
#include "message_list_model.h"
#include "rag/store.h"
#include "remote_embedder_impl.h"
#include "settings_controller.h"

namespace {
const QString kCli = QStringLiteral(ASSISTANT_CLI);
const QString kDemoModel = QStringLiteral(DEMO_MODEL_PATH);
const QString kEmbedder = QStringLiteral(EMBEDDER_PATH);
constexpr int kWaitMs = 30000;

void writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

// The index's embedders with vectors: "name|fileHash|count" each.
QStringList storedEmbedders(const QString& db) {
    QStringList out;
    auto store = rag::Store::open(db.toStdString());
    if (!store) return {QString::fromStdString(store.error())};
    for (const rag::EmbedderRecord& r : store->embeddersWithVectors().value_or(std::vector<rag::EmbedderRecord>{}))
        out << QString::fromStdString(r.name + "|" + r.fileHash + "|" + std::to_string(r.vectors));
    return out;
}
}  // namespace

class DocumentsRemoteTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        installRemoteEmbedderConnector(makeRemoteEmbedderConnector());
        QVERIFY(m_dir.isValid());
        m_server.setProgram(kCli);
        m_server.setArguments({"serve", "-m", kDemoModel, "--port", "0", "--api-key", "tok-docs", "--embedder", kEmbedder});
        m_server.setProcessChannelMode(QProcess::MergedChannels);
        m_server.start();
        QVERIFY(m_server.waitForStarted());
        const QRegularExpression listening(R"(listening on (\S+))");
        QByteArray out;
        QVERIFY(QTest::qWaitFor([&] {
            out += m_server.readAll();
            return listening.match(QString::fromUtf8(out)).hasMatch() && out.contains("model ready");
        }, kWaitMs));
        m_url = listening.match(QString::fromUtf8(out)).captured(1) + "/v1";
        AppStorage::setDefaultPath({});  // settings in memory
    }

    void cleanupTestCase() {
        m_server.terminate();
        m_server.waitForFinished(10000);
    }

    void theSettingIsOffUntilChosenAndNamesTheServer() {
        AppStorage storage;
        SettingsController settings;
        settings.setStorage(&storage);
        QVERIFY(!settings.remoteEmbeddings());
        QCOMPARE(settings.documentEmbedder(), QString());  // the local default
        settings.setRemoteEmbeddings(true);
        QCOMPARE(settings.documentEmbedder(), QString());  // no server set: still local
        settings.setRemoteUrl(m_url + "/");
        QCOMPARE(settings.documentEmbedder(), "remote:" + m_url + "#");
        settings.setRemoteEmbeddingModel("use-lite");
        QCOMPARE(settings.documentEmbedder(), "remote:" + m_url + "#use-lite");
        settings.setRemoteEmbeddings(false);
        QCOMPARE(settings.documentEmbedder(), QString());
    }

    void indexesAndAnswersWithTheServersVectors() {
        const QString docsDir = m_dir.filePath("docs");
        QVERIFY(QDir().mkpath(docsDir));
        QString trains, ships;
        for (int i = 0; i < 200; ++i) {
            trains += QStringLiteral("Train %1 leaves the station at noon. ").arg(i);
            ships += QStringLiteral("Ship %1 sails from the harbour at dawn. ").arg(i);
        }
        writeFile(docsDir + "/trains.txt", trains.toUtf8());
        writeFile(docsDir + "/ships.txt", ships.toUtf8());
        const QString db = m_dir.filePath("index.db");
        DocumentsController::setDefaultDatabasePath(db);
        DocumentsController::setDefaultEmbedderPath(kEmbedder);
        DocumentsController docs;
        DocumentsController::setDefaultEmbedderPath({});
        docs.add({QUrl::fromLocalFile(docsDir)});  // first with the local embedder
        QVERIFY(QTest::qWaitFor([&] { return !docs.indexing() && docs.documents()->count() == 2; }, kWaitMs));
        QVERIFY2(docs.errorText().isEmpty(), qPrintable(docs.errorText()));
        QVERIFY(docs.remoteEmbedderHost().isEmpty());
        QStringList stored = storedEmbedders(db);
        QVERIFY2(stored.size() == 1 && !stored.first().contains("|remote:"), qPrintable(stored.join(", ")));

        // A wrong key: the run stops with the server's words; the local vectors stay.
        docs.setProperty("embedderApiKey", "wrong");
        docs.setEmbedderPath(remoteModelPath(m_url, {}));
        QCOMPARE(docs.remoteEmbedderHost(), QString("127.0.0.1"));
        QVERIFY(docs.indexing());  // the indexed documents are prepared for the new embedder
        QVERIFY(QTest::qWaitFor([&] { return !docs.indexing(); }, kWaitMs));
        QVERIFY2(docs.errorText().contains("HTTP 401"), qPrintable(docs.errorText()));
        QCOMPARE(storedEmbedders(db), stored);

        // The right key: every passage is embedded there, replacing the local vectors.
        docs.setProperty("embedderApiKey", "tok-docs");
        docs.setEmbedderPath({});
        QVERIFY(QTest::qWaitFor([&] { return docs.documents()->count() == 2; }, kWaitMs));
        docs.setEmbedderPath(remoteModelPath(m_url, {}));
        QVERIFY(docs.indexing());
        QVERIFY(QTest::qWaitFor([&] { return !docs.indexing(); }, kWaitMs));
        QVERIFY2(docs.errorText().isEmpty(), qPrintable(docs.errorText()));
        stored = storedEmbedders(db);
        QVERIFY2(stored.size() == 1 && stored.first().startsWith("use-lite|remote:" + m_url + "#use-lite|"),
                 qPrintable(stored.join(", ")));

        AppStorage storage;
        SettingsController settings;
        settings.setStorage(&storage);
        ChatController chat;
        chat.setSettings(&settings);
        chat.setDocuments(&docs);
        chat.loadModel(kDemoModel);
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        QVERIFY(settings.setParam("maxTokens", 8));
        chat.setUseDocuments(true);
        QVERIFY(chat.send("qwzx vbnq"));  // no word in common: only the remote vectors find anything
        QVERIFY(QTest::qWaitFor([&] { return chat.canSend(); }, kWaitMs));
        const QString stats = chat.messages()->stats(1);
        QVERIFY2(stats.contains("hybrid search"), qPrintable(stats));
        QVERIFY(!chat.messages()->sources(1).isEmpty());
    }

private:
    QTemporaryDir m_dir;
    QProcess m_server;
    QString m_url;
};

QTEST_GUILESS_MAIN(DocumentsRemoteTest)
#include "documents_remote_test.moc"
