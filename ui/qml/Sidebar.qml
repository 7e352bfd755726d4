// Conversations: New chat, a search field (Ctrl+F), the list newest first with
// rename and delete (confirmed). Clicking one opens it.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QtQuick.Templates as T

Rectangle {
    id: root
    property var conversations       // ConversationListModel
    property var currentId: 0
    property bool canSwitch: true    // no answer is being written
    signal newRequested()
    signal openRequested(var id)
    signal renameRequested(var id, string title)
    signal deleteRequested(var id)

    function focusSearch() { search.forceActiveFocus(); search.selectAll() }

    color: Theme.sidebar
    Rectangle { anchors.right: parent.right; width: 1; height: parent.height; color: Theme.border }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        anchors.rightMargin: 13
        spacing: 10

        Button {
            id: newButton
            objectName: "newChatButton"
            Layout.fillWidth: true
            text: qsTr("New chat")
            Accessible.name: qsTr("New chat (Ctrl+N)")
            enabled: root.canSwitch
            onClicked: root.newRequested()
            contentItem: Label {
                text: newButton.text
                color: Theme.accentText
                font.pixelSize: Theme.fontSize
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
            }
            background: Rectangle {
                implicitHeight: 36
                radius: 8
                color: !newButton.enabled ? Theme.disabled : newButton.down ? Theme.accentPressed : Theme.accent
            }
        }

        TextField {
            id: search
            objectName: "conversationSearch"
            Layout.fillWidth: true
            placeholderText: qsTr("Search conversations (Ctrl+F)")
            placeholderTextColor: Theme.textMuted
            color: Theme.text
            font.pixelSize: Theme.smallFontSize + 1
            Accessible.name: qsTr("Search conversations")
            onTextChanged: if (root.conversations) root.conversations.filter = text
            Keys.onEscapePressed: text = ""
            background: Rectangle {
                implicitHeight: 32
                radius: 8
                color: Theme.surface
                border.color: search.activeFocus ? Theme.accent : Theme.border
            }
        }

        ListView {
            id: list
            objectName: "conversationList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 2
            model: root.conversations
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar { }
            Accessible.name: qsTr("Conversations")

            delegate: Rectangle {
                id: row
                required property var conversationId
                required property string title
                required property string modelName
                property bool renaming: false
                width: ListView.view.width
                height: 44
                radius: 8
                color: conversationId === root.currentId ? Theme.accentSoft
                     : hover.hovered ? Theme.surfaceAlt : "transparent"
                HoverHandler { id: hover }
                TapHandler { enabled: !row.renaming && root.canSwitch; onTapped: root.openRequested(row.conversationId) }

                ColumnLayout {
                    anchors.fill: parent
                    anchors.leftMargin: 10
                    anchors.rightMargin: 4
                    spacing: 0
                    visible: !row.renaming
                    RowLayout {
                        Layout.fillWidth: true
                        Label {
                            Layout.fillWidth: true
                            text: row.title || qsTr("Untitled")
                            color: Theme.text
                            elide: Text.ElideRight
                            font.pixelSize: Theme.fontSize - 1
                        }
                        IconButton {
                            visible: hover.hovered || row.activeFocus
                            text: qsTr("Rename")
                            Accessible.name: qsTr("Rename %1").arg(row.title)
                            onClicked: { renameField.text = row.title; row.renaming = true; renameField.forceActiveFocus() }
                        }
                        IconButton {
                            visible: hover.hovered
                            text: "✕"
                            tint: Theme.danger
                            Accessible.name: qsTr("Delete %1").arg(row.title)
                            onClicked: { confirmDelete.targetId = row.conversationId; confirmDelete.targetTitle = row.title; confirmDelete.open() }
                        }
                    }
                    Label {
                        Layout.fillWidth: true
                        visible: text.length > 0
                        text: row.modelName
                        color: Theme.textMuted
                        elide: Text.ElideRight
                        font.pixelSize: Theme.smallFontSize
                    }
                }
                TextField {
                    id: renameField
                    visible: row.renaming
                    anchors.fill: parent
                    anchors.margins: 4
                    color: Theme.text
                    Accessible.name: qsTr("New title")
                    background: Rectangle { radius: 6; color: Theme.surface; border.color: Theme.accent }
                    onAccepted: { root.renameRequested(row.conversationId, text); row.renaming = false }
                    Keys.onEscapePressed: row.renaming = false
                    onActiveFocusChanged: if (!activeFocus) row.renaming = false
                }
            }
        }

        Label {
            Layout.fillWidth: true
            visible: list.count === 0
            text: search.text.length > 0 ? qsTr("No conversation matches.") : qsTr("Your conversations appear here.")
            color: Theme.textMuted
            wrapMode: Text.Wrap
            font.pixelSize: Theme.smallFontSize
        }
    }

    Dialog {
        id: confirmDelete
        property var targetId: 0
        property string targetTitle
        parent: T.Overlay.overlay
        anchors.centerIn: parent
        modal: true
        title: qsTr("Delete conversation?")
        standardButtons: Dialog.Yes | Dialog.No
        Label {
            text: qsTr("“%1” will be deleted for good.").arg(confirmDelete.targetTitle)
            wrapMode: Text.Wrap
        }
        onAccepted: root.deleteRequested(targetId)
    }
}
