// ModelLibrary with the real engine: the demo model is described (architecture,
// parameters, quantization, context) with a fit estimate; a folder adds its GGUF
// files; a file that is not GGUF, or a GGUF the engine cannot run, gets a clear
// message; the list persists; devices are listed.
#include <QAbstractItemModelTester>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "app_storage.h"
#include "assistant/engine.h"
#include "assistant/model_tools.h"
#include "chat_types.h"
#include "model_library.h"

namespace {
const QString kDemoModel = QStringLiteral(DEMO_MODEL_PATH);
const QString kMoeModel = QStringLiteral(MOE_MODEL_PATH);
constexpr int kWaitMs = 20000;

QVariant roleOf(const ModelLibrary& lib, int row, int role) {
    const QAbstractItemModel& m = lib;
    return m.data(m.index(row, 0), role);
}
}  // namespace

class ModelLibraryTest : public QObject {
    Q_OBJECT

private slots:
    void describesTheDemoModelWithAFitEstimate() {
        ModelLibrary lib;
        QAbstractItemModelTester tester(&lib, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy changed(&lib, &QAbstractItemModel::dataChanged);
        QCOMPARE(lib.add(QUrl::fromLocalFile(kDemoModel)), 1);
        QCOMPARE(lib.add(QUrl::fromLocalFile(kDemoModel)), 0);  // no duplicates
        QCOMPARE(roleOf(lib, 0, ModelLibrary::StatusRole).toString(), QString("inspecting"));
        QVERIFY(QTest::qWaitFor([&] { return roleOf(lib, 0, ModelLibrary::StatusRole).toString() != "inspecting"; }, kWaitMs));
        QCOMPARE(roleOf(lib, 0, ModelLibrary::StatusRole).toString(), QString("ready"));
        QCOMPARE(roleOf(lib, 0, ModelLibrary::ArchitectureRole).toString(), QString("llama"));
        // Its general.name is "llama" (the architecture, written by llama2.c's
        // converter): the card is titled by the file name instead.
        QCOMPARE(roleOf(lib, 0, ModelLibrary::NameRole).toString(), QString("stories260K"));
        QVERIFY(roleOf(lib, 0, ModelLibrary::ParametersRole).toString().endsWith('K'));
        QVERIFY(!roleOf(lib, 0, ModelLibrary::QuantizationRole).toString().isEmpty());
        QVERIFY(roleOf(lib, 0, ModelLibrary::ContextLengthRole).toInt() > 0);
        QVERIFY(roleOf(lib, 0, ModelLibrary::FileSizeRole).toString().endsWith("MiB"));
        QVERIFY(QTest::qWaitFor([&] { return !lib.devices().isEmpty(); }, kWaitMs));
        const QString fit = roleOf(lib, 0, ModelLibrary::FitRole).toString();
        QVERIFY2(fit.startsWith("Needs about") && fit.contains("RAM"), qPrintable(fit));
        QVERIFY(roleOf(lib, 0, ModelLibrary::FitsRole).toBool());  // a 1 MiB model fits anywhere
        // The estimate follows the chosen context.
        lib.setContextLength(64);
        const QString small = roleOf(lib, 0, ModelLibrary::FitRole).toString();
        QVERIFY2(small.contains("at 64 tokens"), qPrintable(small));
        QCOMPARE(lib.devices().first().toMap().value("id").toString(), QString("cpu"));
    }

    // Each ready model shows where it would be placed for the chosen device and the
    // decode speed to expect, worked out on the inspector's thread (empty meanwhile);
    // a change of device asks again.
    void showsThePlacementAndExpectedSpeedForTheDevice() {
        QTemporaryDir config;  // the bandwidth figures' cache goes here, not in the user's home
        QVERIFY(config.isValid());
        qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
        ModelLibrary lib;
        lib.setDevice(QStringLiteral("cpu"));
        QCOMPARE(lib.device(), QString("cpu"));
        QCOMPARE(lib.add(QUrl::fromLocalFile(kDemoModel)), 1);
        QVERIFY(QTest::qWaitFor([&] { return !roleOf(lib, 0, ModelLibrary::PlacementRole).toString().isEmpty(); }, kWaitMs));
        QCOMPARE(roleOf(lib, 0, ModelLibrary::PlacementRole).toString(), QString("all 5 layers on the CPU"));
        const QString speed = roleOf(lib, 0, ModelLibrary::SpeedRole).toString();
        QVERIFY2(speed.startsWith("about ") && speed.contains("tokens/s") && speed.contains("estimate"), qPrintable(speed));
        QVERIFY(QFile::exists(config.path() + "/assistant/bandwidth.tsv"));  // probed once, cached

        // Another device: the estimate is asked for again (empty until it comes back).
        QSignalSpy changed(&lib, &QAbstractItemModel::dataChanged);
        lib.setDevice(QStringLiteral("opencl:0.0"));
        QVERIFY(changed.count() >= 1);
        QVERIFY(QTest::qWaitFor([&] { return !roleOf(lib, 0, ModelLibrary::PlacementRole).toString().isEmpty(); }, kWaitMs));
        const QString placed = roleOf(lib, 0, ModelLibrary::PlacementRole).toString();
        // With an OpenCL device (PoCL in CI) the layers go there; without one, the CPU.
        QVERIFY2(placed.contains("layers on opencl:0.0") || placed.contains("on the CPU"), qPrintable(placed));
        qunsetenv("XDG_CONFIG_HOME");
    }

    // The GPU memory setting reaches the estimate: a MoE model with a budget for its
    // dense part and some experts keeps the rest in RAM with a hot-expert cache; auto
    // (90% of what the device has free: here all of it fits) puts the experts on the GPU.
    void theGpuMemorySettingShapesTheMoePlacement() {
        const bool haveGpu = [] {
            for (const assistant::DeviceInfo& d : assistant::listDevices())
                if (d.id == "opencl:0.0") return true;
            return false;
        }();
        if (!haveGpu) QSKIP("no OpenCL device (PoCL in CI)");
        if (!QFile::exists(kMoeModel)) QSKIP("missing test data: " MOE_MODEL_PATH);
        QTemporaryDir config;
        QVERIFY(config.isValid());
        qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
        // The budget: everything on the device less half of the experts.
        assistant::ModelParams all;
        all.device = "opencl:0.0";
        all.moeExperts = assistant::MoeExperts::Gpu;
        auto full = assistant::planPlacement(kMoeModel.toStdString(), all);
        QVERIFY2(full.has_value(), full ? "" : full.error().message.c_str());
        quint64 onDevice = 0, experts = 0;
        for (const assistant::PlacementPart& p : full->parts)
            if (p.where != "cpu") {
                onDevice += p.bytes;
                if (p.what.find("experts") != std::string::npos) experts += p.bytes;
            }
        QVERIFY(experts > 0);

        ModelLibrary lib;
        lib.setDevice(QStringLiteral("opencl:0.0"));
        lib.setGpuMemory(static_cast<double>(onDevice - experts / 2));
        QCOMPARE(lib.add(QUrl::fromLocalFile(kMoeModel)), 1);
        auto placement = [&] { return roleOf(lib, 0, ModelLibrary::PlacementRole).toString(); };
        QVERIFY(QTest::qWaitFor([&] { return !placement().isEmpty(); }, kWaitMs));
        QVERIFY2(placement().contains("experts in RAM on the CPU") && placement().contains("cached on the GPU") &&
                     placement().contains("of GPU memory set"),
                 qPrintable(placement()));
        lib.setGpuMemory(0);  // auto
        QVERIFY(placement().isEmpty());  // asked again
        QVERIFY(QTest::qWaitFor([&] { return !placement().isEmpty(); }, kWaitMs));
        QVERIFY2(placement().contains("experts on the GPU") && placement().contains("90% of what is free"),
                 qPrintable(placement()));
        qunsetenv("XDG_CONFIG_HOME");
    }

    void titleIsTheNameElseTheFileName_data() {
        QTest::addColumn<QString>("generalName");
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<QString>("title");
        QTest::newRow("named") << "Llama 3.2 1B Instruct" << "llama" << "Llama 3.2 1B Instruct";
        QTest::newRow("no name") << "" << "qwen2" << "Model-Q4_K_M";
        QTest::newRow("blank name") << "  " << "qwen2" << "Model-Q4_K_M";
        QTest::newRow("name is the architecture") << "llama" << "llama" << "Model-Q4_K_M";
        QTest::newRow("same, other case") << "Gemma3" << "gemma3" << "Model-Q4_K_M";
        QTest::newRow("name contains the architecture") << "llama-7b" << "llama" << "llama-7b";
    }
    void titleIsTheNameElseTheFileName() {
        QFETCH(QString, generalName);
        QFETCH(QString, architecture);
        QFETCH(QString, title);
        QCOMPARE(modelTitle(generalName, architecture, "/models/Model-Q4_K_M.gguf"), title);
    }

    void rejectsFilesThatAreNotModels() {
        QTemporaryDir dir;
        QFile text(dir.filePath("notes.gguf"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("hello, not a model");
        text.close();
        ModelLibrary lib;
        QCOMPARE(lib.add(QUrl::fromLocalFile(text.fileName())), 0);
        QVERIFY2(lib.lastError().contains("not a GGUF"), qPrintable(lib.lastError()));
        QCOMPARE(lib.add(QUrl::fromLocalFile(dir.filePath("missing.gguf"))), 0);
        QVERIFY(lib.lastError().contains("does not exist"));

        // GGUF magic but truncated: listed, then marked unsupported with the engine's reason.
        QFile broken(dir.filePath("broken.gguf"));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write(QByteArray("GGUF\x03\x00\x00\x00", 8));
        broken.close();
        QCOMPARE(lib.add(QUrl::fromLocalFile(broken.fileName())), 1);
        QVERIFY(QTest::qWaitFor([&] { return roleOf(lib, 0, ModelLibrary::StatusRole).toString() != "inspecting"; }, kWaitMs));
        QCOMPARE(roleOf(lib, 0, ModelLibrary::StatusRole).toString(), QString("unsupported"));
        const QString error = roleOf(lib, 0, ModelLibrary::ErrorRole).toString();
        QVERIFY2(error.startsWith("Not a supported GGUF model"), qPrintable(error));
    }

    void folderAndPersistence() {
        QTemporaryDir dir;
        QVERIFY(QFile::copy(kDemoModel, dir.filePath("a.gguf")));
        QVERIFY(QFile::copy(kDemoModel, dir.filePath("b.gguf")));
        QFile other(dir.filePath("readme.txt"));
        QVERIFY(other.open(QIODevice::WriteOnly));
        other.close();
        AppStorage::setDefaultPath(dir.filePath("db.sqlite"));
        {
            AppStorage storage;
            ModelLibrary lib;
            lib.setStorage(&storage);
            QCOMPARE(lib.addUrls({QUrl::fromLocalFile(dir.path())}), 2);
            QCOMPARE(lib.pathAt(0), dir.filePath("a.gguf"));
            lib.remove(0);
            QCOMPARE(lib.count(), 1);
        }
        AppStorage storage;
        ModelLibrary again;
        again.setStorage(&storage);
        QCOMPARE(again.count(), 1);
        QCOMPARE(again.pathAt(0), dir.filePath("b.gguf"));
        AppStorage::setDefaultPath({});
    }

    void humanReadableSizes() {
        QCOMPARE(ModelLibrary::humanBytes(512), QString("512 B"));
        QCOMPARE(ModelLibrary::humanBytes(1185376), QString("1.13 MiB"));
        QCOMPARE(ModelLibrary::humanBytes(quint64(4) << 30), QString("4.00 GiB"));
        QCOMPARE(ModelLibrary::humanCount(260100), QString("260.1K"));
        QCOMPARE(ModelLibrary::humanCount(6740000000ull), QString("6.74B"));
    }
};

QTEST_GUILESS_MAIN(ModelLibraryTest)
#include "model_library_test.moc"
