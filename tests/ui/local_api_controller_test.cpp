// LocalApiController with a recording backend: the server runs exactly while the
// setting is on and a model is loaded, restarts when the port, token or model
// change, and reports a start failure.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <utility>

#include "app_storage.h"
#include "local_api_controller.h"
#include "settings_controller.h"

namespace {
struct Record {
    QList<LocalApiConfig> starts;
    int stops = 0;
    bool running = false;
    QString failWith;  // the next start fails with this
};

class FakeBackend : public LocalApiBackend {
public:
    explicit FakeBackend(Record* r) : m_r(r) {}
    QString start(const LocalApiConfig& c) override {
        m_r->starts << c;
        if (!m_r->failWith.isEmpty()) return std::exchange(m_r->failWith, QString());
        m_r->running = true;
        m_port = c.port;
        return {};
    }
    void stop() override {
        if (m_r->running) ++m_r->stops;
        m_r->running = false;
    }
    bool isRunning() const override { return m_r->running; }
    QString url() const override { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }

private:
    Record* m_r;
    int m_port = 0;
};
}  // namespace

class LocalApiControllerTest : public QObject {
    Q_OBJECT

private slots:
    void init() {
        QVERIFY(m_dir.isValid());
        AppStorage::setDefaultPath(m_dir.filePath(QStringLiteral("s%1.sqlite").arg(m_run++)));
        m_record = Record{};
        LocalApiController::setBackendFactory([this] { return std::make_unique<FakeBackend>(&m_record); });
    }
    void cleanupTestCase() {
        LocalApiController::setBackendFactory({});
        AppStorage::setDefaultPath({});
    }

    void runsWhileOnAndAModelIsLoaded() {
        AppStorage storage;
        SettingsController settings;
        settings.setStorage(&storage);
        LocalApiController api;
        QVERIFY(api.available());
        api.setSettings(&settings);
        api.setModelPath("/models/a.gguf");
        QVERIFY(!api.running());  // off by default
        QCOMPARE(m_record.starts.size(), 0);

        settings.setApiEnabled(true);
        QVERIFY(api.running());
        QCOMPARE(m_record.starts.size(), 1);
        QCOMPARE(m_record.starts[0].port, 8765);
        QCOMPARE(m_record.starts[0].token, settings.apiToken());
        QCOMPARE(m_record.starts[0].modelPath, QString("/models/a.gguf"));
        QCOMPARE(api.url(), QString("http://127.0.0.1:8765"));
        QVERIFY2(api.statusText().contains("Running"), qPrintable(api.statusText()));

        settings.setApiPort(9100);  // a new listener
        QCOMPARE(m_record.starts.size(), 2);
        QCOMPARE(m_record.starts[1].port, 9100);
        settings.regenerateApiToken();  // the old token stops working
        QCOMPARE(m_record.starts.size(), 3);
        QCOMPARE(m_record.starts[2].token, settings.apiToken());
        api.setModelPath("/models/b.gguf");  // the app loaded another model
        QCOMPARE(m_record.starts.size(), 4);
        QCOMPARE(m_record.starts[3].modelPath, QString("/models/b.gguf"));

        api.setModelPath({});  // no model: nothing to serve
        QVERIFY(!api.running());
        api.setModelPath("/models/b.gguf");
        QVERIFY(api.running());
        const int stops = m_record.stops;
        settings.setApiEnabled(false);
        QVERIFY(!api.running());
        QCOMPARE(m_record.stops, stops + 1);
        QCOMPARE(api.url(), QString("http://127.0.0.1:9100"));  // what it will be
    }

    void reportsAStartFailure() {
        AppStorage storage;
        SettingsController settings;
        settings.setStorage(&storage);
        LocalApiController api;
        api.setSettings(&settings);
        api.setModelPath("/models/a.gguf");
        m_record.failWith = "cannot bind 127.0.0.1:8765: address in use";
        settings.setApiEnabled(true);
        QVERIFY(!api.running());
        QCOMPARE(api.errorText(), QString("cannot bind 127.0.0.1:8765: address in use"));
        QVERIFY(api.statusText().contains("address in use"));
        settings.setApiPort(8766);  // the user picks another port: it starts
        QVERIFY(api.running());
        QVERIFY(api.errorText().isEmpty());
    }

    void withoutABackendItSaysSo() {
        LocalApiController::setBackendFactory({});
        LocalApiController api;
        QVERIFY(!api.available());
        QVERIFY(api.statusText().contains("no local API"));
    }

private:
    QTemporaryDir m_dir;
    int m_run = 0;
    Record m_record;
};

QTEST_MAIN(LocalApiControllerTest)
#include "local_api_controller_test.moc"
