/// Text from files, servers and other users, made safe to print on a terminal.
public enum TerminalText {
    /// Control and format characters become visible `\u{…}` escapes, so a crafted value (a column name,
    /// an actor, a history detail) cannot move the cursor, recolour the terminal or forge extra lines.
    public static func printable(_ text: String) -> String {
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
