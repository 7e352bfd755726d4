// Sidebar: search sets the list's filter, clicking a conversation opens it,
// rename and delete (after confirmation) are requested with the right id, and
// New chat is refused while an answer is being written.
import QtQuick
import QtTest
import Assistant

Item {
    width: 300
    height: 500

    ListModel {
        id: conversations
        property string filter
        ListElement { conversationId: 7; title: "Pasta"; modelName: "tiny" }
        ListElement { conversationId: 9; title: "Rust"; modelName: "" }
    }

    Sidebar {
        id: sidebar
        anchors.fill: parent
        conversations: conversations
        currentId: 7
    }

    SignalSpy { id: opened; target: sidebar; signalName: "openRequested" }
    SignalSpy { id: renamed; target: sidebar; signalName: "renameRequested" }
    SignalSpy { id: deleted; target: sidebar; signalName: "deleteRequested" }
    SignalSpy { id: created; target: sidebar; signalName: "newRequested" }

    function findNamed(item, name) {
        if (item.objectName === name) return item
        for (let i = 0; i < item.children.length; ++i) {
            const found = findNamed(item.children[i], name)
            if (found) return found
        }
        return null
    }

    TestCase {
        name: "Sidebar"
        when: windowShown

        function init() { opened.clear(); renamed.clear(); deleted.clear(); created.clear() }

        function test_searchSetsTheFilter() {
            sidebar.focusSearch()
            keyClick(Qt.Key_R)
            keyClick(Qt.Key_U)
            compare(conversations.filter, "ru")
            keyClick(Qt.Key_Escape)
            compare(conversations.filter, "")
        }

        function test_clickOpens() {
            const list = findNamed(sidebar, "conversationList")
            verify(list)
            tryCompare(list, "count", 2)
            mouseClick(list.itemAtIndex(1), 20, 10)
            compare(opened.count, 1)
            compare(opened.signalArguments[0][0], 9)
        }

        function test_newChatOnlyWhenIdle() {
            const button = findNamed(sidebar, "newChatButton")
            mouseClick(button)
            compare(created.count, 1)
            sidebar.canSwitch = false
            mouseClick(button)
            compare(created.count, 1)
            sidebar.canSwitch = true
        }
    }
}
