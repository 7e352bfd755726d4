// Colours and sizes shared by the UI. `dark` and `fontSize` follow the settings
// (Main.qml binds them); everything else derives from those two.
// Text colours keep a WCAG contrast ratio of at least 4.5 on every surface they are
// drawn on (window, surface, surfaceAlt, sidebar; accentText on accent), in both
// themes: tests/ui/contrast_test.cpp measures it on screenshots.
pragma Singleton
import QtQuick

QtObject {
    property bool dark: false
    property int fontSize: 14

    readonly property color window: dark ? "#16181d" : "#f4f5f8"
    readonly property color surface: dark ? "#20232a" : "#ffffff"
    readonly property color surfaceAlt: dark ? "#2a2e37" : "#eef1f6"
    readonly property color sidebar: dark ? "#1b1e24" : "#eceff4"
    readonly property color border: dark ? "#363b46" : "#dfe3ea"
    readonly property color text: dark ? "#e6e8ee" : "#1f2430"
    readonly property color textMuted: dark ? "#9aa3b2" : "#5b6372"
    readonly property color accent: dark ? "#6d96f2" : "#2f62d0"
    readonly property color accentPressed: dark ? "#5a82dc" : "#2753b5"
    readonly property color accentSoft: dark ? "#2b3650" : "#e3e9f7"
    readonly property color accentText: dark ? "#0b0f18" : "#ffffff"  // on accent
    readonly property color selection: dark ? "#3d5a99" : "#bcd0f7"
    readonly property color disabled: dark ? "#3c414c" : "#b9c3d6"
    readonly property color danger: dark ? "#ef7b6e" : "#b03325"
    readonly property color dangerPressed: "#a93226"
    readonly property color dangerSurface: dark ? "#3a2222" : "#fdecea"
    readonly property color dangerBorder: dark ? "#7a3b35" : "#f3b8b1"
    readonly property color demoSurface: dark ? "#3b3420" : "#fff3cd"
    readonly property color demoBorder: dark ? "#8a7330" : "#e0b84a"
    readonly property color demoText: dark ? "#f0d27a" : "#7a5b00"
    readonly property color codeSurface: dark ? "#12141a" : "#f6f8fa"
    readonly property color codeHeader: dark ? "#1c1f27" : "#eaeef3"
    readonly property color success: dark ? "#7bc88f" : "#27704a"

    readonly property int radius: 12
    readonly property int spacing: 12
    readonly property int smallFontSize: Math.max(10, fontSize - 2)
    readonly property int largeFontSize: fontSize + 3
    readonly property string monoFamily: "monospace"
}
