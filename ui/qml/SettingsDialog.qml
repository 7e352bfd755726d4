// Settings (Ctrl+,): pages listed on the left. Look; system prompt and personas;
// the current model's sampling preset; how models load (device, GPU layers, GPU memory,
// threads, context: applied when the model is next loaded); documents (OCR, the
// search model); the local API for the office extension. Every change is saved at once.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Dialogs
import QtQuick.Layouts

Dialog {
    id: root
    property var settings            // SettingsController
    property var localApi            // LocalApiController
    property var devices: []         // ModelLibrary.devices
    property bool documentsAvailable: true
    property bool reloadNeeded: false
    property string modelName
    property bool remoteActive: false  // the chat runs on the remote server now
    signal reloadRequested()
    signal remoteRequested()           // use the remote server below
    signal localRequested()            // back to the local model

    title: qsTr("Settings")
    modal: true
    standardButtons: Dialog.Close
    width: Math.min(parent ? parent.width - 40 : 780, 780)
    height: Math.min(parent ? parent.height - 40 : 580, 580)
    anchors.centerIn: parent

    // One labelled numeric parameter of the preset.
    component ParamField: RowLayout {
        id: field
        property string key
        property string label
        property string hint
        Layout.fillWidth: true
        Label { text: field.label; Layout.preferredWidth: 150; color: Theme.text }
        TextField {
            objectName: "param_" + field.key
            Layout.preferredWidth: 110
            text: root.settings ? String(root.settings.params[field.key]) : ""
            color: Theme.text
            Accessible.name: field.label
            onEditingFinished: if (root.settings && !root.settings.setParam(field.key, text)) text = String(root.settings.params[field.key])
        }
        Label { text: field.hint; color: Theme.textMuted; font.pixelSize: Theme.smallFontSize; Layout.fillWidth: true; wrapMode: Text.Wrap }
    }
    // A note under a setting.
    component Hint: Label {
        Layout.fillWidth: true
        color: Theme.textMuted
        font.pixelSize: Theme.smallFontSize
        wrapMode: Text.Wrap
    }
    component Heading: Label {
        Layout.fillWidth: true
        font.bold: true
        color: Theme.text
        wrapMode: Text.Wrap
    }
    // A number with a word for its special value (0 or -1), no digit grouping.
    component NumberBox: SpinBox {
        id: box
        property int specialValue: 0
        property string specialText
        editable: true
        Layout.preferredWidth: 190
        textFromValue: (v, locale) => v === box.specialValue && box.specialText.length > 0 ? box.specialText : String(v)
        valueFromText: (text, locale) => text === box.specialText ? box.specialValue : (parseInt(text) || 0)
        validator: RegularExpressionValidator { regularExpression: /.*/ }  // words too; valueFromText decides
    }

    contentItem: RowLayout {
        spacing: 16
        ButtonGroup { id: pageGroup }
        ColumnLayout {
            id: pages
            objectName: "settingsPages"
            Layout.alignment: Qt.AlignTop
            Layout.minimumWidth: 170
            Layout.maximumWidth: 170
            spacing: 2
            property int current: 0
            Repeater {
                model: [qsTr("Appearance"), qsTr("System prompt"), qsTr("Parameters"), qsTr("Model loading"),
                        qsTr("Documents"), qsTr("Local API")]
                AppTabButton {
                    required property int index
                    required property string modelData
                    objectName: "settingsPage" + index
                    vertical: true
                    Layout.fillWidth: true
                    text: modelData
                    checked: pages.current === index
                    ButtonGroup.group: pageGroup
                    onCheckedChanged: if (checked) pages.current = index
                }
            }
        }
        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: pages.current

            // --- Appearance
            GridLayout {
                columns: 2
                columnSpacing: 16
                rowSpacing: 12
                Label { text: qsTr("Theme"); color: Theme.text }
                ComboBox {
                    objectName: "themeBox"
                    Accessible.name: qsTr("Theme")
                    model: [qsTr("Follow the system"), qsTr("Light"), qsTr("Dark")]
                    readonly property var values: ["system", "light", "dark"]
                    currentIndex: root.settings ? Math.max(0, values.indexOf(root.settings.theme)) : 0
                    onActivated: (i) => root.settings.theme = values[i]
                }
                Label { text: qsTr("Font size"); color: Theme.text }
                SpinBox {
                    objectName: "fontSizeBox"
                    Accessible.name: qsTr("Font size")
                    from: 10; to: 24
                    value: root.settings ? root.settings.fontSize : 14
                    onValueModified: root.settings.fontSize = value
                }
                Item { Layout.fillHeight: true }
            }

            // --- System prompt and personas
            ColumnLayout {
                spacing: 8
                Label {
                    text: qsTr("Sent before every conversation. Saved with each conversation.")
                    color: Theme.textMuted
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                ScrollView {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    TextArea {
                        id: promptArea
                        objectName: "systemPromptArea"
                        Accessible.name: qsTr("System prompt")
                        placeholderText: qsTr("You are a helpful assistant.")
                        placeholderTextColor: Theme.textMuted
                        wrapMode: TextArea.Wrap
                        color: Theme.text
                        text: root.settings ? root.settings.systemPrompt : ""
                        onTextChanged: if (root.settings && text !== root.settings.systemPrompt) root.settings.systemPrompt = text
                        background: Rectangle { color: Theme.surface; border.color: Theme.border; radius: 6 }
                    }
                }
                RowLayout {
                    Layout.fillWidth: true
                    ComboBox {
                        id: personaBox
                        Layout.fillWidth: true
                        Accessible.name: qsTr("Saved personas")
                        model: root.settings ? root.settings.personas : []
                        textRole: "name"
                        displayText: count > 0 ? currentText : qsTr("No saved personas")
                    }
                    Button { text: qsTr("Use"); enabled: personaBox.count > 0; onClicked: root.settings.applyPersona(personaBox.currentText) }
                    Button { text: qsTr("Delete"); enabled: personaBox.count > 0; onClicked: root.settings.removePersona(personaBox.currentText) }
                }
                RowLayout {
                    Layout.fillWidth: true
                    TextField {
                        id: personaName
                        Layout.fillWidth: true
                        placeholderText: qsTr("Persona name")
                        Accessible.name: qsTr("Persona name")
                        color: Theme.text
                    }
                    Button {
                        text: qsTr("Save as persona")
                        enabled: personaName.text.trim().length > 0
                        onClicked: { root.settings.savePersona(personaName.text); personaName.text = "" }
                    }
                }
            }

            // --- Parameters of the current model
            ScrollView {
                id: paramsView
                clip: true
                ColumnLayout {
                    width: paramsView.availableWidth - 12
                    spacing: 6
                    Label {
                        Layout.fillWidth: true
                        text: qsTr("Preset for %1").arg(root.modelName || qsTr("the current model"))
                        font.bold: true
                        color: Theme.text
                        wrapMode: Text.Wrap
                    }
                    ParamField { key: "temperature"; label: qsTr("Temperature"); hint: qsTr("0 = greedy, up to 2") }
                    ParamField { key: "topK"; label: qsTr("Top-k"); hint: qsTr("0 = off") }
                    ParamField { key: "topP"; label: qsTr("Top-p"); hint: qsTr("1 = off") }
                    ParamField { key: "minP"; label: qsTr("Min-p"); hint: qsTr("0 = off") }
                    ParamField { key: "repeatPenalty"; label: qsTr("Repeat penalty"); hint: qsTr("1 = off") }
                    ParamField { key: "maxTokens"; label: qsTr("Max tokens"); hint: qsTr("per answer; 0 = until done") }
                    ParamField {
                        key: "draftTokens"; label: qsTr("Speculative guesses")
                        hint: qsTr("0 = off; 2-4 speed up answers that repeat your text, never change them")
                    }
                    Button { text: qsTr("Reset to defaults"); onClicked: root.settings.resetParams() }
                }
            }

            // --- How the model loads (the preset's load options)
            ScrollView {
                id: loadingView
                clip: true
                GridLayout {
                    width: loadingView.availableWidth - 12
                    columns: 2
                    columnSpacing: 16
                    rowSpacing: 8
                    Heading {
                        Layout.columnSpan: 2
                        text: qsTr("Loading %1").arg(root.modelName || qsTr("the current model"))
                    }
                    Hint {
                        Layout.columnSpan: 2
                        text: qsTr("Saved for this model. Changes take effect when the model is next loaded.")
                    }
                    Label { text: qsTr("Device"); color: Theme.text }
                    ComboBox {
                        id: deviceBox
                        objectName: "deviceBox"
                        Accessible.name: qsTr("Device")
                        Layout.fillWidth: true
                        textRole: "label"
                        valueRole: "id"
                        model: [{ id: "auto", label: qsTr("Automatic (the GPU with most free memory, else the CPU)") },
                                { id: "cpu", label: qsTr("CPU only") }]
                               .concat(root.devices.filter(d => d.id !== "cpu")
                                                  .map(d => ({ id: d.id, label: d.name + " (" + d.id + ")" })))
                        readonly property string wanted: root.settings ? String(root.settings.params.device) : "auto"
                        currentIndex: Math.max(0, indexOfValue(wanted))
                        onActivated: root.settings.setParam("device", currentValue)
                    }
                    Label { text: qsTr("GPU layers"); color: Theme.text }
                    NumberBox {
                        objectName: "gpuLayersBox"
                        Accessible.name: qsTr("GPU layers")
                        from: -1; to: 999
                        specialValue: -1; specialText: qsTr("all that fit")
                        value: root.settings ? root.settings.params.gpuLayers : -1
                        onValueModified: root.settings.setParam("gpuLayers", value)
                    }
                    Item { width: 1; height: 1 }
                    Hint { text: qsTr("Layers placed on the GPU; 0 keeps the model on the CPU.") }
                    Label { text: qsTr("GPU memory"); color: Theme.text }
                    TextField {
                        id: gpuMemoryField
                        objectName: "gpuMemoryField"
                        Accessible.name: qsTr("GPU memory for the model")
                        Layout.fillWidth: true
                        placeholderText: qsTr("auto")
                        text: root.settings ? root.settings.gpuMemoryText : "auto"
                        onEditingFinished: {
                            root.settings.setParam("gpuMemory", text)
                            text = Qt.binding(() => root.settings ? root.settings.gpuMemoryText : "auto")
                        }
                    }
                    Item { width: 1; height: 1; visible: gpuMemoryError.visible }  // a grid cell only with the error
                    Label {
                        id: gpuMemoryError
                        objectName: "gpuMemoryError"
                        Layout.fillWidth: true
                        visible: !!root.settings && root.settings.paramError !== ""
                        text: root.settings ? root.settings.paramError : ""
                        color: Theme.danger
                        wrapMode: Text.Wrap
                    }
                    Item { width: 1; height: 1 }
                    Hint {
                        text: qsTr("How much of the GPU's memory the model may fill: its layers, the conversation's cache and, for a mixture-of-experts model whose experts stay in RAM, the experts it uses most. A size like 12 GB or 512 MB; auto: 90% of what the GPU has free when the model loads.")
                    }
                    Label { text: qsTr("Threads"); color: Theme.text }
                    NumberBox {
                        objectName: "threadsBox"
                        Accessible.name: qsTr("Threads")
                        from: 0; to: 512
                        specialValue: 0; specialText: qsTr("automatic")
                        value: root.settings ? root.settings.params.threads : 0
                        onValueModified: root.settings.setParam("threads", value)
                    }
                    Item { width: 1; height: 1 }
                    Hint { text: qsTr("CPU threads; automatic uses one per physical core.") }
                    Label { text: qsTr("Context size"); color: Theme.text }
                    NumberBox {
                        objectName: "contextBox"
                        Accessible.name: qsTr("Context size")
                        from: 0; to: 1048576; stepSize: 1024
                        specialValue: 0; specialText: qsTr("model's")
                        value: root.settings ? root.settings.params.contextLength : 0
                        onValueModified: root.settings.setParam("contextLength", value)
                    }
                    Item { width: 1; height: 1 }
                    Hint { text: qsTr("Tokens the conversation can hold; the model's own, at most 4096, by default. More needs more memory.") }
                    Label {
                        Layout.columnSpan: 2
                        Layout.fillWidth: true
                        objectName: "reloadNotice"
                        visible: root.reloadNeeded
                        text: qsTr("Changed since the model was loaded: reload it to apply.")
                        color: Theme.demoText
                        wrapMode: Text.Wrap
                    }
                    RowLayout {
                        Layout.columnSpan: 2
                        Button { text: qsTr("Reload the model now"); highlighted: root.reloadNeeded; onClicked: root.reloadRequested() }
                        Button { text: qsTr("Reset to defaults"); onClicked: root.settings.resetParams() }
                    }

                    Heading { Layout.columnSpan: 2; topPadding: 12; text: qsTr("Remote server") }
                    Hint {
                        Layout.columnSpan: 2
                        text: qsTr("Chat with a model on another computer or service (vLLM, llama-server, Ollama, or assistant-cli serve) through its OpenAI-compatible API. Conversations and documents stay here; each message you send goes to that server, with the passages found in your documents when “Use my documents” is on.")
                    }
                    Label { text: qsTr("Address"); color: Theme.text }
                    TextField {
                        objectName: "remoteUrlField"
                        Accessible.name: qsTr("Remote server address")
                        Layout.fillWidth: true
                        color: Theme.text
                        placeholderText: "http://gpu-box:8000/v1"
                        text: root.settings ? root.settings.remoteUrl : ""
                        onEditingFinished: root.settings.remoteUrl = text
                    }
                    Label { text: qsTr("API key"); color: Theme.text }
                    TextField {
                        objectName: "remoteKeyField"
                        Accessible.name: qsTr("Remote server API key")
                        Layout.fillWidth: true
                        color: Theme.text
                        echoMode: TextInput.Password
                        placeholderText: qsTr("none")
                        text: root.settings ? root.settings.remoteApiKey : ""
                        onEditingFinished: root.settings.remoteApiKey = text
                    }
                    Label { text: qsTr("Model"); color: Theme.text }
                    TextField {
                        objectName: "remoteModelField"
                        Accessible.name: qsTr("Remote model")
                        Layout.fillWidth: true
                        color: Theme.text
                        placeholderText: qsTr("the server's first")
                        text: root.settings ? root.settings.remoteModel : ""
                        onEditingFinished: root.settings.remoteModel = text
                    }
                    RowLayout {
                        Layout.columnSpan: 2
                        Button {
                            objectName: "useRemoteButton"
                            text: qsTr("Use the remote server")
                            enabled: root.settings ? root.settings.remoteUrl.length > 0 : false
                            onClicked: root.remoteRequested()
                        }
                        Button {
                            objectName: "useLocalButton"
                            text: qsTr("Use the local model")
                            visible: root.remoteActive
                            onClicked: root.localRequested()
                        }
                    }
                }
            }

            // --- Documents
            ColumnLayout {
                spacing: 8
                Heading { text: qsTr("Reading documents") }
                Hint {
                    visible: !root.documentsAvailable
                    text: qsTr("This build has no document index.")
                }
                Switch {
                    id: ocrSwitch
                    objectName: "ocrSwitch"
                    text: qsTr("Read scanned pages with OCR")
                    Accessible.name: text
                    enabled: root.documentsAvailable
                    checked: root.settings ? root.settings.ocrEnabled : true
                    onToggled: root.settings.ocrEnabled = checked
                    contentItem: Label {
                        leftPadding: ocrSwitch.indicator.width + 8
                        text: ocrSwitch.text
                        color: Theme.text
                        verticalAlignment: Text.AlignVCenter
                    }
                }
                Hint { text: qsTr("Pages without a text layer (scans, photos) are recognized with Tesseract; slower to index.") }
                RowLayout {
                    Label { text: qsTr("OCR language"); color: Theme.text; Layout.preferredWidth: 150 }
                    TextField {
                        id: ocrLanguage
                        objectName: "ocrLanguageField"
                        Accessible.name: qsTr("OCR language")
                        enabled: root.documentsAvailable && ocrSwitch.checked
                        Layout.preferredWidth: 160
                        color: Theme.text
                        text: root.settings ? root.settings.ocrLanguage : "eng"
                        onEditingFinished: { root.settings.ocrLanguage = text; text = root.settings.ocrLanguage }
                    }
                }
                Hint { text: qsTr("Tesseract language codes: eng, deu, fra, spa…; several with +, like eng+fra. Applies to documents indexed from now on.") }
                Heading { text: qsTr("PDF passwords"); topPadding: 8 }
                Hint {
                    text: qsTr("A password-protected PDF asks for its password when it is added. It is kept only if you tick “Remember”. Kept now: %1.")
                          .arg(root.settings ? Object.keys(root.settings.documentPasswords).length : 0)
                }
                Button {
                    objectName: "forgetPasswordsButton"
                    text: qsTr("Forget kept passwords")
                    enabled: root.settings && Object.keys(root.settings.documentPasswords).length > 0
                    onClicked: root.settings.forgetDocumentPasswords()
                }
                Heading { text: qsTr("Search model"); topPadding: 8 }
                RowLayout {
                    Label {
                        objectName: "embedderLabel"
                        Layout.fillWidth: true
                        text: root.settings && root.settings.embedderPath.length > 0
                              ? root.settings.embedderPath.split("/").pop() : qsTr("Built-in (English)")
                        color: Theme.text
                        elide: Text.ElideMiddle
                    }
                    Button {
                        objectName: "chooseEmbedderButton"
                        text: qsTr("Choose…")
                        enabled: root.documentsAvailable
                        onClicked: embedderDialog.open()
                    }
                    Button {
                        objectName: "builtinEmbedderButton"
                        text: qsTr("Use built-in")
                        visible: root.settings ? root.settings.embedderPath.length > 0 : false
                        onClicked: root.settings.embedderPath = ""
                    }
                }
                Hint {
                    text: qsTr("An embedding model (GGUF) finds passages by meaning as well as by their words. The built-in one understands English; for documents in other languages choose a multilingual one (multilingual-e5, bge-m3). Questions in a language the model does not know are searched by words. Your documents are prepared for a new model in the background.")
                }
                Switch {
                    id: remoteEmbeddingsSwitch
                    objectName: "remoteEmbeddingsSwitch"
                    text: qsTr("Use the remote server for search vectors")
                    Accessible.name: text
                    enabled: root.documentsAvailable && root.settings && root.settings.remoteUrl.length > 0
                    checked: root.settings ? root.settings.remoteEmbeddings : false
                    onToggled: root.settings.remoteEmbeddings = checked
                    contentItem: Label {
                        leftPadding: remoteEmbeddingsSwitch.indicator.width + 8
                        text: remoteEmbeddingsSwitch.text
                        color: Theme.text
                        verticalAlignment: Text.AlignVCenter
                    }
                }
                TextField {
                    objectName: "remoteEmbeddingModelField"
                    Accessible.name: qsTr("Remote embedding model")
                    Layout.fillWidth: true
                    visible: root.settings ? root.settings.remoteEmbeddings : false
                    placeholderText: qsTr("Embedding model on the server (empty: its default)")
                    text: root.settings ? root.settings.remoteEmbeddingModel : ""
                    onEditingFinished: root.settings.remoteEmbeddingModel = text
                }
                Hint {
                    objectName: "remoteEmbeddingsHint"
                    text: root.settings && root.settings.remoteEmbeddings && root.settings.remoteUrl.length > 0
                          ? qsTr("Your documents leave this computer: the text of every indexed passage, and each question you ask about them, is sent to %1 to compute its search vectors. Turn this off to keep them here (your documents are then prepared again with the local model).").arg(root.settings.remoteUrl)
                          : qsTr("Off: your documents never leave this computer. On: the text of every indexed passage, and each question about them, is sent to the remote server (Model loading › Remote server) to compute search vectors there.")
                }
                FileDialog {
                    id: embedderDialog
                    title: qsTr("Choose an embedding model")
                    nameFilters: [qsTr("GGUF models (*.gguf)")]
                    onAccepted: root.settings.embedderPath = selectedFile
                }
                Item { Layout.fillHeight: true }
            }

            // --- Local API
            ScrollView {
                id: apiView
                clip: true
                ColumnLayout {
                    width: apiView.availableWidth - 12
                    spacing: 8
                    Heading { text: qsTr("Local API") }
                    Hint {
                        text: qsTr("An OpenAI-compatible server on this computer (127.0.0.1 only) for the LibreOffice extension and other apps. It answers with the model loaded here.")
                    }
                    Switch {
                        id: apiSwitch
                        objectName: "apiSwitch"
                        text: qsTr("Serve the local API")
                        Accessible.name: text
                        enabled: root.localApi ? root.localApi.available : false
                        checked: root.settings ? root.settings.apiEnabled : false
                        onToggled: root.settings.apiEnabled = checked
                        contentItem: Label {
                            leftPadding: apiSwitch.indicator.width + 8
                            text: apiSwitch.text
                            color: Theme.text
                            verticalAlignment: Text.AlignVCenter
                        }
                    }
                    Label {
                        objectName: "apiStatus"
                        Layout.fillWidth: true
                        text: root.localApi ? root.localApi.statusText : ""
                        color: root.localApi && root.localApi.errorText.length > 0 ? Theme.danger
                               : root.localApi && root.localApi.running ? Theme.success : Theme.textMuted
                        wrapMode: Text.Wrap
                    }
                    GridLayout {
                        Layout.fillWidth: true
                        columns: 3
                        columnSpacing: 12
                        rowSpacing: 8
                        Label { text: qsTr("Port"); color: Theme.text }
                        NumberBox {
                            objectName: "apiPortBox"
                            Accessible.name: qsTr("Port")
                            from: 1024; to: 65535
                            value: root.settings ? root.settings.apiPort : 8765
                            onValueModified: root.settings.apiPort = value
                        }
                        Item { Layout.fillWidth: true; height: 1 }
                        Label { text: qsTr("URL"); color: Theme.text }
                        TextField {
                            objectName: "apiUrlField"
                            Accessible.name: qsTr("URL for the office extension")
                            Layout.fillWidth: true
                            readOnly: true
                            selectByMouse: true
                            color: Theme.text
                            font.family: Theme.monoFamily
                            text: root.localApi ? root.localApi.url : ""
                        }
                        Button { text: qsTr("Copy"); Accessible.name: qsTr("Copy the URL"); onClicked: root.localApi.copyToClipboard(root.localApi.url) }
                        Label { text: qsTr("Token"); color: Theme.text }
                        TextField {
                            objectName: "apiTokenField"
                            Accessible.name: qsTr("API token")
                            Layout.fillWidth: true
                            readOnly: true
                            selectByMouse: true
                            color: Theme.text
                            font.family: Theme.monoFamily
                            text: root.settings ? root.settings.apiToken : ""
                            onTextChanged: cursorPosition = 0  // show the start, not the end
                        }
                        RowLayout {
                            Button { text: qsTr("Copy"); Accessible.name: qsTr("Copy the token"); onClicked: root.localApi.copyToClipboard(root.settings.apiToken) }
                            Button {
                                objectName: "regenerateTokenButton"
                                text: qsTr("Regenerate")
                                Accessible.name: qsTr("Make a new token")
                                onClicked: root.settings.regenerateApiToken()
                            }
                        }
                    }
                    Hint {
                        text: qsTr("In Writer: Assistant › Settings, paste the URL as the server URL and the token as the token. Other OpenAI clients use the base URL %1/v1 and the token as API key. A new token stops the old one at once.")
                              .arg(root.localApi ? root.localApi.url : "")
                    }
                }
            }
        }
    }
}
