// The conversation: a list of message bubbles that follows the newest text.
import QtQuick
import QtQuick.Controls.Basic

Item {
    id: root

    property alias model: list.model
    property bool generating: false
    property bool canAct: true
    property string emptyText: qsTr("Start a conversation below.")
    property alias count: list.count
    signal copyRequested(int row)
    signal copyTextRequested(string text)
    signal regenerateRequested()
    signal editRequested(int row, string text)
    signal sourceRequested(var source)

    function scrollToEnd() { list.pinned = true; list.positionViewAtEnd() }

    ListView {
        id: list
        objectName: "messageList"
        anchors.fill: parent
        anchors.leftMargin: 24
        anchors.rightMargin: 24
        topMargin: 16
        bottomMargin: 16
        spacing: 12
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar { }
        Accessible.name: qsTr("Conversation")

        // Follow the answer as it grows unless the user scrolled up to read.
        property bool pinned: true
        onMovementEnded: pinned = atYEnd
        onCountChanged: if (pinned) Qt.callLater(positionViewAtEnd)
        onContentHeightChanged: if (pinned) Qt.callLater(positionViewAtEnd)

        delegate: MessageBubble {
            width: ListView.view.width
            streaming: root.generating && index === ListView.view.count - 1
            isLast: index === ListView.view.count - 1
            canAct: root.canAct
            onCopyRequested: (row) => root.copyRequested(row)
            onCopyTextRequested: (text) => root.copyTextRequested(text)
            onRegenerateRequested: root.regenerateRequested()
            onEditRequested: (row, text) => root.editRequested(row, text)
            onSourceRequested: (source) => root.sourceRequested(source)
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
                color: Theme.accentSoft
                Row {
                    anchors.centerIn: parent
                    spacing: 6
                    Repeater {
                        model: 3
                        Rectangle { width: 7; height: 7; radius: 3.5; color: Theme.accent; opacity: 0.7 }
                    }
                }
            }
            Rectangle { x: 12; y: 32; width: 14; height: 14; rotation: 45; color: Theme.accentSoft; z: -1 }
        }
        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            text: root.emptyText
            color: Theme.textMuted
            font.pixelSize: Theme.fontSize + 1
        }
    }
}
