// A small flat text button for message actions and toolbars ("Copy", "Edit", …).
import QtQuick
import QtQuick.Controls.Basic

Button {
    id: control
    property color tint: Theme.textMuted
    flat: true
    padding: 4
    leftPadding: 8
    rightPadding: 8
    font.pixelSize: Theme.smallFontSize
    Accessible.name: text
    focusPolicy: Qt.TabFocus
    contentItem: Label {
        text: control.text
        font: control.font
        color: control.enabled ? (control.hovered ? Theme.accent : control.tint) : Theme.disabled
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
    background: Rectangle {
        radius: 6
        color: control.down ? Theme.accentSoft : control.hovered || control.visualFocus ? Theme.surfaceAlt : "transparent"
        border.color: control.visualFocus ? Theme.accent : "transparent"
    }
}
