// Which model the app runs and how it describes it to the user.
#pragma once

#include <QObject>
#include <QString>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

class ModelController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString modelPath READ modelPath NOTIFY modelChanged)
    Q_PROPERTY(QString modelName READ modelName NOTIFY modelChanged)
    Q_PROPERTY(bool isDemo READ isDemo NOTIFY modelChanged)
    Q_PROPERTY(QString statusText READ statusText NOTIFY statusChanged)

public:
    explicit ModelController(QObject* parent = nullptr);

    QString modelPath() const { return m_modelPath; }
    QString modelName() const { return m_modelName; }
    bool isDemo() const { return m_isDemo; }
    QString statusText() const { return m_statusText; }

    // The embedded demo model, as found by the app (set once at start-up).
    static void setDefaultModelPath(const QString& path);

    Q_INVOKABLE void useDefaultModel();
    Q_INVOKABLE void openModel(const QUrl& file);

signals:
    void modelChanged();
    void statusChanged();

private:
    void select(const QString& path, bool demo);
    void setStatus(const QString& text);

    QString m_modelPath;
    QString m_modelName;
    bool m_isDemo = false;
    QString m_statusText;
};
