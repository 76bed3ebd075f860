/// Escaping for text that lands in HTML or SVG, inside elements or quoted attributes: the web UI and the
/// one-file drift report share it, so a payload that is inert in one is inert in the other.
public enum HTMLEscaping {
    /// Appends `value` to `output` with `& < > " '` escaped. With `showingControlCharacters`, control
    /// characters other than tab, newline and carriage return (not allowed in HTML text) are shown as
    /// `\u{…}` so a report still displays a crafted name faithfully.
    public static func escape(_ value: String, into output: inout String, showingControlCharacters: Bool = false) {
        // Fast path: most names and numbers hold nothing to escape.
        if !value.utf8.contains(where: { byte in
            byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27
                || (showingControlCharacters && (byte < 0x20 || byte == 0x7F))
        }) {
            output += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default:
                if showingControlCharacters && isHiddenControl(scalar) {
                    output += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
    }

    public static func escaped(_ value: String, showingControlCharacters: Bool = false) -> String {
        var output = ""
        output.reserveCapacity(value.utf8.count)
        escape(value, into: &output, showingControlCharacters: showingControlCharacters)
        return output
    }

    private static func isHiddenControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r") || scalar.value == 0x7F
    }
}
