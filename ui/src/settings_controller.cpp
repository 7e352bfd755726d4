#include "settings_controller.h"

#include <QUrl>

#include <QFileInfo>

#include <QEvent>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPalette>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <algorithm>

#include "gpu_memory.h"
#include "remote_backend.h"

namespace {

// key -> [min, max] for numbers; "device" is a string.
struct Range {
    const char* key;
    double min;
    double max;
    bool integer;
};
constexpr Range kRanges[] = {
    {"temperature", 0, 2, false}, {"topK", 0, 1000, true},       {"topP", 0, 1, false},
    {"minP", 0, 1, false},        {"repeatPenalty", 0.5, 2, false}, {"maxTokens", 0, 131072, true},
    {"contextLength", 0, 1048576, true}, {"threads", 0, 512, true}, {"gpuLayers", -1, 1000, true},
    {"draftTokens", 0, 16, true},
};

QString presetKey(const QString& model) { return QStringLiteral("preset:") + model; }

}  // namespace

SettingsController::SettingsController(QObject* parent) : QObject(parent) {
    // QEvent::ApplicationPaletteChange reaches every QObject filter on the app when the
    // desktop (platform theme) or a test changes the palette.
    if (QCoreApplication::instance()) QCoreApplication::instance()->installEventFilter(this);
    m_systemDark = darkMode();
}

bool SettingsController::eventFilter(QObject* watched, QEvent* event) {
    if (watched == QCoreApplication::instance() && event->type() == QEvent::ApplicationPaletteChange &&
        m_theme == QLatin1String("system")) {
        const bool dark = darkMode();
        if (dark != m_systemDark) {
            m_systemDark = dark;
            emit themeChanged();
        }
    }
    return QObject::eventFilter(watched, event);
}

QString SettingsController::newApiToken() {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QString token;
    for (int i = 0; i < 32; ++i)
        token += QLatin1Char(kAlphabet[QRandomGenerator::system()->bounded(int(sizeof kAlphabet) - 1)]);
    return token;
}

QVariantMap SettingsController::defaultParams() {
    const GenerationOptions g;
    const LoadOptions l;
    return {{QStringLiteral("temperature"), g.temperature}, {QStringLiteral("topK"), g.topK},
            {QStringLiteral("topP"), g.topP},               {QStringLiteral("minP"), g.minP},
            {QStringLiteral("repeatPenalty"), g.repeatPenalty}, {QStringLiteral("maxTokens"), g.maxTokens},
            {QStringLiteral("draftTokens"), g.draftTokens},
            {QStringLiteral("contextLength"), l.contextLength}, {QStringLiteral("threads"), l.threads},
            {QStringLiteral("device"), l.device},           {QStringLiteral("gpuLayers"), l.gpuLayers},
            {QStringLiteral("gpuMemory"), static_cast<double>(l.gpuMemory)}};
}

void SettingsController::setStorage(AppStorage* storage) {
    if (storage == m_storage) return;
    m_storage = storage;
    load();
    emit storageChanged();
}

void SettingsController::load() {
    if (!m_storage) return;
    ConversationStore& s = m_storage->store();
    m_theme = s.setting(QStringLiteral("theme"), QStringLiteral("system"));
    m_fontSize = std::clamp(s.setting(QStringLiteral("fontSize"), QStringLiteral("14")).toInt(), 10, 24);
    m_systemPrompt = s.setting(QStringLiteral("systemPrompt"));
    m_personas = QJsonDocument::fromJson(s.setting(QStringLiteral("personas"), QStringLiteral("[]")).toUtf8())
                     .array().toVariantList();
    m_apiEnabled = s.setting(QStringLiteral("apiEnabled"), QStringLiteral("0")) == QLatin1String("1");
    m_apiPort = std::clamp(s.setting(QStringLiteral("apiPort"), QStringLiteral("8765")).toInt(), 1024, 65535);
    m_apiToken = s.setting(QStringLiteral("apiToken"));
    if (m_apiToken.isEmpty()) {
        m_apiToken = newApiToken();
        save(QStringLiteral("apiToken"), m_apiToken);
    }
    m_ocrEnabled = s.setting(QStringLiteral("ocrEnabled"), QStringLiteral("1")) == QLatin1String("1");
    m_ocrLanguage = s.setting(QStringLiteral("ocrLanguage"), QStringLiteral("eng"));
    m_embedderPath = s.setting(QStringLiteral("embedderPath"));
    m_remoteUrl = s.setting(QStringLiteral("remoteUrl"));
    m_remoteApiKey = s.setting(QStringLiteral("remoteApiKey"));
    m_remoteModel = s.setting(QStringLiteral("remoteModel"));
    m_remoteEmbeddings = s.setting(QStringLiteral("remoteEmbeddings"), QStringLiteral("0")) == QLatin1String("1");
    m_remoteEmbeddingModel = s.setting(QStringLiteral("remoteEmbeddingModel"));
    m_documentPasswords = QJsonDocument::fromJson(s.setting(QStringLiteral("documentPasswords"), QStringLiteral("{}")).toUtf8())
                              .object().toVariantMap();
    m_systemDark = darkMode();
    emit documentPasswordsChanged();
    emit themeChanged();
    emit fontSizeChanged();
    emit systemPromptChanged();
    emit personasChanged();
    emit apiChanged();
    emit ocrChanged();
    emit embedderChanged();
    emit remoteChanged();
    loadPreset();
}

void SettingsController::save(const QString& key, const QString& value) {
    if (m_storage) m_storage->store().setSetting(key, value);
}

bool SettingsController::change(QString& setting, const QString& value, const QString& key) {
    if (value == setting) return false;
    setting = value;
    save(key, value);
    return true;
}

void SettingsController::setTheme(const QString& theme) {
    const QString t = theme == QLatin1String("light") || theme == QLatin1String("dark") ? theme : QStringLiteral("system");
    if (t == m_theme) return;
    m_theme = t;
    save(QStringLiteral("theme"), t);
    m_systemDark = darkMode();
    emit themeChanged();
}

void SettingsController::setApiEnabled(bool enabled) {
    if (enabled == m_apiEnabled) return;
    m_apiEnabled = enabled;
    save(QStringLiteral("apiEnabled"), enabled ? QStringLiteral("1") : QStringLiteral("0"));
    emit apiChanged();
}

void SettingsController::setApiPort(int port) {
    port = std::clamp(port, 1024, 65535);
    if (port == m_apiPort) return;
    m_apiPort = port;
    save(QStringLiteral("apiPort"), QString::number(port));
    emit apiChanged();
}

void SettingsController::regenerateApiToken() {
    m_apiToken = newApiToken();
    save(QStringLiteral("apiToken"), m_apiToken);
    emit apiChanged();
}

void SettingsController::rememberDocumentPassword(const QString& path, const QString& password) {
    if (path.isEmpty()) return;
    m_documentPasswords.insert(path, password);
    save(QStringLiteral("documentPasswords"),
         QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(m_documentPasswords)).toJson(QJsonDocument::Compact)));
    emit documentPasswordsChanged();
}

void SettingsController::forgetDocumentPasswords() {
    m_documentPasswords.clear();
    save(QStringLiteral("documentPasswords"), QStringLiteral("{}"));
    emit documentPasswordsChanged();
}

void SettingsController::setOcrEnabled(bool enabled) {
    if (enabled == m_ocrEnabled) return;
    m_ocrEnabled = enabled;
    save(QStringLiteral("ocrEnabled"), enabled ? QStringLiteral("1") : QStringLiteral("0"));
    emit ocrChanged();
}

void SettingsController::setOcrLanguage(const QString& language) {
    static const QRegularExpression kValid(QStringLiteral("^[A-Za-z0-9_]+(\\+[A-Za-z0-9_]+)*$"));
    const QString l = language.trimmed();
    if (l == m_ocrLanguage || !kValid.match(l).hasMatch()) {
        emit ocrChanged();  // a refused value: bound fields show the kept one again
        return;
    }
    m_ocrLanguage = l;
    save(QStringLiteral("ocrLanguage"), l);
    emit ocrChanged();
}

void SettingsController::setEmbedderPath(const QString& pathOrUrl) {
    const QUrl url(pathOrUrl);
    const QString path = url.isLocalFile() ? url.toLocalFile() : pathOrUrl.trimmed();
    if (path == m_embedderPath || (!path.isEmpty() && !QFileInfo(path).isFile())) {
        emit embedderChanged();  // a refused value: bound fields show the kept one again
        return;
    }
    m_embedderPath = path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
    save(QStringLiteral("embedderPath"), m_embedderPath);
    emit embedderChanged();
}

void SettingsController::setRemoteUrl(const QString& url) {
    if (!change(m_remoteUrl, url.trimmed(), QStringLiteral("remoteUrl"))) return;
    emit remoteChanged();
    if (m_remoteEmbeddings) emit embedderChanged();  // the documents' embedder moved with it
}

void SettingsController::setRemoteApiKey(const QString& key) {
    if (change(m_remoteApiKey, key.trimmed(), QStringLiteral("remoteApiKey"))) emit remoteChanged();
}

void SettingsController::setRemoteEmbeddings(bool on) {
    if (on == m_remoteEmbeddings) return;
    m_remoteEmbeddings = on;
    save(QStringLiteral("remoteEmbeddings"), on ? QStringLiteral("1") : QStringLiteral("0"));
    emit embedderChanged();
}

void SettingsController::setRemoteEmbeddingModel(const QString& model) {
    if (change(m_remoteEmbeddingModel, model.trimmed(), QStringLiteral("remoteEmbeddingModel"))) emit embedderChanged();
}

QString SettingsController::documentEmbedder() const {
    if (m_remoteEmbeddings && !m_remoteUrl.isEmpty()) return remoteModelPath(m_remoteUrl, m_remoteEmbeddingModel);
    return m_embedderPath;
}

void SettingsController::setRemoteModel(const QString& model) {
    if (change(m_remoteModel, model.trimmed(), QStringLiteral("remoteModel"))) emit remoteChanged();
}

bool SettingsController::darkMode() const {
    if (m_theme == QLatin1String("dark")) return true;
    if (m_theme == QLatin1String("light")) return false;
    // Qt 6.4 has no colour-scheme hint: a dark system palette means a dark desktop.
    // (Without a QGuiApplication, in a Core-only program, there is no palette.)
    if (!qobject_cast<QGuiApplication*>(QCoreApplication::instance())) return false;
    return QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
}

void SettingsController::setFontSize(int pixels) {
    pixels = std::clamp(pixels, 10, 24);
    if (pixels == m_fontSize) return;
    m_fontSize = pixels;
    save(QStringLiteral("fontSize"), QString::number(pixels));
    emit fontSizeChanged();
}

void SettingsController::setSystemPrompt(const QString& prompt) {
    if (change(m_systemPrompt, prompt, QStringLiteral("systemPrompt"))) emit systemPromptChanged();
}

void SettingsController::savePersona(const QString& name) {
    const QString n = name.trimmed();
    if (n.isEmpty()) return;
    removePersona(n);
    m_personas.append(QVariantMap{{QStringLiteral("name"), n}, {QStringLiteral("prompt"), m_systemPrompt}});
    savePersonas();
}

void SettingsController::removePersona(const QString& name) {
    const auto it = std::remove_if(m_personas.begin(), m_personas.end(), [&](const QVariant& p) {
        return p.toMap().value(QStringLiteral("name")).toString() == name;
    });
    if (it == m_personas.end()) return;
    m_personas.erase(it, m_personas.end());
    savePersonas();
}

void SettingsController::applyPersona(const QString& name) {
    for (const QVariant& p : std::as_const(m_personas))
        if (p.toMap().value(QStringLiteral("name")).toString() == name)
            setSystemPrompt(p.toMap().value(QStringLiteral("prompt")).toString());
}

void SettingsController::savePersonas() {
    save(QStringLiteral("personas"),
         QString::fromUtf8(QJsonDocument(QJsonArray::fromVariantList(m_personas)).toJson(QJsonDocument::Compact)));
    emit personasChanged();
}

void SettingsController::setModelKey(const QString& key) {
    if (key == m_modelKey) return;
    m_modelKey = key;
    loadPreset();
}

void SettingsController::loadPreset() {
    m_params = defaultParams();
    if (m_storage && !m_modelKey.isEmpty()) {
        const QJsonObject saved =
            QJsonDocument::fromJson(m_storage->store().setting(presetKey(m_modelKey)).toUtf8()).object();
        for (auto it = saved.begin(); it != saved.end(); ++it)
            if (m_params.contains(it.key())) m_params.insert(it.key(), it.value().toVariant());
    }
    emit paramsChanged();
}

QString SettingsController::gpuMemoryText() const {
    return formatGpuMemory(m_params.value(QStringLiteral("gpuMemory")).toULongLong());
}

void SettingsController::setParamError(const QString& error) {
    if (error == m_paramError) return;
    m_paramError = error;
    emit paramErrorChanged();
}

bool SettingsController::refuseParam(const QString& error) {
    setParamError(error);
    emit paramsChanged();  // bound fields show the kept value again
    return false;
}

bool SettingsController::setParam(const QString& key, const QVariant& value) {
    QVariant v;
    if (key == QLatin1String("device")) {
        v = value.toString().trimmed().isEmpty() ? QStringLiteral("auto") : value.toString().trimmed();
    } else if (key == QLatin1String("gpuMemory")) {
        // Text from the settings field, or bytes (a stored preset, a conversation's params).
        const QString text = value.typeId() == QMetaType::QString ? value.toString()
                                                                  : QString::number(value.toDouble(), 'f', 0);
        quint64 bytes = 0;
        QString error;
        if (!parseGpuMemory(text, bytes, error))
            return refuseParam(tr("GPU memory: %1 Kept %2.").arg(error, gpuMemoryText()));
        v = static_cast<double>(bytes);
    } else {
        const Range* range = std::find_if(std::begin(kRanges), std::end(kRanges),
                                          [&](const Range& r) { return key == QLatin1String(r.key); });
        if (range == std::end(kRanges)) return false;
        bool ok = false;
        double d = value.toDouble(&ok);
        if (!ok) return false;
        d = std::clamp(d, range->min, range->max);
        v = range->integer ? QVariant(qRound(d)) : QVariant(d);
    }
    setParamError({});
    if (m_params.value(key) == v) return true;
    m_params.insert(key, v);
    if (!m_modelKey.isEmpty())
        save(presetKey(m_modelKey), QString::fromUtf8(QJsonDocument(paramsJson()).toJson(QJsonDocument::Compact)));
    emit paramsChanged();
    return true;
}

void SettingsController::resetParams() {
    m_params = defaultParams();
    if (!m_modelKey.isEmpty()) save(presetKey(m_modelKey), QStringLiteral("{}"));
    emit paramsChanged();
}

void SettingsController::applyConversation(const QString& systemPrompt, const QJsonObject& params) {
    setSystemPrompt(systemPrompt);
    for (auto it = params.begin(); it != params.end(); ++it) setParam(it.key(), it.value().toVariant());
}

GenerationOptions SettingsController::generationOptions() const {
    GenerationOptions g;
    g.temperature = m_params.value(QStringLiteral("temperature")).toDouble();
    g.topK = m_params.value(QStringLiteral("topK")).toInt();
    g.topP = m_params.value(QStringLiteral("topP")).toDouble();
    g.minP = m_params.value(QStringLiteral("minP")).toDouble();
    g.repeatPenalty = m_params.value(QStringLiteral("repeatPenalty")).toDouble();
    g.maxTokens = m_params.value(QStringLiteral("maxTokens")).toInt();
    g.draftTokens = m_params.value(QStringLiteral("draftTokens")).toInt();
    return g;
}

LoadOptions SettingsController::loadOptions() const {
    LoadOptions l;
    l.contextLength = m_params.value(QStringLiteral("contextLength")).toInt();
    l.threads = m_params.value(QStringLiteral("threads")).toInt();
    l.device = m_params.value(QStringLiteral("device")).toString();
    l.gpuLayers = m_params.value(QStringLiteral("gpuLayers")).toInt();
    l.gpuMemory = m_params.value(QStringLiteral("gpuMemory")).toULongLong();
    l.remoteApiKey = m_remoteApiKey;
    return l;
}
