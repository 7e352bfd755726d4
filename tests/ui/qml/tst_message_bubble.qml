// MessageBubble: Markdown blocks with a copyable code block, the folded reasoning,
// the stats line, and the message actions (copy, regenerate on the last answer,
// edit and resend on the user's messages).
import QtQuick
import QtTest
import Assistant

Item {
    id: host
    width: 800
    height: 600

    MessageBubble {
        id: answer
        width: parent.width
        index: 1
        role: "assistant"
        text: "<think>hmm</think>Hi"
        stats: "12.0 tok/s · first token 80 ms · context 40/2048 · cpu"
        reasoning: "hmm"
        reasoningOpen: false
        blocks: [{kind: "text", content: "<p><b>Hi</b></p>", language: ""},
                 {kind: "code", content: "ls -l", language: "sh"}]
        isLast: true
        sources: []
    }

    MessageBubble {
        id: question
        y: 300
        width: parent.width
        index: 0
        role: "user"
        text: "Tell me"
        stats: ""
        reasoning: ""
        reasoningOpen: false
        blocks: []
        sources: []
    }

    SignalSpy { id: copiedText; target: answer; signalName: "copyTextRequested" }
    SignalSpy { id: copiedRow; target: answer; signalName: "copyRequested" }
    SignalSpy { id: regenerated; target: answer; signalName: "regenerateRequested" }
    SignalSpy { id: edited; target: question; signalName: "editRequested" }

    function findNamed(item, name) {
        if (item.objectName === name) return item
        for (let i = 0; i < item.children.length; ++i) {
            const found = findNamed(item.children[i], name)
            if (found) return found
        }
        return null
    }

    TestCase {
        name: "MessageBubble"
        when: windowShown

        function test_codeBlockCopiesItsCode() {
            const copy = findNamed(answer, "codeCopyButton")
            verify(copy, "no Copy button on the code block")
            mouseClick(copy)
            compare(copiedText.count, 1)
            compare(copiedText.signalArguments[0][0], "ls -l")
            compare(copy.text, "Copied")
        }

        function test_statsAndActionsOfTheLastAnswer() {
            const stats = findNamed(answer, "statsLine")
            verify(stats.visible)
            verify(stats.text.indexOf("tok/s") >= 0)
            mouseClick(findNamed(answer, "copyMessageButton"))
            compare(copiedRow.count, 1)
            compare(copiedRow.signalArguments[0][0], 1)
            const regenerate = findNamed(answer, "regenerateButton")
            verify(regenerate.visible)
            mouseClick(regenerate)
            compare(regenerated.count, 1)
            answer.streaming = true  // no actions while the answer is written
            verify(!findNamed(answer, "copyMessageButton").visible)
            answer.streaming = false
        }

        function test_reasoningIsFoldedUntilOpened() {
            const toggle = findNamed(answer, "reasoningToggle")
            verify(toggle.visible)
            verify(toggle.text.indexOf("Reasoning") >= 0)
            const before = answer.implicitHeight
            mouseClick(toggle)
            tryVerify(() => answer.implicitHeight > before)  // Column lays out on the next polish
            mouseClick(toggle)
            tryCompare(answer, "implicitHeight", before)
        }

        function test_editAndResend() {
            verify(!findNamed(question, "regenerateButton").visible)
            mouseClick(findNamed(question, "editMessageButton"))
            const editor = findNamed(question, "messageEditor")
            verify(editor.visible)
            compare(editor.text, "Tell me")
            editor.selectAll()
            keyClick(Qt.Key_X)
            keyClick(Qt.Key_Return)
            compare(edited.count, 1)
            compare(edited.signalArguments[0][0], 0)
            compare(edited.signalArguments[0][1], "x")
            verify(!editor.visible)
        }

        function test_noEditWhileTheModelIsBusy() {
            question.canAct = false
            verify(!findNamed(question, "editMessageButton").enabled)
            question.canAct = true
        }
    }
}
