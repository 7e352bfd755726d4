// The yellow "Demo model" pill next to the model name.
import QtQuick
import QtQuick.Controls.Basic

Rectangle {
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
