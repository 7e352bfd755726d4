// The app chatting with a remote OpenAI-compatible server: our own `assistant-cli serve`
// started as a separate process (a real HTTP hop) with a key. Connecting checks the
// server and the key; answers stream into the conversation; answers from documents
// search them here and send only the prompt; a wrong key and a server that went away
// are clear errors and the conversation keeps every message.
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include "app_storage.h"
#include "chat_controller.h"
#include "documents_controller.h"
#include "message_list_model.h"
#include "remote_backend.h"
#include "remote_backend_impl.h"
#include "settings_controller.h"

namespace {
const QString kCli = QStringLiteral(ASSISTANT_CLI);
const QString kDemoModel = QStringLiteral(DEMO_MODEL_PATH);
constexpr int kWaitMs = 30000;
}  // namespace

class ChatRemoteTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        RemoteBackend::install(makeRemoteBackend());
        m_server.setProgram(kCli);
        m_server.setArguments({"serve", "-m", kDemoModel, "--port", "0", "--api-key", "tok-remote", "--no-embedder"});
        m_server.setProcessChannelMode(QProcess::MergedChannels);
        m_server.start();
        QVERIFY(m_server.waitForStarted());
        const QRegularExpression listening(R"(listening on (\S+))");
        QByteArray out;
        QVERIFY(QTest::qWaitFor([&] {  // the address, then the model loaded
            out += m_server.readAll();
            return listening.match(QString::fromUtf8(out)).hasMatch() && out.contains("model ready");
        }, kWaitMs));
        m_url = listening.match(QString::fromUtf8(out)).captured(1) + "/v1";
    }

    void cleanupTestCase() {
        m_server.terminate();
        m_server.waitForFinished(10000);
    }

    void init() {
        AppStorage::setDefaultPath({});  // settings and conversations in memory
        m_storage = std::make_unique<AppStorage>();
        m_settings = std::make_unique<SettingsController>();
        m_settings->setStorage(m_storage.get());
        m_chat = std::make_unique<ChatController>();
        m_chat->setSettings(m_settings.get());
    }

    void cleanup() {
        m_chat.reset();
        m_settings.reset();
        m_storage.reset();
    }

    void connectsAndStreamsAnAnswer() {
        m_settings->setRemoteUrl(m_url);
        m_settings->setRemoteApiKey("tok-remote");
        m_chat->connectRemote();
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        QVERIFY2(m_chat->errorText().isEmpty(), qPrintable(m_chat->errorText()));
        QVERIFY(m_chat->remote());
        QCOMPARE(m_chat->remoteHost(), QString("127.0.0.1"));
        QVERIFY2(m_chat->loadedModelName().startsWith("stories260K (on 127.0.0.1)"), qPrintable(m_chat->loadedModelName()));
        QVERIFY(m_settings->setParam("maxTokens", 16));
        QSignalSpy streamed(m_chat->messages(), &QAbstractItemModel::dataChanged);
        QVERIFY(m_chat->send("Once upon a time"));
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        QVERIFY2(m_chat->errorText().isEmpty(), qPrintable(m_chat->errorText()));
        QCOMPARE(m_chat->messages()->count(), 2);
        QVERIFY(!m_chat->messages()->answer(1).trimmed().isEmpty());
        QVERIFY(streamed.count() >= 1);
        const QString stats = m_chat->messages()->stats(1);
        QVERIFY2(stats.contains("tok/s") && stats.contains("remote 127.0.0.1"), qPrintable(stats));
    }

    void answersFromLocalDocumentsThroughTheServer() {
        QTemporaryDir dir;
        DocumentsController::setDefaultDatabasePath(dir.filePath("index.db"));
        QFile f(dir.filePath("freedonia.txt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("The capital of Freedonia is Zenda, on the river Vltava.\n");
        f.close();
        DocumentsController docs;
        docs.add({QUrl::fromLocalFile(f.fileName())});
        QVERIFY(QTest::qWaitFor([&] { return !docs.indexing() && docs.documents()->count() == 1; }, kWaitMs));
        m_chat->setDocuments(&docs);
        m_settings->setRemoteUrl(m_url);
        m_settings->setRemoteApiKey("tok-remote");
        m_chat->connectRemote();
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        QVERIFY(m_settings->setParam("maxTokens", 8));
        m_chat->setUseDocuments(true);
        QVERIFY(m_chat->send("capital of Freedonia"));
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        QVERIFY2(m_chat->errorText().isEmpty(), qPrintable(m_chat->errorText()));
        const QVariantList sources = m_chat->messages()->sources(1);
        QCOMPARE(sources.size(), 1);
        QVERIFY(sources.first().toMap().value("excerpt").toString().contains("Zenda"));
        QVERIFY(!m_chat->messages()->answer(1).trimmed().isEmpty());
        m_chat->setDocuments(nullptr);
    }

    void aWrongKeyIsAClearErrorAndNothingIsLost() {
        m_settings->setRemoteUrl(m_url);
        m_settings->setRemoteApiKey("tok-remote");
        m_chat->connectRemote();
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        QVERIFY(m_settings->setParam("maxTokens", 4));
        QVERIFY(m_chat->send("Hello"));
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        m_settings->setRemoteApiKey("wrong-key");
        m_chat->connectRemote();
        QVERIFY(QTest::qWaitFor([&] { return !m_chat->errorText().isEmpty(); }, kWaitMs));
        QVERIFY2(m_chat->errorText().contains("401") || m_chat->errorText().contains("key", Qt::CaseInsensitive),
                 qPrintable(m_chat->errorText()));
        QCOMPARE(m_chat->messages()->count(), 2);  // the conversation is intact
    }

    void anUnreachableServerIsAClearError() {
        QTcpServer probe;  // a port nothing listens on
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const int port = probe.serverPort();
        probe.close();
        m_settings->setRemoteUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(port));
        m_chat->connectRemote();
        QVERIFY(QTest::qWaitFor([&] { return !m_chat->errorText().isEmpty(); }, kWaitMs));
        QVERIFY2(m_chat->errorText().contains(QString::number(port)), qPrintable(m_chat->errorText()));
        QVERIFY(!m_chat->canSend());
        QVERIFY(!m_chat->remote());
    }

    void notAnAddressIsRefused() {
        m_settings->setRemoteUrl("gpu-box without a scheme");
        m_chat->connectRemote();
        QVERIFY(QTest::qWaitFor([&] { return !m_chat->errorText().isEmpty(); }, kWaitMs));
        QVERIFY2(m_chat->errorText().contains("not a server address: gpu-box without a scheme"), qPrintable(m_chat->errorText()));
    }

    // Last: it stops the server.
    void aServerThatWentAwayIsAClearErrorAndTheQuestionStays() {
        m_settings->setRemoteUrl(m_url);
        m_settings->setRemoteApiKey("tok-remote");
        m_chat->connectRemote();
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend(); }, kWaitMs));
        m_server.terminate();
        QVERIFY(m_server.waitForFinished(10000));
        QVERIFY(m_chat->send("Are you there?"));
        const QAbstractItemModel& m = *m_chat->messages();
        auto last = [&](int role) { return m.data(m.index(m_chat->messages()->count() - 1, 0), role).toString(); };
        QVERIFY(QTest::qWaitFor([&] { return m_chat->canSend() && last(MessageListModel::RoleRole) == "error"; }, kWaitMs));
        QVERIFY2(last(MessageListModel::TextRole).contains("127.0.0.1"), qPrintable(last(MessageListModel::TextRole)));
        QCOMPARE(m.data(m.index(0, 0), MessageListModel::TextRole).toString(), QString("Are you there?"));
    }

private:
    QProcess m_server;
    QString m_url;
    std::unique_ptr<AppStorage> m_storage;
    std::unique_ptr<SettingsController> m_settings;
    std::unique_ptr<ChatController> m_chat;
};

QTEST_GUILESS_MAIN(ChatRemoteTest)
#include "chat_remote_test.moc"
