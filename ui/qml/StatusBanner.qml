// A strip above the conversation: model loading progress with Cancel, or an error.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

Rectangle {
    id: root

    property bool loading: false
    property real progress: 0
    property string errorText
    signal cancelRequested()
    signal dismissRequested()

    readonly property bool showError: !loading && errorText.length > 0
    visible: loading || showError
    implicitHeight: row.implicitHeight + 20
    radius: 10
    color: showError ? Theme.dangerSurface : Theme.surface
    border.color: showError ? Theme.dangerBorder : Theme.border

    RowLayout {
        id: row
        anchors.fill: parent
        anchors.margins: 10
        anchors.leftMargin: 14
        spacing: 12

        Label {
            text: root.showError ? "⚠" : ""
            visible: root.showError
            color: Theme.danger
            font.pixelSize: 18
        }
        Label {
            visible: root.loading
            text: qsTr("Loading model… %1%").arg(Math.round(root.progress * 100))
            color: Theme.text
        }
        ProgressBar {
            visible: root.loading
            Layout.fillWidth: true
            from: 0
            to: 1
            value: root.progress
            indeterminate: root.progress <= 0
        }
        Label {
            visible: root.showError
            Layout.fillWidth: true
            text: root.errorText
            color: Theme.danger
            wrapMode: Text.Wrap
        }
        IconButton {
            objectName: "bannerButton"
            tint: Theme.accent
            text: root.loading ? qsTr("Cancel") : qsTr("Dismiss")
            Accessible.name: root.loading ? qsTr("Cancel loading") : qsTr("Dismiss error")
            onClicked: root.loading ? root.cancelRequested() : root.dismissRequested()
        }
    }
}
