// Colours and sizes shared by the chat UI.
pragma Singleton
import QtQuick

QtObject {
    readonly property color window: "#f4f5f8"
    readonly property color surface: "#ffffff"
    readonly property color border: "#dfe3ea"
    readonly property color text: "#1f2430"
    readonly property color textMuted: "#6b7280"
    readonly property color accent: "#3b6fe0"
    readonly property color accentText: "#ffffff"
    readonly property color danger: "#c0392b"
    readonly property color dangerSurface: "#fdecea"
    readonly property color dangerBorder: "#f3b8b1"
    readonly property color demoSurface: "#fff3cd"
    readonly property color demoBorder: "#e0b84a"
    readonly property color demoText: "#7a5b00"

    readonly property int radius: 12
    readonly property int spacing: 12
    readonly property int fontSize: 14
    readonly property int smallFontSize: 12
}
