// Settings (Ctrl+,): look, system prompt and personas, and the current model's
// parameter preset. Every change is saved at once; load parameters (context,
// threads, device, GPU layers) apply when the model is reloaded.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

Dialog {
    id: root
    property var settings            // SettingsController
    property string modelName
    signal reloadRequested()

    title: qsTr("Settings")
    modal: true
    standardButtons: Dialog.Close
    width: Math.min(parent ? parent.width - 40 : 640, 640)
    height: Math.min(parent ? parent.height - 40 : 560, 560)
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

    contentItem: ColumnLayout {
        spacing: 10
        TabBar {
            id: tabs
            Layout.fillWidth: true
            TabButton { text: qsTr("Appearance") }
            TabButton { text: qsTr("System prompt") }
            TabButton { text: qsTr("Parameters") }
        }
        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: tabs.currentIndex

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
                clip: true
                ColumnLayout {
                    width: root.availableWidth - 20
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
                    Label { text: qsTr("Loading (applied on reload)"); font.bold: true; color: Theme.text; topPadding: 8 }
                    ParamField { key: "contextLength"; label: qsTr("Context length"); hint: qsTr("tokens; 0 = model's, at most 4096") }
                    ParamField { key: "threads"; label: qsTr("Threads"); hint: qsTr("0 = physical cores") }
                    ParamField { key: "device"; label: qsTr("Device"); hint: qsTr("auto, cpu, or an id from Models › Devices") }
                    ParamField { key: "gpuLayers"; label: qsTr("GPU layers"); hint: qsTr("-1 = as many as fit, 0 = CPU only") }
                    RowLayout {
                        Button { text: qsTr("Reload model"); onClicked: root.reloadRequested() }
                        Button { text: qsTr("Reset to defaults"); onClicked: root.settings.resetParams() }
                    }
                }
            }
        }
    }
}
