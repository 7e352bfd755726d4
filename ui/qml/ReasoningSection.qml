// The model's <think> section, folded by default: a header line that opens it.
// While the model is still reasoning the header says so.
import QtQuick
import QtQuick.Controls.Basic

Column {
    id: root
    property string reasoning
    property bool open: false     // the model is still inside <think>
    property bool expanded: false
    spacing: 6

    IconButton {
        objectName: "reasoningToggle"
        text: (root.expanded ? "▾ " : "▸ ") + (root.open ? qsTr("Thinking…") : qsTr("Reasoning"))
        Accessible.name: root.expanded ? qsTr("Hide reasoning") : qsTr("Show reasoning")
        leftPadding: 4
        onClicked: root.expanded = !root.expanded
    }
    Rectangle {
        visible: root.expanded
        width: parent.width
        height: visible ? reasoningText.implicitHeight + 16 : 0
        color: "transparent"
        Rectangle { width: 3; height: parent.height; radius: 1.5; color: Theme.border }
        TextEdit {
            id: reasoningText
            x: 12
            y: 8
            width: parent.width - 16
            text: root.reasoning
            textFormat: TextEdit.PlainText
            wrapMode: TextEdit.Wrap
            readOnly: true
            selectByMouse: true
            font.pixelSize: Theme.fontSize - 1
            font.italic: true
            color: Theme.textMuted
            selectionColor: Theme.selection
        }
    }
}
