import YardJSON

/// Number text in and out of the codecs. Floats render as the shortest text that reads back to the
/// same value (so a float32 output keeps every bit: `0.1` stays `0.1`, not `0.10000000149011612`).
/// JSON has no NaN or infinity, so non-finite outputs render as `null` in every response.
enum NumberText {
    static func json(_ value: Float) -> JSONValue {
        value.isFinite ? .number(value.description) : .null
    }

    static func json(_ value: Double) -> JSONValue {
        value.isFinite ? .number(value.description) : .null
    }

    static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// RFC 8259 number syntax: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        func digits() -> Int {
            let count = bytes.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }).count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            if digits() == 0 { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            if digits() == 0 { return false }
        }
        return bytes.isEmpty
    }

    static let infinitySpellings: Set<String> = ["inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"]
    static let nanSpellings: Set<String> = ["nan", "-nan"]
}
