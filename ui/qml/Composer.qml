// Where the user writes. Enter sends, Shift+Enter adds a line; while an answer is
// being written the Send button becomes Stop (Esc does the same).
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

Rectangle {
    id: root

    property bool canSend: false   // a model is ready and idle
    property bool busy: false      // an answer is being generated (Stop is offered)
    property alias text: input.text
    property string placeholder: qsTr("Ask something… (Enter sends, Shift+Enter adds a line)")
    signal sendRequested(string text)
    signal stopRequested()

    // Sends the text if there is any and the model can take it; clears the field.
    function submit() {
        const message = input.text.trim()
        if (!root.canSend || message.length === 0)
            return false
        root.sendRequested(message)
        input.clear()
        return true
    }

    function focusInput() { input.forceActiveFocus() }

    implicitHeight: row.implicitHeight + 24
    color: Theme.surface
    Rectangle { anchors.top: parent.top; width: parent.width; height: 1; color: Theme.border }

    RowLayout {
        id: row
        anchors.fill: parent
        anchors.margins: 12
        anchors.leftMargin: 24
        anchors.rightMargin: 24
        spacing: 10

        ScrollView {
            Layout.fillWidth: true
            Layout.preferredHeight: Math.min(input.implicitHeight, 160)
            TextArea {
                id: input
                objectName: "composerInput"
                placeholderText: root.placeholder
                placeholderTextColor: Theme.textMuted
                Accessible.name: qsTr("Message")
                wrapMode: TextArea.Wrap
                selectionColor: Theme.selection
                font.pixelSize: Theme.fontSize
                color: Theme.text
                padding: 10
                focus: true
                background: Rectangle {
                    radius: 10
                    color: Theme.window
                    border.color: input.activeFocus ? Theme.accent : Theme.border
                }
                Keys.onPressed: (event) => {
                    if (event.key === Qt.Key_Escape && root.busy) {
                        event.accepted = true
                        root.stopRequested()
                        return
                    }
                    const isEnter = event.key === Qt.Key_Return || event.key === Qt.Key_Enter
                    if (isEnter && !(event.modifiers & Qt.ShiftModifier)) {
                        event.accepted = true
                        root.submit()
                    }
                }
            }
        }

        Button {
            id: action
            objectName: "composerAction"
            readonly property bool stopMode: root.busy
            text: stopMode ? qsTr("Stop") : qsTr("Send")
            enabled: stopMode || (root.canSend && input.text.trim().length > 0)
            Layout.alignment: Qt.AlignBottom
            onClicked: stopMode ? root.stopRequested() : root.submit()
            Accessible.name: stopMode ? qsTr("Stop the answer") : qsTr("Send message")
            ToolTip.visible: stopMode && hovered
            ToolTip.text: qsTr("Esc")
            contentItem: Label {
                text: action.text
                color: action.enabled ? Theme.accentText : Theme.textMuted
                font.pixelSize: Theme.fontSize
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
            }
            background: Rectangle {
                implicitWidth: 84
                implicitHeight: 40
                radius: 10
                color: !action.enabled ? Theme.disabled
                     : action.stopMode ? (action.down ? Theme.dangerPressed : Theme.danger)
                     : (action.down ? Theme.accentPressed : Theme.accent)
            }
        }
    }
}
