// Models: the GGUF files the user opened (file or folder, dialog or drag and
// drop) with what they are and whether they fit at the chosen context, and the
// devices the engine can use.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QtQuick.Dialogs

Dialog {
    id: root
    property var library             // ModelLibrary
    property string currentPath
    property string runningDevice    // from the last stats line
    signal loadRequested(string path)

    title: qsTr("Models and devices")
    modal: true
    standardButtons: Dialog.Close
    width: Math.min(parent ? parent.width - 40 : 760, 760)
    height: Math.min(parent ? parent.height - 40 : 600, 600)
    anchors.centerIn: parent

    FileDialog {
        id: fileDialog
        title: qsTr("Add a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: root.library.add(selectedFile)
    }
    FolderDialog {
        id: folderDialog
        title: qsTr("Add a folder of GGUF models")
        onAccepted: root.library.add(selectedFolder)
    }

    contentItem: ColumnLayout {
        spacing: 8
        TabBar {
            id: tabs
            Layout.fillWidth: true
            AppTabButton { text: qsTr("Models") }
            AppTabButton { text: qsTr("Devices") }
        }
        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: tabs.currentIndex

            ColumnLayout {
                spacing: 8
                RowLayout {
                    Layout.fillWidth: true
                    Button { text: qsTr("Add file…"); onClicked: fileDialog.open() }
                    Button { text: qsTr("Add folder…"); onClicked: folderDialog.open() }
                    Item { Layout.fillWidth: true }
                    Label { text: qsTr("Context for the estimate"); color: Theme.textMuted }
                    SpinBox {
                        Accessible.name: qsTr("Context length for the estimate")
                        from: 0; to: 131072; stepSize: 1024; editable: true
                        value: root.library ? root.library.contextLength : 0
                        textFromValue: (v, locale) => v === 0 ? qsTr("default") : String(v)
                        valueFromText: (text, locale) => text === qsTr("default") ? 0 : parseInt(text) || 0
                        onValueModified: root.library.contextLength = value
                    }
                }
                Label {
                    Layout.fillWidth: true
                    visible: root.library && root.library.lastError.length > 0
                    text: root.library ? root.library.lastError : ""
                    color: Theme.danger
                    wrapMode: Text.Wrap
                }
                ListView {
                    id: modelList
                    objectName: "modelList"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    spacing: 6
                    model: root.library
                    ScrollBar.vertical: ScrollBar { }
                    Accessible.name: qsTr("Models")
                    delegate: Rectangle {
                        id: card
                        required property int index
                        required property string path
                        required property string name
                        required property string architecture
                        required property string parameters
                        required property string quantization
                        required property string fileSize
                        required property int contextLength
                        required property string status
                        required property string error
                        required property string fit
                        required property bool fits
                        required property string placement
                        required property string speed
                        width: ListView.view.width
                        height: cardColumn.implicitHeight + 16
                        radius: 8
                        color: path === root.currentPath ? Theme.accentSoft : Theme.surface
                        border.color: Theme.border
                        ColumnLayout {
                            id: cardColumn
                            x: 10; y: 8
                            width: parent.width - 20
                            spacing: 2
                            RowLayout {
                                Layout.fillWidth: true
                                Label { text: card.name; font.bold: true; color: Theme.text; elide: Text.ElideRight; Layout.fillWidth: true }
                                Button {
                                    text: card.path === root.currentPath ? qsTr("Loaded") : qsTr("Load")
                                    enabled: card.status === "ready" && card.path !== root.currentPath
                                    Accessible.name: qsTr("Load %1").arg(card.name)
                                    onClicked: root.loadRequested(card.path)
                                }
                                IconButton { text: qsTr("Remove"); Accessible.name: qsTr("Remove %1 from the list").arg(card.name); onClicked: root.library.remove(card.index) }
                            }
                            Label {
                                Layout.fillWidth: true
                                text: card.status === "inspecting" ? qsTr("Reading…")
                                      : [card.architecture, card.parameters ? qsTr("%1 parameters").arg(card.parameters) : "",
                                         card.quantization, card.fileSize,
                                         card.contextLength > 0 ? qsTr("context %1").arg(card.contextLength) : ""]
                                        .filter(s => s.length > 0).join(" · ")
                                color: Theme.textMuted
                                font.pixelSize: Theme.smallFontSize
                                elide: Text.ElideRight
                            }
                            Label {
                                Layout.fillWidth: true
                                visible: text.length > 0
                                text: card.status === "unsupported" ? card.error : card.fit
                                color: card.status === "unsupported" || !card.fits ? Theme.danger : Theme.success
                                font.pixelSize: Theme.smallFontSize
                                wrapMode: Text.Wrap
                            }
                            Label {
                                Layout.fillWidth: true
                                visible: card.status === "ready"
                                text: card.placement.length === 0 ? qsTr("Estimating placement and speed…")
                                      : [card.placement, card.speed].filter(s => s.length > 0).join(" · ")
                                color: Theme.textMuted
                                font.pixelSize: Theme.smallFontSize
                                wrapMode: Text.Wrap
                                Accessible.name: qsTr("Placement and expected speed")
                            }
                            Label { text: card.path; color: Theme.textMuted; font.pixelSize: Theme.smallFontSize - 1; elide: Text.ElideMiddle; Layout.fillWidth: true }
                        }
                    }
                    Label {
                        anchors.centerIn: parent
                        width: parent.width - 40
                        visible: modelList.count === 0
                        horizontalAlignment: Text.AlignHCenter
                        text: qsTr("Add a GGUF file or a folder of them, or drop them on the window.")
                        color: Theme.textMuted
                        wrapMode: Text.Wrap
                    }
                }
            }

            ColumnLayout {
                spacing: 8
                Label {
                    Layout.fillWidth: true
                    wrapMode: Text.Wrap
                    color: Theme.text
                    text: (root.runningDevice.length > 0 ? qsTr("The model runs on %1. ").arg(root.runningDevice) : "")
                          + qsTr("With the device set to “auto” the engine picks the GPU with the most free memory when there is one, else the CPU; choose another in Settings › Model loading.")
                }
                ListView {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    spacing: 6
                    model: root.library ? root.library.devices : []
                    Accessible.name: qsTr("Devices")
                    delegate: Rectangle {
                        required property var modelData
                        width: ListView.view.width
                        height: devColumn.implicitHeight + 16
                        radius: 8
                        color: Theme.surface
                        border.color: modelData.id === root.runningDevice ? Theme.accent : Theme.border
                        ColumnLayout {
                            id: devColumn
                            x: 10; y: 8
                            width: parent.width - 20
                            Label { text: modelData.name + "  (" + modelData.id + ", " + modelData.backend + ", " + modelData.type + ")"; font.bold: true; color: Theme.text; elide: Text.ElideRight; Layout.fillWidth: true }
                            Label { text: qsTr("Memory %1").arg(modelData.memory) + (modelData.free ? qsTr(", %1 free").arg(modelData.free) : ""); color: Theme.textMuted; font.pixelSize: Theme.smallFontSize }
                            Label { text: modelData.details; color: Theme.textMuted; font.pixelSize: Theme.smallFontSize; wrapMode: Text.Wrap; Layout.fillWidth: true; visible: text.length > 0 }
                        }
                    }
                }
                Button { text: qsTr("Refresh"); onClicked: root.library.refreshDevices() }
            }
        }
    }
}
