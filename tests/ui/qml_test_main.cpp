// Qt Quick Test runner for the QML components of the "Assistant" module, which is
// linked in statically and imported from its qrc path as the app does.
#include <QQmlEngine>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(AssistantPlugin)

class Setup : public QObject {
    Q_OBJECT

public slots:
    void qmlEngineAvailable(QQmlEngine* engine) { engine->addImportPath(QStringLiteral("qrc:/qt/qml")); }
};

QUICK_TEST_MAIN_WITH_SETUP(assistant_qml, Setup)
#include "qml_test_main.moc"
