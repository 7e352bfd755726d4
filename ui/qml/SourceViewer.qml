// A cited source: the excerpt the model was given and, for a PDF, the document
// opened at the cited page (QtQuick.Pdf). Loaded on demand by Main.qml so a
// missing PDF module only disables this viewer.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QtQuick.Pdf

Dialog {
    id: root
    property var source: ({})   // {n, path, page, pageTo, label, excerpt}
    readonly property bool isPdf: String(source.path || "").toLowerCase().endsWith(".pdf")

    title: qsTr("Source [%1]: %2").arg(source.n || "").arg(source.label || "")
    modal: true
    standardButtons: Dialog.Close
    width: parent ? parent.width - 60 : 800
    height: parent ? parent.height - 60 : 600
    anchors.centerIn: parent

    function showPage() {
        if (isPdf && pdf.status === PdfDocument.Ready && source.page > 0)
            view.goToPage(source.page - 1)
    }
    onOpened: showPage()

    PdfDocument {
        id: pdf
        source: root.isPdf ? "file://" + root.source.path : ""
        onStatusChanged: root.showPage()
    }

    contentItem: ColumnLayout {
        spacing: 8
        Label { text: qsTr("Excerpt given to the model"); font.bold: true; color: Theme.text }
        ScrollView {
            Layout.fillWidth: true
            Layout.preferredHeight: Math.min(excerpt.implicitHeight + 16, 140)
            TextArea {
                id: excerpt
                objectName: "sourceExcerpt"
                text: root.source.excerpt || ""
                readOnly: true
                wrapMode: TextArea.Wrap
                color: Theme.text
                background: Rectangle { color: Theme.surfaceAlt; radius: 6 }
            }
        }
        Label {
            Layout.fillWidth: true
            text: root.source.path || ""
            color: Theme.textMuted
            font.pixelSize: Theme.smallFontSize
            elide: Text.ElideMiddle
        }
        PdfMultiPageView {
            id: view
            objectName: "pdfView"
            visible: root.isPdf
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            document: pdf
        }
        Label {
            visible: root.isPdf && pdf.pageCount === 0
            text: qsTr("The PDF could not be opened.")
            color: Theme.danger
        }
        Item { visible: !root.isPdf; Layout.fillHeight: true }
    }
}
