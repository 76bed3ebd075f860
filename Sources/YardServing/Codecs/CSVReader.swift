import YardJSON

/// An incremental RFC 4180 reader: quoted fields with `""` escapes, LF or CRLF line ends, blank lines
/// skipped (as pandas does). Fed in arbitrary byte chunks, so `yard predict` can stream files larger
/// than memory and the server can parse a whole body with the same code.
public struct CSVReader: Sendable {
    private var field: [UInt8] = []
    private var record: [String] = []
    private var inQuotes = false
    /// A quote inside a quoted field: either the end of the quotes or the first half of `""`.
    private var quotePending = false
    private var fieldStarted = false
    /// 1-based line of the record being read, for error messages.
    public private(set) var line = 1
    private var recordLine = 1
    /// How much of a leading UTF-8 byte order mark (as Excel writes) has been skipped; -1 once past it.
    private var byteOrderMarkMatched = 0
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    public init() {}

    /// Completed records found in `bytes`, each with the line it started on.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(CodecError) -> [(line: Int, fields: [String])] {
        var completed: [(line: Int, fields: [String])] = []
        for byte in bytes {
            if byteOrderMarkMatched >= 0 {
                if byte == Self.byteOrderMark[byteOrderMarkMatched] {
                    byteOrderMarkMatched += 1
                    if byteOrderMarkMatched == Self.byteOrderMark.count { byteOrderMarkMatched = -1 }
                    continue
                }
                // Not a mark after all: the bytes matched so far are content.
                field.append(contentsOf: Self.byteOrderMark[..<byteOrderMarkMatched])
                if byteOrderMarkMatched > 0 { fieldStarted = true }
                byteOrderMarkMatched = -1
            }
            if inQuotes {
                if quotePending {
                    quotePending = false
                    if byte == UInt8(ascii: "\"") {
                        field.append(byte)
                        continue
                    }
                    inQuotes = false
                    // Falls through: the byte after a closing quote is read as unquoted.
                } else if byte == UInt8(ascii: "\"") {
                    quotePending = true
                    continue
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                    continue
                }
            }
            switch byte {
            case UInt8(ascii: "\""):
                if field.isEmpty {
                    inQuotes = true
                    fieldStarted = true
                } else {
                    throw .invalid("CSV line \(line): a quote inside an unquoted field; quote the whole field and double the quote (\"\"), e.g. \"a \"\"b\"\"\"")
                }
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\n"):
                if let finished = endRecord() { completed.append(finished) }
                line += 1
                recordLine = line
            case UInt8(ascii: "\r"):
                continue
            default:
                field.append(byte)
                fieldStarted = true
            }
        }
        return completed
    }

    /// The last record when the input does not end with a newline.
    public mutating func finish() throws(CodecError) -> (line: Int, fields: [String])? {
        if inQuotes && !quotePending {
            throw .invalid("CSV line \(recordLine): a quoted field is not closed before the end of the input")
        }
        inQuotes = false
        quotePending = false
        return endRecord()
    }

    private mutating func endField() {
        record.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        fieldStarted = false
    }

    private mutating func endRecord() -> (line: Int, fields: [String])? {
        if record.isEmpty && field.isEmpty && !fieldStarted {
            return nil  // a blank line
        }
        endField()
        defer { record.removeAll(keepingCapacity: true) }
        return (recordLine, record)
    }

    /// A CSV cell as the request codecs see it: pandas' missing-value spellings are null, numbers are
    /// numbers (in JSON syntax), anything else is a string. Booleans stay strings; conversion to a bool
    /// input accepts "true"/"false" spellings.
    public static func cell(_ text: String) -> JSONValue {
        if text.isEmpty || missingSpellings.contains(text) { return .null }
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return .string(text) }
        if NumberText.isJSONNumber(text) { return .number(text) }
        // Forms JSON lacks but pandas reads as numbers: "+3", ".5", "1.".
        if text.utf8.allSatisfy({ NumberText.isNumberByte($0) }), let value = Double(text), value.isFinite {
            if let integer = Int64(text) { return .number(String(integer)) }
            return .number("\(value)")
        }
        return .string(text)
    }

    /// pandas' default `na_values`, the spellings people actually write.
    static let missingSpellings: Set<String> = ["NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "null", "NULL", "None", "<NA>", "#N/A"]
}
