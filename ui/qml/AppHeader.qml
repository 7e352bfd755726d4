// Title bar: the model's name, the demo badge, what the model is, and "Open GGUF model…".
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

ToolBar {
    id: root

    property string modelName
    property bool isDemo: false
    property string explanation
    signal openRequested()

    leftPadding: 20
    rightPadding: 20
    topPadding: 10
    bottomPadding: 11
    background: Rectangle {
        color: Theme.surface
        Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.border }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 4

        RowLayout {
            Layout.fillWidth: true
            spacing: 10

            Label {
                text: root.modelName || qsTr("No model")
                color: Theme.text
                font.bold: true
                font.pixelSize: 17
                elide: Text.ElideRight
                Layout.maximumWidth: root.width * 0.5
            }
            DemoBadge { visible: root.isDemo }
            Item { Layout.fillWidth: true }
            Button {
                id: openButton
                text: qsTr("Open GGUF model…")
                onClicked: root.openRequested()
                ToolTip.visible: hovered
                ToolTip.delay: 600
                ToolTip.text: qsTr("Ctrl+O")
                contentItem: Label {
                    text: openButton.text
                    color: Theme.accent
                    font.pixelSize: Theme.fontSize
                    horizontalAlignment: Text.AlignHCenter
                    verticalAlignment: Text.AlignVCenter
                }
                background: Rectangle {
                    implicitHeight: 34
                    radius: 8
                    color: openButton.down ? "#e4ebfb" : openButton.hovered ? "#eef3fd" : Theme.surface
                    border.color: Theme.accent
                }
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
