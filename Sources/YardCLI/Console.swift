import Foundation

/// Unbuffered output, so lines reach a pipe (a supervisor, a test) at once, not when a buffer fills.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Text that came from the server or another user (actors, history details, names), made safe to
    /// print: control characters become visible escapes, so a stored value cannot move the cursor,
    /// recolour the terminal or forge extra lines in `yard model history`.
    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
