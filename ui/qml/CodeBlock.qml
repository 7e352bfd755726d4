// A fenced code block of an answer: language, a Copy button, the code in a
// monospace font, scrollable sideways rather than wrapped.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

Rectangle {
    id: root
    property string code
    property string language
    signal copyRequested(string code)

    implicitHeight: header.height + codeFlick.height
    radius: 8
    color: Theme.codeSurface
    border.color: Theme.border
    clip: true

    Rectangle {
        id: header
        width: parent.width
        height: 30
        color: Theme.codeHeader
        radius: 8
        Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 8; color: parent.color }
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 10
            anchors.rightMargin: 4
            Label {
                text: root.language.length > 0 ? root.language : qsTr("code")
                color: Theme.textMuted
                font.pixelSize: Theme.smallFontSize
                font.family: Theme.monoFamily
                Layout.fillWidth: true
            }
            IconButton {
                id: copyButton
                objectName: "codeCopyButton"
                property bool copied: false
                text: copied ? qsTr("Copied") : qsTr("Copy")
                Accessible.name: qsTr("Copy code")
                onClicked: { root.copyRequested(root.code); copied = true; resetTimer.restart() }
                Timer { id: resetTimer; interval: 1500; onTriggered: copyButton.copied = false }
            }
        }
    }

    Flickable {
        id: codeFlick
        y: header.height
        width: parent.width
        height: codeText.implicitHeight + 20
        contentWidth: codeText.implicitWidth + 24
        flickableDirection: Flickable.HorizontalFlick
        boundsBehavior: Flickable.StopAtBounds
        clip: true
        ScrollBar.horizontal: ScrollBar { policy: codeFlick.contentWidth > codeFlick.width ? ScrollBar.AsNeeded : ScrollBar.AlwaysOff }
        TextEdit {
            id: codeText
            x: 12
            y: 10
            text: root.code
            textFormat: TextEdit.PlainText
            readOnly: true
            selectByMouse: true
            font.family: Theme.monoFamily
            font.pixelSize: Theme.fontSize - 1
            color: Theme.text
            selectionColor: Theme.selection
            Accessible.name: qsTr("Code")
        }
    }
}
