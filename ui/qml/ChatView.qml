// The conversation: a list of message bubbles that follows the newest text.
import QtQuick
import QtQuick.Controls.Basic

Item {
    id: root

    property alias model: list.model
    property bool generating: false
    property string emptyText: qsTr("Start a conversation below.")

    ListView {
        id: list
        anchors.fill: parent
        anchors.leftMargin: 24
        anchors.rightMargin: 24
        topMargin: 16
        bottomMargin: 16
        spacing: 10
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar { }

        // Follow the answer as it grows unless the user scrolled up to read.
        property bool pinned: true
        onMovementEnded: pinned = atYEnd
        onCountChanged: if (pinned) Qt.callLater(positionViewAtEnd)
        onContentHeightChanged: if (pinned) Qt.callLater(positionViewAtEnd)

        delegate: MessageBubble {
            required property int index
            width: ListView.view.width
            streaming: root.generating && index === ListView.view.count - 1
        }
    }

    Column {
        anchors.centerIn: parent
        spacing: 8
        visible: list.count === 0

        // A speech bubble drawn from rectangles (no emoji font is guaranteed).
        Item {
            anchors.horizontalCenter: parent.horizontalCenter
            width: 56
            height: 48
            Rectangle {
                width: 56
                height: 40
                radius: 14
                color: "#e3e9f7"
                Row {
                    anchors.centerIn: parent
                    spacing: 6
                    Repeater {
                        model: 3
                        Rectangle { width: 7; height: 7; radius: 3.5; color: Theme.accent; opacity: 0.7 }
                    }
                }
            }
            Rectangle {
                x: 12
                y: 32
                width: 14
                height: 14
                rotation: 45
                color: "#e3e9f7"
                z: -1
            }
        }
        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            text: root.emptyText
            color: Theme.textMuted
            font.pixelSize: Theme.fontSize + 1
        }
    }
}
