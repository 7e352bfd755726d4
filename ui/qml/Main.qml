// The main window: conversations on the left; header, loading/error strip,
// conversation and composer on the right; Settings and Models as dialogs.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QtQuick.Dialogs
import Assistant

ApplicationWindow {
    id: window
    objectName: "mainWindow"
    width: 1100
    height: 720
    minimumWidth: 640
    minimumHeight: 480
    visible: true
    color: Theme.window
    title: qsTr("Assistant") + (models.modelName ? " — " + models.modelName : "")

    // Basic-style controls (dialogs, menus, fields) follow the theme through the palette.
    palette.window: Theme.surface
    palette.windowText: Theme.text
    palette.base: Theme.surface
    palette.alternateBase: Theme.surfaceAlt
    palette.text: Theme.text
    palette.button: Theme.surfaceAlt
    palette.buttonText: Theme.text
    palette.highlight: Theme.accent
    palette.highlightedText: Theme.accentText
    palette.placeholderText: Theme.textMuted
    palette.brightText: Theme.accentText  // Basic: text on palette.dark (highlighted buttons)
    palette.mid: Theme.border
    palette.light: Theme.surface
    palette.dark: Theme.accent  // Basic: progress fill, switch checked, highlighted buttons
    palette.toolTipBase: Theme.surface
    palette.toolTipText: Theme.text
    font.pixelSize: Theme.fontSize

    AppStorage { id: storage }
    SettingsController { id: settings; objectName: "settings"; storage: storage }
    ModelController { id: models }
    ModelLibrary {
        id: library
        storage: storage
        device: settings.params.device !== undefined ? String(settings.params.device) : "auto"
        gpuMemory: settings.params.gpuMemory !== undefined ? Number(settings.params.gpuMemory) : 0
    }
    DocumentsController {
        id: documents
        objectName: "documents"
        ocrEnabled: settings.ocrEnabled
        ocrLanguage: settings.ocrLanguage
        embedderPath: settings.documentEmbedder  // a file, or the remote server's embeddings when chosen
        embedderApiKey: settings.remoteApiKey
        // a local embedder runs where the chat model does (GPU when the setting allows one)
        embedderDevice: settings.params.device !== undefined ? String(settings.params.device) : "auto"
        savedPasswords: settings.documentPasswords
        onPasswordNeeded: (path, retry) => documentsDialog.askPassword(path, retry)
        onRememberPasswordRequested: (path, password) => settings.rememberDocumentPassword(path, password)
    }
    ChatController {
        id: chat
        objectName: "chat"
        settings: settings
        documents: documents
        storage: storage
        models: models
    }

    LocalApiController {
        id: localApi
        objectName: "localApi"
        settings: settings
        modelPath: chat.loadedModelPath
        documentsDb: documents.available ? documents.databasePath : ""
    }

    Binding { target: Theme; property: "dark"; value: settings.darkMode }
    Binding { target: Theme; property: "fontSize"; value: settings.fontSize }

    FileDialog {
        id: openDialog
        title: qsTr("Open a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: {
            library.add(selectedFile)
            models.openModel(selectedFile)
        }
    }
    FileDialog {
        id: exportDialog
        title: qsTr("Export the conversation")
        fileMode: FileDialog.SaveFile
        defaultSuffix: "md"
        nameFilters: [qsTr("Markdown (*.md)")]
        onAccepted: chat.conversations.exportTo(selectedFile)
    }
    SettingsDialog {
        id: settingsDialog
        objectName: "settingsDialog"
        settings: settings
        localApi: localApi
        devices: library.devices
        documentsAvailable: documents.available
        reloadNeeded: chat.reloadNeeded
        modelName: chat.loadedModelName
        remoteActive: chat.remote
        onReloadRequested: chat.reloadModel()
        onRemoteRequested: chat.connectRemote()
        onLocalRequested: chat.loadModel(models.modelPath)
    }
    ModelsDialog {
        id: modelsDialog
        library: library
        objectName: "modelsDialog"
        currentPath: chat.loadedModelPath
        runningDevice: chat.device
        onLoadRequested: (path) => models.openModel("file://" + path)
    }

    DocumentsDialog {
        id: documentsDialog
        objectName: "documentsDialog"
        documents: documents
        canSummarize: chat.canSend
        onSummarizeRequested: (documentId, fileName) => chat.summarizeDocument(documentId, fileName)
    }
    Loader {
        id: sourceViewer
        objectName: "sourceViewer"
        active: false
        source: "SourceViewer.qml"
        property var pending: ({})
        function show(s) { pending = s; active = true; if (item) { item.source = s; item.open() } }
        onLoaded: { item.parent = window.contentItem; item.source = pending; item.open() }
    }

    Shortcut { sequence: "Ctrl+O"; onActivated: openDialog.open() }
    Shortcut { sequence: "Ctrl+N"; onActivated: { chat.conversations.startNew(); composer.focusInput() } }
    Shortcut { sequence: "Ctrl+F"; onActivated: { sidebar.visible = true; sidebar.focusSearch() } }
    Shortcut { sequence: "Ctrl+,"; onActivated: settingsDialog.open() }
    Shortcut { sequence: "Ctrl+Shift+C"; onActivated: chat.conversations.copy() }
    Shortcut { sequence: StandardKey.Cancel; enabled: chat.busy; onActivated: chat.stop() }

    header: AppHeader {
        modelName: chat.remote ? chat.loadedModelName : models.modelName
        isDemo: !chat.remote && models.isDemo
        isRemote: chat.remote
        explanation: chat.remote
                     ? qsTr("Remote model: your messages, and with “Use my documents” the passages found in them, are sent to %1.").arg(chat.remoteHost)
                     : models.statusText
        conversationTitle: chat.conversations.currentTitle
        onOpenRequested: openDialog.open()
        onModelsRequested: modelsDialog.open()
        onDocumentsRequested: documentsDialog.open()
        onSettingsRequested: settingsDialog.open()
        onCopyConversationRequested: chat.conversations.copy()
        onExportRequested: exportDialog.open()
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        Sidebar {
            id: sidebar
            Layout.fillHeight: true
            Layout.preferredWidth: window.width < 900 ? 210 : 260
            visible: window.width >= 720
            conversations: chat.conversations.list
            currentId: chat.conversations.currentId
            canSwitch: !(chat.state === ChatController.Generating || chat.state === ChatController.Stopping)
            onNewRequested: { chat.conversations.startNew(); composer.focusInput() }
            onOpenRequested: (id) => chat.conversations.open(id)
            onRenameRequested: (id, title) => chat.conversations.rename(id, title)
            onDeleteRequested: (id) => chat.conversations.remove(id)
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            StatusBanner {
                Layout.fillWidth: true
                Layout.leftMargin: 24
                Layout.rightMargin: 24
                Layout.topMargin: visible ? 12 : 0
                loading: chat.state === ChatController.Loading
                progress: chat.loadProgress
                errorText: chat.errorText || storage.errorText
                onCancelRequested: chat.stop()
                onDismissRequested: chat.dismissError()
            }

            ChatView {
                id: chatView
                Layout.fillWidth: true
                Layout.fillHeight: true
                model: chat.messages
                generating: chat.state === ChatController.Generating || chat.state === ChatController.Stopping
                canAct: chat.canSend
                emptyText: chat.canSend ? qsTr("Start a conversation below.")
                                        : qsTr("Load a model to start a conversation.")
                onCopyRequested: (row) => chat.conversations.copyMessage(row)
                onCopyTextRequested: (text) => chat.conversations.copyText(text)
                onRegenerateRequested: chat.regenerate()
                onEditRequested: (row, text) => chat.editMessage(row, text)
                onSourceRequested: (source) => sourceViewer.show(source)
            }

            RowLayout {
                Layout.fillWidth: true
                Layout.leftMargin: 24
                Layout.rightMargin: 24
                visible: documents.available
                Switch {
                    id: useDocs
                    objectName: "useDocumentsSwitch"
                    text: qsTr("Use my documents")
                    Accessible.name: text
                    checked: chat.useDocuments
                    onToggled: chat.useDocuments = checked
                    font.pixelSize: Theme.smallFontSize + 1
                    contentItem: Label {
                        leftPadding: useDocs.indicator.width + 6
                        text: useDocs.text
                        color: Theme.textMuted
                        font: useDocs.font
                        verticalAlignment: Text.AlignVCenter
                    }
                }
                Label {
                    visible: chat.useDocuments
                    objectName: "documentsStateLabel"
                    text: (documents.documents.count > 0 ? qsTr("%n document(s) indexed", "", documents.documents.count)
                                                         : qsTr("No documents yet: add some in Documents."))
                          + (documents.remoteEmbedderHost.length > 0
                             ? " · " + qsTr("searched with vectors from %1: your question is sent there").arg(documents.remoteEmbedderHost)
                             : "")
                    color: Theme.textMuted
                    font.pixelSize: Theme.smallFontSize
                }
                Item { Layout.fillWidth: true }
            }

            Composer {
                id: composer
                Layout.fillWidth: true
                canSend: chat.canSend
                busy: chat.state === ChatController.Generating || chat.state === ChatController.Stopping
                onSendRequested: (text) => { chatView.scrollToEnd(); chat.send(text) }
                onStopRequested: chat.stop()
            }
        }
    }

    // Drop GGUF files or folders anywhere: they join the model list; a single
    // file is loaded.
    DropArea {
        anchors.fill: parent
        keys: ["text/uri-list"]
        onDropped: (drop) => {
            if (!drop.hasUrls) return
            // GGUF files and folders join the model list; other files are documents.
            const ggufs = drop.urls.filter(u => String(u).toLowerCase().endsWith(".gguf"))
            const others = drop.urls.filter(u => !String(u).toLowerCase().endsWith(".gguf"))
            if (ggufs.length === 1 && others.length === 0) {
                library.addUrls(ggufs)
                models.openModel(ggufs[0])
            } else if (ggufs.length > 0) {
                library.addUrls(ggufs)
                modelsDialog.open()
            }
            if (others.length > 0 && documents.available) {
                documents.add(others)
                chat.useDocuments = true
            }
            drop.accept()
        }
    }

    Component.onCompleted: composer.focusInput()
}
