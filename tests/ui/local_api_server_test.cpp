// The app's Local API toggle with the real server (app/gui's backend on
// server::ApiServer): turning the setting on serves HTTP on the chosen port with
// the token, turning it off closes the port.
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "app_storage.h"
#include "local_api_backend_impl.h"
#include "local_api_controller.h"
#include "settings_controller.h"

namespace {
const QString kDemoModel = QStringLiteral(DEMO_MODEL_PATH);

// The status code of `GET path` on 127.0.0.1:port, or 0 when nothing answers.
int httpStatus(int port, const QByteArray& path, const QString& token = {}) {
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(port));
    if (!socket.waitForConnected(3000)) return 0;
    QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.isEmpty()) request += "Authorization: Bearer " + token.toUtf8() + "\r\n";
    socket.write(request + "\r\n");
    QByteArray reply;
    while (!reply.contains("\r\n") && socket.waitForReadyRead(10000)) reply += socket.readAll();
    const QList<QByteArray> statusLine = reply.left(reply.indexOf("\r\n")).split(' ');
    return statusLine.size() >= 2 ? statusLine[1].toInt() : 0;
}

int freePort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) return 0;
    return probe.serverPort();
}
}  // namespace

class LocalApiServerTest : public QObject {
    Q_OBJECT

private slots:
    void toggleStartsAndStopsTheServer() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        AppStorage::setDefaultPath(dir.filePath(QStringLiteral("s.sqlite")));
        LocalApiController::setBackendFactory([] { return makeLocalApiBackend({}); });
        AppStorage storage;
        SettingsController settings;
        settings.setStorage(&storage);
        const int port = freePort();
        QVERIFY(port > 0);
        settings.setApiPort(port);
        LocalApiController api;
        api.setSettings(&settings);
        api.setModelPath(kDemoModel);
        QCOMPARE(httpStatus(port, "/health"), 0);  // off

        settings.setApiEnabled(true);
        QVERIFY2(api.running(), qPrintable(api.statusText()));
        QCOMPARE(api.url(), QStringLiteral("http://127.0.0.1:%1").arg(port));
        // 200 once the demo model has loaded (503 while it loads).
        QTRY_COMPARE_WITH_TIMEOUT(httpStatus(port, "/health"), 200, 20000);
        QCOMPARE(httpStatus(port, "/v1/models", settings.apiToken()), 200);
        QCOMPARE(httpStatus(port, "/v1/models", QStringLiteral("wrong-token")), 401);

        settings.setApiEnabled(false);
        QVERIFY(!api.running());
        QCOMPARE(httpStatus(port, "/health"), 0);
        LocalApiController::setBackendFactory({});
        AppStorage::setDefaultPath({});
    }
};

QTEST_MAIN(LocalApiServerTest)
#include "local_api_server_test.moc"
