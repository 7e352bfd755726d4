// One message: the user's on the right in the accent colour, the assistant's on
// the left with its stats line underneath, errors in red.
import QtQuick
import QtQuick.Controls.Basic

Item {
    id: root

    required property string role
    required property string text
    required property string stats
    property bool streaming: false  // the answer is still being written

    readonly property bool isUser: role === "user"
    readonly property bool isError: role === "error"
    readonly property real maxBubbleWidth: Math.max(120, width * 0.75)

    implicitHeight: bubble.height + (statsLabel.visible ? statsLabel.height + 4 : 0) + 6

    Rectangle {
        id: bubble
        anchors.right: root.isUser ? parent.right : undefined
        anchors.left: root.isUser ? undefined : parent.left
        width: Math.min(body.implicitWidth, root.maxBubbleWidth - 28) + 28
        height: body.height + 20
        radius: Theme.radius
        color: root.isUser ? Theme.accent : root.isError ? Theme.dangerSurface : Theme.surface
        border.color: root.isUser ? Theme.accent : root.isError ? Theme.dangerBorder : Theme.border

        TextEdit {
            id: body
            x: 14
            y: 10
            width: Math.min(implicitWidth, root.maxBubbleWidth - 28)
            text: root.text.length > 0 ? root.text : (root.streaming ? "…" : "")
            textFormat: TextEdit.PlainText
            wrapMode: TextEdit.Wrap
            readOnly: true
            selectByMouse: true
            font.pixelSize: Theme.fontSize
            color: root.isUser ? Theme.accentText : root.isError ? Theme.danger : Theme.text
            selectionColor: root.isUser ? "#7aa0f0" : "#bcd0f7"
        }
    }

    Label {
        id: statsLabel
        anchors.top: bubble.bottom
        anchors.topMargin: 4
        anchors.left: bubble.left
        anchors.leftMargin: 6
        visible: text.length > 0
        text: root.stats
        color: Theme.textMuted
        font.pixelSize: Theme.smallFontSize
    }
}
