// Composer: Enter sends and clears, Shift+Enter adds a line, nothing is sent while
// the model cannot take it, the action button turns into Stop while busy, and Esc
// in the field stops.
import QtQuick
import QtTest
import Assistant

Item {
    width: 800
    height: 200

    Composer {
        id: composer
        width: parent.width
        canSend: true
    }

    SignalSpy { id: sent; target: composer; signalName: "sendRequested" }
    SignalSpy { id: stopped; target: composer; signalName: "stopRequested" }

    TestCase {
        name: "Composer"
        when: windowShown

        function init() {
            composer.text = ""
            composer.canSend = true
            composer.busy = false
            sent.clear()
            stopped.clear()
            composer.focusInput()
        }

        function test_enterSendsTrimmedTextAndClears() {
            composer.text = "  Hello there  "
            keyClick(Qt.Key_Return)
            compare(sent.count, 1)
            compare(sent.signalArguments[0][0], "Hello there")
            compare(composer.text, "")
        }

        function test_shiftEnterAddsALine() {
            keyClick(Qt.Key_A)
            keyClick(Qt.Key_Return, Qt.ShiftModifier)
            keyClick(Qt.Key_B)
            compare(sent.count, 0)
            compare(composer.text, "a\nb")
        }

        function test_nothingSentWhenModelNotReadyOrEmpty() {
            keyClick(Qt.Key_Return)
            compare(sent.count, 0)
            composer.canSend = false
            composer.text = "Hello"
            keyClick(Qt.Key_Return)
            compare(sent.count, 0)
            compare(composer.text, "Hello")
        }

        function test_buttonIsStopWhileBusy() {
            const button = findChild(composer, "composerAction")
            verify(button)
            compare(button.text, "Send")
            composer.busy = true
            compare(button.text, "Stop")
            verify(button.enabled)
            mouseClick(button)
            compare(stopped.count, 1)
            compare(sent.count, 0)
        }

        function test_escapeStopsOnlyWhileBusy() {
            keyClick(Qt.Key_Escape)
            compare(stopped.count, 0)
            composer.busy = true
            composer.focusInput()
            keyClick(Qt.Key_Escape)
            compare(stopped.count, 1)
        }
    }
}
