// One message. The user's on the right in the accent colour (Edit and Copy under
// it); the assistant's on the left, rendered from Markdown blocks with its folded
// reasoning, the live stats line and Copy / Regenerate; errors in red.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

Item {
    id: root

    required property int index
    required property string role
    required property string text
    required property string stats
    required property string reasoning
    required property bool reasoningOpen
    required property var blocks
    required property var sources    // [{n, path, page, pageTo, label, excerpt}] ("Use my documents")
    property bool streaming: false   // the answer is still being written
    property bool isLast: false
    property bool canAct: true       // the model is idle: regenerate / edit allowed
    signal copyRequested(int row)
    signal copyTextRequested(string text)
    signal regenerateRequested()
    signal editRequested(int row, string text)
    signal sourceRequested(var source)

    function openLink(link) {
        if (link.startsWith("cite:")) {
            const n = parseInt(link.substring(5))
            for (const s of root.sources) if (s.n === n) { root.sourceRequested(s); return }
        } else {
            Qt.openUrlExternally(link)
        }
    }

    readonly property bool isUser: role === "user"
    readonly property bool isError: role === "error"
    readonly property bool isAssistant: role === "assistant"
    readonly property real maxBubbleWidth: Math.max(160, width * (isUser ? 0.75 : 0.9))
    property bool editing: false

    implicitHeight: column.implicitHeight + 6
    Accessible.role: Accessible.StaticText
    Accessible.name: (isUser ? qsTr("You: ") : isError ? qsTr("Error: ") : qsTr("Assistant: ")) + text

    Column {
        id: column
        width: parent.width
        spacing: 4

        Rectangle {
            id: bubble
            anchors.right: root.isUser ? parent.right : undefined
            width: root.isUser && !root.editing
                   ? Math.min(userText.implicitWidth + 28, root.maxBubbleWidth)
                   : root.maxBubbleWidth
            height: content.implicitHeight + 20
            radius: Theme.radius
            color: root.isUser ? Theme.accent : root.isError ? Theme.dangerSurface : Theme.surface
            border.color: root.isUser ? Theme.accent : root.isError ? Theme.dangerBorder : Theme.border

            Column {
                id: content
                x: 14
                y: 10
                width: bubble.width - 28
                spacing: 8

                // The user's text, or an error: plain, as written.
                TextEdit {
                    id: userText
                    visible: !root.isAssistant && !root.editing
                    width: Math.min(implicitWidth, root.maxBubbleWidth - 28)
                    text: root.text
                    textFormat: TextEdit.PlainText
                    wrapMode: TextEdit.Wrap
                    readOnly: true
                    selectByMouse: true
                    font.pixelSize: Theme.fontSize
                    color: root.isUser ? Theme.accentText : Theme.danger
                    selectionColor: root.isUser ? "#7aa0f0" : Theme.selection
                }

                // Editing a previous message: Enter resends, Esc cancels.
                Column {
                    visible: root.editing
                    width: parent.width
                    spacing: 6
                    TextArea {
                        id: editor
                        objectName: "messageEditor"
                        width: parent.width
                        wrapMode: TextArea.Wrap
                        font.pixelSize: Theme.fontSize
                        color: Theme.text
                        Accessible.name: qsTr("Edit message")
                        background: Rectangle { radius: 8; color: Theme.surface }
                        Keys.onPressed: (event) => {
                            if (event.key === Qt.Key_Escape) { event.accepted = true; root.editing = false }
                            else if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                                     && !(event.modifiers & Qt.ShiftModifier)) {
                                event.accepted = true
                                root.submitEdit()
                            }
                        }
                    }
                    Row {
                        anchors.right: parent.right
                        spacing: 6
                        IconButton { text: qsTr("Cancel"); tint: Theme.accentText; onClicked: root.editing = false }
                        IconButton { text: qsTr("Send"); tint: Theme.accentText; enabled: root.canAct; onClicked: root.submitEdit() }
                    }
                }

                ReasoningSection {
                    visible: root.isAssistant && (root.reasoning.length > 0 || root.reasoningOpen)
                    width: parent.width
                    reasoning: root.reasoning
                    open: root.reasoningOpen
                }

                Repeater {
                    model: root.isAssistant ? root.blocks : []
                    delegate: Loader {
                        required property var modelData
                        width: content.width
                        sourceComponent: modelData.kind === "code" ? codeComponent : richComponent
                        Component {
                            id: richComponent
                            TextEdit {
                                text: modelData.content
                                textFormat: TextEdit.RichText
                                wrapMode: TextEdit.Wrap
                                readOnly: true
                                selectByMouse: true
                                font.pixelSize: Theme.fontSize
                                color: Theme.text
                                selectionColor: Theme.selection
                                onLinkActivated: (link) => root.openLink(link)
                                HoverHandler { cursorShape: parent.hoveredLink ? Qt.PointingHandCursor : Qt.IBeamCursor }
                            }
                        }
                        Component {
                            id: codeComponent
                            CodeBlock {
                                code: modelData.content
                                language: modelData.language
                                onCopyRequested: (code) => root.copyTextRequested(code)
                            }
                        }
                    }
                }

                // The documents the answer was given; each opens at its page.
                Flow {
                    visible: root.isAssistant && root.sources.length > 0
                    width: parent.width
                    spacing: 4
                    Label { text: qsTr("Sources:"); color: Theme.textMuted; font.pixelSize: Theme.smallFontSize; topPadding: 4 }
                    Repeater {
                        model: root.isAssistant ? root.sources : []
                        delegate: IconButton {
                            required property var modelData
                            objectName: "sourceButton"
                            text: "[" + modelData.n + "] " + modelData.label
                            tint: Theme.accent
                            Accessible.name: qsTr("Open source %1").arg(modelData.label)
                            onClicked: root.sourceRequested(modelData)
                        }
                    }
                }

                Label {
                    visible: root.isAssistant && root.blocks.length === 0 && !root.reasoningOpen
                    text: root.streaming ? "…" : ""
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSize
                }
            }
        }

        // Stats (live while streaming) and the message's actions.
        Row {
            anchors.right: root.isUser ? parent.right : undefined
            spacing: 2
            visible: !root.editing && (statsLabel.text.length > 0 || actions.visible)
            Label {
                id: statsLabel
                objectName: "statsLine"
                anchors.verticalCenter: parent.verticalCenter
                leftPadding: 6
                rightPadding: 6
                visible: text.length > 0
                text: root.stats
                color: Theme.textMuted
                font.pixelSize: Theme.smallFontSize
            }
            Row {
                id: actions
                visible: !root.streaming && !root.isError
                IconButton {
                    objectName: "copyMessageButton"
                    text: qsTr("Copy")
                    Accessible.name: qsTr("Copy message")
                    onClicked: root.copyRequested(root.index)
                }
                IconButton {
                    objectName: "editMessageButton"
                    visible: root.isUser
                    enabled: root.canAct
                    text: qsTr("Edit")
                    Accessible.name: qsTr("Edit and resend")
                    onClicked: { editor.text = root.text; root.editing = true; editor.forceActiveFocus() }
                }
                IconButton {
                    objectName: "regenerateButton"
                    visible: root.isAssistant && root.isLast
                    enabled: root.canAct
                    text: qsTr("Regenerate")
                    onClicked: root.regenerateRequested()
                }
            }
        }
    }

    function submitEdit() {
        const t = editor.text.trim()
        if (t.length === 0 || !root.canAct) return
        root.editing = false
        root.editRequested(root.index, t)
    }
}
