import Foundation
import YardCore

/// Unbuffered output, so lines reach a pipe (a supervisor, a test) at once, not when a buffer fills.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Columns padded to their widest cell, two spaces apart; `rule` draws dashes under the header.
    static func table(_ header: [String], _ rows: [[String]], rule: Bool = true) -> String {
        let widths = header.indices.map { column in ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        let ruleLine = rule ? [line(widths.map { String(repeating: "-", count: $0) })] : []
        return ([line(header)] + ruleLine + rows.map(line)).joined(separator: "\n")
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Text that came from the server or another user (actors, history details, names), made safe to
    /// print: control characters become visible escapes, so a stored value cannot move the cursor,
    /// recolour the terminal or forge extra lines in `yard model history`.
    static func printable(_ text: String) -> String {
        TerminalText.printable(text)
    }
}
