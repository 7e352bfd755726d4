// Title bar: the model's name, the demo or remote badge, what the model is, and the actions
// (models, export, settings).
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

ToolBar {
    id: root

    property string modelName
    property bool isDemo: false
    property bool isRemote: false  // the model runs on another computer
    property string explanation
    property string conversationTitle
    signal openRequested()
    signal modelsRequested()
    signal documentsRequested()
    signal settingsRequested()
    signal copyConversationRequested()
    signal exportRequested()

    leftPadding: 20
    rightPadding: 12
    topPadding: 8
    bottomPadding: 9
    background: Rectangle {
        color: Theme.surface
        Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.border }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 4

        RowLayout {
            Layout.fillWidth: true
            spacing: 8

            Label {
                text: root.modelName || qsTr("No model")
                color: Theme.text
                font.bold: true
                font.pixelSize: Theme.largeFontSize
                elide: Text.ElideRight
                Layout.maximumWidth: root.width * 0.35
            }
            DemoBadge { visible: root.isDemo }
            DemoBadge { visible: root.isRemote; text: qsTr("Remote"); objectName: "remoteBadge" }
            Label {
                visible: root.conversationTitle.length > 0
                text: "· " + root.conversationTitle
                color: Theme.textMuted
                font.pixelSize: Theme.fontSize
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Item { Layout.fillWidth: root.conversationTitle.length === 0 }
            Button {
                id: openButton
                objectName: "openModelButton"
                text: qsTr("Open model…")
                Accessible.name: qsTr("Open a GGUF model")
                onClicked: root.openRequested()
                ToolTip.visible: hovered
                ToolTip.delay: 600
                ToolTip.text: qsTr("Open a GGUF file (Ctrl+O)")
                contentItem: Label {
                    text: openButton.text
                    color: Theme.accent
                    font.pixelSize: Theme.fontSize
                    horizontalAlignment: Text.AlignHCenter
                    verticalAlignment: Text.AlignVCenter
                }
                background: Rectangle {
                    implicitHeight: 32
                    radius: 8
                    color: openButton.down ? Theme.accentSoft : openButton.hovered ? Theme.surfaceAlt : Theme.surface
                    border.color: Theme.accent
                }
            }
            IconButton {
                objectName: "modelsButton"
                text: qsTr("Models")
                Accessible.name: qsTr("Models and devices")
                font.pixelSize: Theme.fontSize
                onClicked: root.modelsRequested()
            }
            IconButton {
                objectName: "documentsButton"
                text: qsTr("Documents")
                Accessible.name: qsTr("My documents")
                font.pixelSize: Theme.fontSize
                onClicked: root.documentsRequested()
            }
            IconButton {
                id: exportButton
                objectName: "exportButton"
                text: qsTr("Export")
                Accessible.name: qsTr("Copy or export the conversation")
                font.pixelSize: Theme.fontSize
                onClicked: exportMenu.open()
                Menu {
                    id: exportMenu
                    y: exportButton.height
                    MenuItem { text: qsTr("Copy conversation as Markdown"); onTriggered: root.copyConversationRequested() }
                    MenuItem { text: qsTr("Export to a Markdown file…"); onTriggered: root.exportRequested() }
                }
            }
            IconButton {
                objectName: "settingsButton"
                text: qsTr("Settings")
                Accessible.name: qsTr("Settings (Ctrl+,)")
                font.pixelSize: Theme.fontSize
                onClicked: root.settingsRequested()
            }
        }

        Label {
            Layout.fillWidth: true
            visible: text.length > 0
            text: root.explanation
            color: Theme.textMuted
            font.pixelSize: Theme.smallFontSize + 1
            wrapMode: Text.Wrap
        }
    }
}
