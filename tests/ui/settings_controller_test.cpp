// SettingsController: persisted look, system prompt and personas, per-model
// presets with clamping, and what the engine receives.
#include <QGuiApplication>
#include <QPalette>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QFile>
#include <QUrl>

#include "app_storage.h"
#include "settings_controller.h"

class SettingsControllerTest : public QObject {
    Q_OBJECT

private slots:
    void init() {
        QVERIFY(m_dir.isValid());
        AppStorage::setDefaultPath(m_dir.filePath(QStringLiteral("s%1.sqlite").arg(m_run++)));
    }
    void cleanupTestCase() { AppStorage::setDefaultPath({}); }

    void lookIsSavedAndRestored() {
        AppStorage storage;
        QVERIFY2(storage.errorText().isEmpty(), qPrintable(storage.errorText()));
        {
            SettingsController s;
            s.setStorage(&storage);
            QCOMPARE(s.theme(), QString("system"));
            QSignalSpy theme(&s, &SettingsController::themeChanged);
            s.setTheme("dark");
            QVERIFY(s.darkMode());
            s.setTheme("nonsense");  // falls back to following the system
            QCOMPARE(s.theme(), QString("system"));
            s.setTheme("light");
            QVERIFY(!s.darkMode());
            QCOMPARE(theme.count(), 3);
            s.setFontSize(40);
            QCOMPARE(s.fontSize(), 24);  // clamped
            s.setSystemPrompt("Answer in French.");
        }
        SettingsController again;
        again.setStorage(&storage);
        QCOMPARE(again.theme(), QString("light"));
        QCOMPARE(again.fontSize(), 24);
        QCOMPARE(again.systemPrompt(), QString("Answer in French."));
    }

    void personas() {
        AppStorage storage;
        SettingsController s;
        s.setStorage(&storage);
        QSignalSpy changed(&s, &SettingsController::personasChanged);
        s.setSystemPrompt("You are a pirate.");
        s.savePersona("Pirate");
        s.setSystemPrompt("You are terse.");
        s.savePersona("Terse");
        s.savePersona("Terse");  // replaces, no duplicate
        QCOMPARE(s.personas().size(), 2);
        s.applyPersona("Pirate");
        QCOMPARE(s.systemPrompt(), QString("You are a pirate."));
        s.removePersona("Pirate");
        QCOMPARE(s.personas().size(), 1);
        QVERIFY(changed.count() >= 4);
        SettingsController again;
        again.setStorage(&storage);
        QCOMPARE(again.personas().size(), 1);
        QCOMPARE(again.personas()[0].toMap().value("name").toString(), QString("Terse"));
    }

    void presetsArePerModelAndClamped() {
        AppStorage storage;
        SettingsController s;
        s.setStorage(&storage);
        s.setModelKey("a.gguf");
        QVERIFY(s.setParam("temperature", 0.1));
        QVERIFY(s.setParam("topK", "7"));
        QVERIFY(s.setParam("contextLength", 2048));
        QVERIFY(s.setParam("device", "cpu"));
        QVERIFY(s.setParam("topP", 5));  // clamped to 1
        QVERIFY(s.setParam("draftTokens", 40));  // clamped to 16
        QVERIFY(!s.setParam("nonsense", 1));
        QVERIFY(!s.setParam("topK", "many"));
        QCOMPARE(s.params().value("topP").toDouble(), 1.0);

        const GenerationOptions g = s.generationOptions();
        QCOMPARE(g.temperature, 0.1);
        QCOMPARE(g.topK, 7);
        QCOMPARE(g.draftTokens, 16);
        QCOMPARE(GenerationOptions{}.draftTokens, 0);  // off unless chosen
        const LoadOptions l = s.loadOptions();
        QCOMPARE(l.contextLength, 2048);
        QCOMPARE(l.device, QString("cpu"));

        s.setModelKey("b.gguf");  // another model: defaults
        QCOMPARE(s.generationOptions().temperature, GenerationOptions{}.temperature);
        s.setModelKey("a.gguf");  // back: its preset
        QCOMPARE(s.generationOptions().topK, 7);
        s.resetParams();
        QCOMPARE(s.params(), SettingsController::defaultParams());
    }

    // The GPU memory for the model: a size as typed ("12 GB", "auto"), saved with the
    // model's preset, given to the engine load; a bad value says why and keeps the old.
    void gpuMemoryIsParsedKeptAndPassedOn() {
        AppStorage storage;
        {
            SettingsController s;
            s.setStorage(&storage);
            s.setModelKey("moe.gguf");
            QCOMPARE(s.gpuMemoryText(), QString("auto"));
            QCOMPARE(s.loadOptions().gpuMemory, quint64(0));
            QVERIFY(s.setParam("gpuMemory", "12 GB"));
            QCOMPARE(s.loadOptions().gpuMemory, quint64(12) << 30);
            QCOMPARE(s.gpuMemoryText(), QString("12 GB"));
            QVERIFY(s.paramError().isEmpty());
            QSignalSpy error(&s, &SettingsController::paramErrorChanged);
            QSignalSpy params(&s, &SettingsController::paramsChanged);
            for (const char* bad : {"12 XB", "-4 GB", "lots", "12 GB please", "0.5 KB", "nan"}) {
                QVERIFY2(!s.setParam("gpuMemory", bad), bad);
                QCOMPARE(s.loadOptions().gpuMemory, quint64(12) << 30);  // the old value kept
                QVERIFY2(s.paramError().startsWith("GPU memory: "), qPrintable(s.paramError()));
                QVERIFY2(s.paramError().contains("Kept 12 GB"), qPrintable(s.paramError()));
            }
            QVERIFY(!s.setParam("gpuMemory", -1.0));  // bytes, from a stored preset
            QVERIFY(s.paramError().contains("negative"));
            QCOMPARE(error.count(), 7);   // each refusal's own message
            QCOMPARE(params.count(), 7);  // each refusal re-shows the kept value in bound fields
            QVERIFY(s.setParam("gpuMemory", "1.5g"));
            QVERIFY(s.paramError().isEmpty());  // cleared by a value that took
            QCOMPARE(s.loadOptions().gpuMemory, quint64(1536) << 20);
            QCOMPARE(s.gpuMemoryText(), QString("1.5 GB"));
            QVERIFY(s.setParam("gpuMemory", "512 MiB"));
            QCOMPARE(s.gpuMemoryText(), QString("512 MB"));
            QVERIFY(s.setParam("gpuMemory", "11000 MB"));
            s.setModelKey("other.gguf");  // per model: another model has its own (auto)
            QCOMPARE(s.loadOptions().gpuMemory, quint64(0));
        }
        SettingsController again;  // persisted with the preset
        again.setStorage(&storage);
        again.setModelKey("moe.gguf");
        QCOMPARE(again.loadOptions().gpuMemory, quint64(11000) << 20);
        QCOMPARE(again.gpuMemoryText(), QString("11000 MB"));
        QVERIFY(again.setParam("gpuMemory", " auto "));
        QCOMPARE(again.loadOptions().gpuMemory, quint64(0));
        QVERIFY(again.setParam("gpuMemory", 0));
        QCOMPARE(again.gpuMemoryText(), QString("auto"));
    }

    void conversationParametersComeBack() {
        AppStorage storage;
        SettingsController s;
        s.setStorage(&storage);
        s.setModelKey("a.gguf");
        s.applyConversation("Be kind.", QJsonObject{{"temperature", 0.0}, {"maxTokens", 64}});
        QCOMPARE(s.systemPrompt(), QString("Be kind."));
        QCOMPARE(s.generationOptions().temperature, 0.0);
        QCOMPARE(s.generationOptions().maxTokens, 64);
        QCOMPARE(s.paramsJson().value("maxTokens").toInt(), 64);
    }

    void localApiSettingsPersist() {
        AppStorage storage;
        QString token;
        {
            SettingsController s;
            s.setStorage(&storage);
            QVERIFY(!s.apiEnabled());  // off until the user turns it on
            QCOMPARE(s.apiPort(), 8765);
            token = s.apiToken();
            QCOMPARE(token.size(), 32);  // made on first use
            QSignalSpy changed(&s, &SettingsController::apiChanged);
            s.setApiEnabled(true);
            s.setApiPort(80);  // below 1024: clamped
            QCOMPARE(s.apiPort(), 1024);
            s.setApiPort(9001);
            s.regenerateApiToken();
            QVERIFY(s.apiToken() != token);
            QCOMPARE(s.apiToken().size(), 32);
            token = s.apiToken();
            QCOMPARE(changed.count(), 4);
        }
        SettingsController again;
        again.setStorage(&storage);
        QVERIFY(again.apiEnabled());
        QCOMPARE(again.apiPort(), 9001);
        QCOMPARE(again.apiToken(), token);
    }

    void ocrSettingsPersistAndLanguagesAreChecked() {
        AppStorage storage;
        {
            SettingsController s;
            s.setStorage(&storage);
            QVERIFY(s.ocrEnabled());
            QCOMPARE(s.ocrLanguage(), QString("eng"));
            s.setOcrEnabled(false);
            s.setOcrLanguage(" deu+fra ");
            QCOMPARE(s.ocrLanguage(), QString("deu+fra"));
            for (const char* bad : {"", "eng+", "eng fra", "../eng", "+eng"}) {
                s.setOcrLanguage(bad);
                QCOMPARE(s.ocrLanguage(), QString("deu+fra"));
            }
        }
        SettingsController again;
        again.setStorage(&storage);
        QVERIFY(!again.ocrEnabled());
        QCOMPARE(again.ocrLanguage(), QString("deu+fra"));
    }

    void embedderPathPersistsAndMustBeAFile() {
        AppStorage storage;
        QTemporaryDir dir;
        const QString model = dir.filePath("e5.gguf");
        QFile f(model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        {
            SettingsController s;
            s.setStorage(&storage);
            QCOMPARE(s.embedderPath(), QString());
            QSignalSpy changed(&s, &SettingsController::embedderChanged);
            s.setEmbedderPath(dir.filePath("missing.gguf"));  // refused
            QCOMPARE(s.embedderPath(), QString());
            QCOMPARE(changed.count(), 1);
            s.setEmbedderPath(QUrl::fromLocalFile(model).toString());  // what a file dialog gives
            QCOMPARE(s.embedderPath(), model);
        }
        {
            SettingsController again;
            again.setStorage(&storage);
            QCOMPARE(again.embedderPath(), model);
            again.setEmbedderPath({});
        }
        SettingsController third;
        third.setStorage(&storage);
        QCOMPARE(third.embedderPath(), QString());
    }

    void documentPasswordsAreKeptOnlyWhenAsked() {
        AppStorage storage;
        {
            SettingsController s;
            s.setStorage(&storage);
            QVERIFY(s.documentPasswords().isEmpty());
            s.rememberDocumentPassword("/docs/a.pdf", "secret");
            QCOMPARE(s.documentPasswords().value("/docs/a.pdf").toString(), QString("secret"));
        }
        SettingsController again;
        again.setStorage(&storage);
        QCOMPARE(again.documentPasswords().value("/docs/a.pdf").toString(), QString("secret"));
        again.forgetDocumentPasswords();
        SettingsController third;
        third.setStorage(&storage);
        QVERIFY(third.documentPasswords().isEmpty());
    }

    // "Follow the system": a palette change while running (the desktop switching to
    // dark) flips darkMode and says so; a fixed theme ignores it.
    void systemThemeFollowsPaletteChanges() {
        const QPalette original = QGuiApplication::palette();
        QPalette light;
        light.setColor(QPalette::Window, QColor("#f0f0f0"));
        light.setColor(QPalette::WindowText, QColor("#101010"));
        QPalette dark;
        dark.setColor(QPalette::Window, QColor("#202020"));
        dark.setColor(QPalette::WindowText, QColor("#f0f0f0"));
        QGuiApplication::setPalette(light);

        SettingsController s;
        QCOMPARE(s.theme(), QString("system"));
        QVERIFY(!s.darkMode());
        QSignalSpy theme(&s, &SettingsController::themeChanged);
        QGuiApplication::setPalette(dark);
        QTRY_VERIFY(s.darkMode());
        QCOMPARE(theme.count(), 1);
        QGuiApplication::setPalette(light);
        QTRY_VERIFY(!s.darkMode());
        QCOMPARE(theme.count(), 2);

        s.setTheme("light");
        theme.clear();
        QGuiApplication::setPalette(dark);
        QCoreApplication::processEvents();
        QVERIFY(!s.darkMode());
        QCOMPARE(theme.count(), 0);
        QGuiApplication::setPalette(original);
    }

private:
    QTemporaryDir m_dir;
    int m_run = 0;
};

QTEST_MAIN(SettingsControllerTest)
#include "settings_controller_test.moc"
