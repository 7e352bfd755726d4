import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Dialogs
import Assistant

ApplicationWindow {
    id: window
    width: 1100
    height: 720
    visible: true
    title: qsTr("Assistant") + (models.modelName ? " — " + models.modelName : "")

    ModelController { id: models }

    FileDialog {
        id: openDialog
        title: qsTr("Open a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: models.openModel(selectedFile)
    }

    Shortcut { sequence: "Ctrl+O"; onActivated: openDialog.open() }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 12
            anchors.rightMargin: 12
            Label {
                text: models.modelName || qsTr("No model")
                font.bold: true
                font.pixelSize: 16
            }
            Rectangle {
                visible: models.isDemo
                radius: 4
                color: "#fff3cd"
                border.color: "#e0b84a"
                implicitWidth: demoLabel.implicitWidth + 12
                implicitHeight: demoLabel.implicitHeight + 6
                Label { id: demoLabel; anchors.centerIn: parent; text: qsTr("Demo model"); color: "#7a5b00" }
            }
            Item { Layout.fillWidth: true }
            Button { text: qsTr("Open GGUF model…"); onClicked: openDialog.open() }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 12

        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: models.statusText
            color: "#444"
        }

        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: "#f6f7f9"
            radius: 8
            border.color: "#dde1e6"
            Label {
                anchors.centerIn: parent
                text: qsTr("Start a conversation below.")
                color: "#889"
            }
        }

        RowLayout {
            Layout.fillWidth: true
            TextArea {
                id: input
                Layout.fillWidth: true
                placeholderText: qsTr("Ask something… (Enter sends, Shift+Enter adds a line)")
                wrapMode: TextArea.Wrap
            }
            Button { text: qsTr("Send"); enabled: input.text.length > 0 }
        }
    }
}
