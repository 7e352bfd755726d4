// assistant: the desktop app. Wiring only; behaviour lives in ui/.
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QtQml/qqmlextensionplugin.h>

#include <cstdio>
#include <memory>

#include "app_storage.h"
#include "documents_controller.h"
#include "local_api_controller.h"
#include "model_controller.h"
#include "paths.h"
#ifdef ASSISTANT_HAVE_SERVER
#include "local_api_backend_impl.h"
#endif
#ifdef ASSISTANT_HAVE_REMOTE
#include "remote_backend_impl.h"
#endif
#ifdef ASSISTANT_HAVE_REMOTE_EMBEDDER
#include "remote_embedder_impl.h"
#endif

Q_IMPORT_QML_PLUGIN(AssistantPlugin)

namespace {

// With ASSISTANT_REPORT_EXPOSED=1, prints "window-exposed X Y W H" (client area in
// screen pixels) once the window has shown its first frame: the UI tests wait for it
// before taking a screenshot.
void reportFirstExposedFrame(QQuickWindow* window) {
    if (!window || qEnvironmentVariableIntValue("ASSISTANT_REPORT_EXPOSED") != 1) return;
    auto connection = std::make_shared<QMetaObject::Connection>();
    // frameSwapped comes from the render thread; queue it to read the window safely.
    *connection = QObject::connect(
        window, &QQuickWindow::frameSwapped, window,
        [window, connection] {
            if (!window->isExposed()) return;
            QObject::disconnect(*connection);
            const QRect r = window->geometry();
            std::printf("window-exposed %d %d %d %d\n", r.x(), r.y(), r.width(), r.height());
            std::fflush(stdout);
        },
        Qt::QueuedConnection);
}

}  // namespace

int main(int argc, char** argv) {
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName("Assistant");
    QGuiApplication::setOrganizationName("Assistant");
    QGuiApplication::setApplicationVersion(ASSISTANT_VERSION);

    ModelController::setDefaultModelPath(QString::fromStdString(app::defaultModelPath()));
    // Conversations and settings: one SQLite file in the user's data directory.
    AppStorage::setDefaultPath(QString::fromStdString(app::userDataDir()) + QStringLiteral("/assistant.sqlite"));
    // The document index, shared with `assistant-cli index/search/ask`.
    DocumentsController::setDefaultDatabasePath(QString::fromStdString(app::userDataDir()) +
                                                QStringLiteral("/documents.db"));
    // Indexing embeds with the shipped USE-Lite model, and answers search with it
    // (hybrid, like `assistant-cli ask`); none found: BM25 only.
    DocumentsController::setDefaultEmbedderPath(QString::fromStdString(app::defaultEmbedderPath()));

#ifdef ASSISTANT_HAVE_SERVER
    // Settings › Local API: the OpenAI-compatible server, in this process.
    LocalApiController::setBackendFactory([] { return makeLocalApiBackend(app::defaultEmbedderPath()); });
#endif
#ifdef ASSISTANT_HAVE_REMOTE
    // Settings › Model loading › Remote server: chats through an OpenAI-compatible server.
    RemoteBackend::install(makeRemoteBackend());
#endif
#ifdef ASSISTANT_HAVE_REMOTE_EMBEDDER
    // Settings › Documents: the index's vectors from the remote server, when the user chooses it.
    installRemoteEmbedderConnector(makeRemoteEmbedderConnector());
#endif

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
    // Qt 6.4 has no loadFromModule: load the root QML by its qrc URL.
    const QUrl root(QStringLiteral("qrc:/qt/qml/Assistant/qml/Main.qml"));
    QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed, &app,
                     [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(root);
    if (engine.rootObjects().isEmpty()) return 1;
    reportFirstExposedFrame(qobject_cast<QQuickWindow*>(engine.rootObjects().constFirst()));
    return app.exec();
}
