// A tab drawn from Theme, for TabBars and for the vertical page list in Settings.
// The Basic style's TabButton fills an inactive tab with palette.dark (our accent)
// and writes on it in palette.brightText, which left blue text on blue.
import QtQuick
import QtQuick.Controls.Basic

TabButton {
    id: control
    property bool vertical: false  // a page list: left-aligned, the marker on the left

    padding: 8
    leftPadding: vertical ? 14 : 12
    rightPadding: 12
    Accessible.name: text

    contentItem: Text {
        text: control.text
        font.pixelSize: control.font.pixelSize
        font.bold: control.checked
        color: control.checked ? Theme.text : Theme.textMuted
        horizontalAlignment: control.vertical ? Text.AlignLeft : Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }

    background: Rectangle {
        implicitHeight: 36
        radius: control.vertical ? 6 : 0
        color: control.checked ? Theme.surface : control.down || control.hovered ? Theme.accentSoft : Theme.surfaceAlt
        Rectangle {  // the marker of the current tab
            visible: control.checked
            color: Theme.accent
            x: 0
            y: control.vertical ? 6 : parent.height - height
            width: control.vertical ? 3 : parent.width
            height: control.vertical ? parent.height - 12 : 3
            radius: control.vertical ? 1.5 : 0
        }
    }
}
