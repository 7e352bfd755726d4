// The yellow pill next to the model name: "Demo model", or "Remote" for a model on
// another computer.
import QtQuick
import QtQuick.Controls.Basic

Rectangle {
    property alias text: label.text
    radius: height / 2
    color: Theme.demoSurface
    border.color: Theme.demoBorder
    implicitWidth: label.implicitWidth + 16
    implicitHeight: label.implicitHeight + 6

    Label {
        id: label
        anchors.centerIn: parent
        text: qsTr("Demo model")
        color: Theme.demoText
        font.pixelSize: Theme.smallFontSize
        font.bold: true
    }
}
