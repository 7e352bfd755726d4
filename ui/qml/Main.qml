// The main window: header, loading/error strip, conversation and composer.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QtQuick.Dialogs
import Assistant

ApplicationWindow {
    id: window
    width: 1100
    height: 720
    visible: true
    color: Theme.window
    title: qsTr("Assistant") + (models.modelName ? " — " + models.modelName : "")

    ModelController { id: models }
    ChatController { id: chat; models: models }

    FileDialog {
        id: openDialog
        title: qsTr("Open a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: models.openModel(selectedFile)
    }

    Shortcut { sequence: "Ctrl+O"; onActivated: openDialog.open() }
    Shortcut { sequence: StandardKey.Cancel; enabled: chat.busy; onActivated: chat.stop() }

    header: AppHeader {
        modelName: models.modelName
        isDemo: models.isDemo
        explanation: models.statusText
        onOpenRequested: openDialog.open()
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        StatusBanner {
            Layout.fillWidth: true
            Layout.leftMargin: 24
            Layout.rightMargin: 24
            Layout.topMargin: visible ? 12 : 0
            loading: chat.state === ChatController.Loading
            progress: chat.loadProgress
            errorText: chat.errorText
            onCancelRequested: chat.stop()
            onDismissRequested: chat.dismissError()
        }

        ChatView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            model: chat.messages
            generating: chat.state === ChatController.Generating
            emptyText: chat.canSend ? qsTr("Start a conversation below.")
                                    : qsTr("Load a model to start a conversation.")
        }

        Composer {
            id: composer
            Layout.fillWidth: true
            canSend: chat.canSend
            busy: chat.state === ChatController.Generating || chat.state === ChatController.Stopping
            onSendRequested: (text) => chat.send(text)
            onStopRequested: chat.stop()
        }
    }

    Component.onCompleted: composer.focusInput()
}
