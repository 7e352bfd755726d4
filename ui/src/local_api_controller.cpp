#include "local_api_controller.h"

#include <QClipboard>
#include <QGuiApplication>

namespace {
LocalApiBackendFactory& backendFactory() {
    static LocalApiBackendFactory factory;
    return factory;
}

bool sameConfig(const LocalApiConfig& a, const LocalApiConfig& b) {
    return a.port == b.port && a.token == b.token && a.modelPath == b.modelPath &&
           a.documentsDb == b.documentsDb && a.load == b.load;
}
}  // namespace

void LocalApiController::setBackendFactory(LocalApiBackendFactory factory) { backendFactory() = std::move(factory); }

LocalApiController::LocalApiController(QObject* parent) : QObject(parent) {
    if (backendFactory()) m_backend = backendFactory()();
}

LocalApiController::~LocalApiController() {
    if (m_backend) m_backend->stop();
}

void LocalApiController::setSettings(SettingsController* settings) {
    if (settings == m_settings) return;
    if (m_settings) disconnect(m_settings, nullptr, this, nullptr);
    m_settings = settings;
    if (m_settings) {
        connect(m_settings, &SettingsController::apiChanged, this, &LocalApiController::apply);
        // Load options apply to the server's next start, like to the app's next load.
        connect(m_settings, &SettingsController::paramsChanged, this, [this] { emit stateChanged(); });
    }
    emit settingsChanged();
    apply();
}

void LocalApiController::setModelPath(const QString& path) {
    if (path == m_modelPath) return;
    m_modelPath = path;
    emit modelPathChanged();
    apply();
}

LocalApiConfig LocalApiController::wantedConfig() const {
    LocalApiConfig c;
    if (!m_settings) return c;
    c.port = m_settings->apiPort();
    c.token = m_settings->apiToken();
    c.modelPath = m_modelPath;
    c.documentsDb = m_documentsDb;
    c.load = m_settings->loadOptions();
    return c;
}

void LocalApiController::apply() {
    if (!m_backend) return;
    const bool wanted = m_settings && m_settings->apiEnabled() && !m_modelPath.isEmpty();
    const LocalApiConfig config = wantedConfig();
    if (!wanted) {
        m_backend->stop();
        m_started = false;
        m_errorText.clear();
    } else if (!m_started || !sameConfig(config, m_runningConfig) || !m_backend->isRunning()) {
        // The model (or the load options) of a running server change with the model the
        // app loads; the port and token need a new listener.
        m_backend->stop();
        m_errorText = m_backend->start(config);
        m_started = m_errorText.isEmpty();
        m_runningConfig = config;
    }
    emit stateChanged();
}

QString LocalApiController::url() const {
    if (running()) return m_backend->url();
    return QStringLiteral("http://127.0.0.1:%1").arg(m_settings ? m_settings->apiPort() : 8765);
}

QString LocalApiController::statusText() const {
    if (!m_backend) return tr("This build has no local API server (it needs cpp-httplib).");
    if (!m_errorText.isEmpty()) return tr("Not running: %1").arg(m_errorText);
    if (running()) return tr("Running at %1.").arg(url());
    if (m_settings && m_settings->apiEnabled()) return tr("Starts when a model is loaded.");
    return tr("Off.");
}

void LocalApiController::copyToClipboard(const QString& text) const {
    if (QClipboard* clipboard = QGuiApplication::clipboard()) clipboard->setText(text);
}
