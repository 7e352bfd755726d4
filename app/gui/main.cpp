// assistant: the desktop app. Wiring only; behaviour lives in ui/.
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QtQml/qqmlextensionplugin.h>

#include "model_controller.h"
#include "paths.h"

Q_IMPORT_QML_PLUGIN(AssistantPlugin)

int main(int argc, char** argv) {
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName("Assistant");
    QGuiApplication::setOrganizationName("Assistant");
    QGuiApplication::setApplicationVersion(ASSISTANT_VERSION);

    ModelController::setDefaultModelPath(QString::fromStdString(app::defaultModelPath()));

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
    // Qt 6.4 has no loadFromModule: load the root QML by its qrc URL.
    const QUrl root(QStringLiteral("qrc:/qt/qml/Assistant/qml/Main.qml"));
    QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed, &app,
                     [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(root);
    if (engine.rootObjects().isEmpty()) return 1;
    return app.exec();
}
