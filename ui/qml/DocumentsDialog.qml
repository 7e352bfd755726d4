// Documents: the files in the document index with their status (and why), adding
// files or folders (dialog or drop), indexing progress with rate and ETA, pause,
// resume, cancel, and removing a document. A password-protected PDF asks for its
// password (askPassword, also called by Main.qml when a run finds one); it is kept
// only when the user ticks "Remember".
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QtQuick.Dialogs

Dialog {
    id: root
    property var documents   // DocumentsController
    property bool canSummarize: false
    signal summarizeRequested(var documentId, string fileName)

    title: qsTr("My documents")
    modal: true
    standardButtons: Dialog.Close
    width: Math.min(parent ? parent.width - 40 : 760, 760)
    height: Math.min(parent ? parent.height - 40 : 600, 600)
    anchors.centerIn: parent

    function askPassword(path, retry) {
        passwordDialog.path = path
        passwordDialog.retry = retry
        passwordField.text = ""
        rememberBox.checked = false
        if (!root.opened) root.open()
        passwordDialog.open()
    }

    Dialog {
        id: passwordDialog
        objectName: "passwordDialog"
        property string path
        property bool retry: false
        title: qsTr("Password protected PDF")
        modal: true
        anchors.centerIn: parent
        width: Math.min(root.width - 40, 440)
        standardButtons: Dialog.Ok | Dialog.Cancel
        onAccepted: root.documents.unlock(path, passwordField.text, rememberBox.checked)
        onOpened: passwordField.forceActiveFocus()
        contentItem: ColumnLayout {
            spacing: 8
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                color: Theme.text
                text: (passwordDialog.retry ? qsTr("That password did not open “%1”. Try again:")
                                            : qsTr("“%1” is protected by a password. Enter it to index the document:"))
                      .arg(passwordDialog.path.split("/").pop())
            }
            TextField {
                id: passwordField
                objectName: "pdfPasswordField"
                Layout.fillWidth: true
                echoMode: TextInput.Password
                color: Theme.text
                Accessible.name: qsTr("PDF password")
                onAccepted: passwordDialog.accept()
            }
            CheckBox {
                id: rememberBox
                objectName: "rememberPasswordBox"
                Layout.fillWidth: true
                text: qsTr("Remember this password (kept unencrypted in the app's data)")
                contentItem: Label {
                    leftPadding: rememberBox.indicator.width + 6
                    text: rememberBox.text
                    color: Theme.text
                    wrapMode: Text.Wrap
                    verticalAlignment: Text.AlignVCenter
                }
            }
        }
    }

    FileDialog {
        id: fileDialog
        title: qsTr("Add documents")
        fileMode: FileDialog.OpenFiles
        nameFilters: [qsTr("Documents (*.pdf *.txt *.md *.docx *.odt)"), qsTr("All files (*)")]
        onAccepted: root.documents.add(selectedFiles)
    }
    FolderDialog {
        id: folderDialog
        title: qsTr("Add a folder of documents")
        onAccepted: root.documents.add([selectedFolder])
    }

    readonly property var statusText: ({
        "indexed": qsTr("Indexed"), "ocr": qsTr("Indexed (OCR)"), "encrypted": qsTr("Password protected"),
        "no_text": qsTr("No text found"), "unreadable": qsTr("Unreadable text"), "failed": qsTr("Failed")
    })

    contentItem: ColumnLayout {
        spacing: 8
        Label {
            Layout.fillWidth: true
            visible: root.documents && !root.documents.available
            text: qsTr("This build of Assistant has no document index.")
            color: Theme.danger
        }
        RowLayout {
            Layout.fillWidth: true
            Button { text: qsTr("Add files…"); enabled: root.documents && root.documents.available; onClicked: fileDialog.open() }
            Button { text: qsTr("Add folder…"); enabled: root.documents && root.documents.available; onClicked: folderDialog.open() }
            Item { Layout.fillWidth: true }
            Button {
                visible: root.documents && root.documents.indexing
                text: root.documents && root.documents.paused ? qsTr("Resume") : qsTr("Pause")
                onClicked: root.documents.paused ? root.documents.resume() : root.documents.pause()
            }
            Button {
                visible: root.documents && root.documents.indexing
                text: qsTr("Cancel")
                Accessible.name: qsTr("Cancel indexing")
                onClicked: root.documents.cancel()
            }
        }
        ColumnLayout {
            Layout.fillWidth: true
            visible: root.documents && (root.documents.indexing || root.documents.progressText.length > 0)
            ProgressBar {
                Layout.fillWidth: true
                from: 0; to: 1
                value: root.documents ? Math.max(0, root.documents.progress) : 0
                indeterminate: root.documents && root.documents.indexing && root.documents.progress < 0
            }
            Label {
                objectName: "indexProgressText"
                Layout.fillWidth: true
                text: root.documents ? root.documents.progressText : ""
                color: Theme.textMuted
                elide: Text.ElideRight
            }
        }
        Label {
            Layout.fillWidth: true
            visible: text.length > 0
            text: root.documents ? root.documents.errorText : ""
            color: Theme.danger
            wrapMode: Text.Wrap
        }
        ListView {
            id: list
            objectName: "documentList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 4
            model: root.documents ? root.documents.documents : null
            ScrollBar.vertical: ScrollBar { }
            Accessible.name: qsTr("Documents")
            delegate: Rectangle {
                id: doc
                required property int index
                required property var documentId
                required property string fileName
                required property string path
                required property string status
                required property string detail
                required property int pages
                required property int chunks
                required property string language
                readonly property bool ok: status === "indexed" || status === "ocr"
                width: ListView.view.width
                height: docColumn.implicitHeight + 12
                radius: 8
                color: Theme.surface
                border.color: Theme.border
                RowLayout {
                    anchors.fill: parent
                    anchors.leftMargin: 10
                    anchors.rightMargin: 6
                    ColumnLayout {
                        id: docColumn
                        Layout.fillWidth: true
                        spacing: 1
                        Label { text: doc.fileName; font.bold: true; color: Theme.text; elide: Text.ElideMiddle; Layout.fillWidth: true }
                        Label {
                            Layout.fillWidth: true
                            text: (root.statusText[doc.status] || doc.status)
                                  + (doc.ok ? " · " + qsTr("%n page(s)", "", doc.pages) + " · " + qsTr("%n chunk(s)", "", doc.chunks) : "")
                                  + (doc.ok && doc.language.length > 0 ? " · " + doc.language : "")
                                  + (doc.detail.length > 0 ? " — " + doc.detail : "")
                            color: doc.ok ? Theme.success : Theme.danger
                            font.pixelSize: Theme.smallFontSize
                            wrapMode: Text.Wrap
                        }
                    }
                    IconButton {
                        objectName: "summarizeButton"
                        visible: doc.ok
                        enabled: root.canSummarize
                        text: qsTr("Summarize")
                        Accessible.name: qsTr("Summarize %1").arg(doc.fileName)
                        onClicked: { root.summarizeRequested(doc.documentId, doc.fileName); root.close() }
                    }
                    IconButton {
                        visible: doc.status === "encrypted"
                        text: qsTr("Password…")
                        Accessible.name: qsTr("Enter the password of %1").arg(doc.fileName)
                        onClicked: root.askPassword(doc.path, false)
                    }
                    IconButton {
                        text: qsTr("Remove")
                        Accessible.name: qsTr("Remove %1 from the index").arg(doc.fileName)
                        onClicked: root.documents.remove(doc.index)
                    }
                }
            }
            Label {
                anchors.centerIn: parent
                width: parent.width - 40
                visible: list.count === 0
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                color: Theme.textMuted
                text: qsTr("Add PDFs, text, Markdown, DOCX or ODT files, or drop them on the window. Then turn on “Use my documents” to get answers with [n] citations.")
            }
        }
    }
}
