import Foundation
import YardJSON

/// One cell as read from a CSV or JSON-lines file.
public enum TableCell: Sendable, Equatable {
    case missing
    case number(Double)
    case text(String)
    case bool(Bool)
    /// A JSON object of class → probability (a classifier's `predict_proba` output logged as a map).
    case probabilities([String: Double])

    /// The label this cell stands for, in `LabelText`'s canonical form; nil when missing.
    public var label: String? {
        switch self {
        case .missing, .probabilities: return nil
        case .number(let value): return LabelText.canonical(value)
        case .text(let text): return LabelText.canonical(text)
        case .bool(let flag): return flag ? "true" : "false"
        }
    }

    public var number: Double? {
        switch self {
        case .number(let value): return value.isFinite ? value : nil
        case .bool(let flag): return flag ? 1 : 0
        case .text(let text): return Double(text.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
        case .missing, .probabilities: return nil
        }
    }
}

/// A few columns of a CSV or JSON-lines file read row-aligned (quality metrics pair a row's target with
/// its own prediction, so the columns cannot be read as unordered samples the way drift reads them).
/// The whole selection is held in memory: quality inputs are label-joined windows, not drift-sized files.
public struct LabeledTable: Sendable {
    public let path: String
    /// Every column of the file, in file order (JSON lines: in order of first appearance).
    public let columnNames: [String]
    public let rowCount: Int
    /// The requested columns, each `rowCount` cells long.
    public let columns: [String: [TableCell]]

    public init(path: String, columnNames: [String], rowCount: Int, columns: [String: [TableCell]]) {
        self.path = path
        self.columnNames = columnNames
        self.rowCount = rowCount
        self.columns = columns
    }

    /// `.jsonl`/`.ndjson`/`.json` are JSON lines, anything else CSV (a first byte of `{` also means JSON lines).
    public static func read(path: String, columns wanted: [String]) throws(QualityError) -> LabeledTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QualityError("Cannot read '\(path)': no such file or not readable.")
        }
        let bytes = [UInt8](data)
        let lower = path.lowercased()
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        let isJSONLines = lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") || firstByte == UInt8(ascii: "{")
        let table = isJSONLines ? try readJSONLines(bytes, path: path, wanted: wanted) : try readCSV(bytes, path: path, wanted: wanted)
        return table
    }

    private static func missingColumn(_ name: String, path: String, names: [String]) -> QualityError {
        let shown = names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", …" : "")
        return QualityError("Column '\(name)' is not in '\(path)' (columns: \(shown)).")
    }

    // MARK: CSV

    /// pandas' default missing markers, so a cell missing for Evidently is missing here too.
    static let missingMarkers: Set<String> = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                                              "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]

    static func csvCell(_ raw: String, quoted: Bool) -> TableCell {
        if !quoted, missingMarkers.contains(raw) { return .missing }
        if quoted, raw.isEmpty { return .missing }
        switch raw {
        case "True", "TRUE", "true": return .bool(true)
        case "False", "FALSE", "false": return .bool(false)
        default: break
        }
        if let number = Double(raw.trimmingCharacters(in: .whitespaces)) { return .number(number) }
        return .text(raw)
    }

    private static func readCSV(_ bytes: [UInt8], path: String, wanted: [String]) throws(QualityError) -> LabeledTable {
        var records = CSVRecords(bytes: bytes)
        guard let header = try records.next(path: path) else {
            throw QualityError("'\(path)' is empty: expected a CSV header line.")
        }
        let names = header.map(\.text)
        var positions: [(String, Int)] = []
        for name in wanted where !positions.contains(where: { $0.0 == name }) {
            guard let index = names.firstIndex(of: name) else { throw missingColumn(name, path: path, names: names) }
            positions.append((name, index))
        }
        var columns = Dictionary(uniqueKeysWithValues: positions.map { ($0.0, [TableCell]()) })
        var rows = 0
        while let record = try records.next(path: path) {
            if record.count == 1, record[0].text.isEmpty, !record[0].quoted { continue }   // blank line
            rows += 1
            guard record.count == names.count else {
                throw QualityError("'\(path)' row \(rows) has \(record.count) fields but the header has \(names.count).")
            }
            for (name, index) in positions {
                columns[name]!.append(csvCell(record[index].text, quoted: record[index].quoted))
            }
        }
        return LabeledTable(path: path, columnNames: names, rowCount: rows, columns: columns)
    }

    // MARK: JSON lines

    private static func readJSONLines(_ bytes: [UInt8], path: String, wanted: [String]) throws(QualityError) -> LabeledTable {
        var names: [String] = []
        var seen: Set<String> = []
        var columns = Dictionary(uniqueKeysWithValues: wanted.map { ($0, [TableCell]()) })
        var rows = 0
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var slice = line
            if slice.last == 0x0D { slice = slice.dropLast() }
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let value: JSONValue
            do { value = try JSONParser.parse(Array(slice)) } catch {
                throw QualityError("'\(path)' line \(lineNumber) is not valid JSON: \(error).")
            }
            guard case .object(let members) = value else {
                throw QualityError("'\(path)' line \(lineNumber) is not a JSON object; each line must be one record.")
            }
            rows += 1
            for (key, _) in members where seen.insert(key).inserted { names.append(key) }
            for name in wanted {
                let member = members.first { $0.0 == name }?.1
                columns[name]!.append(member.map(jsonCell) ?? .missing)
            }
        }
        for name in wanted where !seen.contains(name) { throw missingColumn(name, path: path, names: names) }
        return LabeledTable(path: path, columnNames: names, rowCount: rows, columns: columns)
    }

    static func jsonCell(_ value: JSONValue) -> TableCell {
        switch value {
        case .null: return .missing
        case .bool(let flag): return .bool(flag)
        case .number(let text): return Double(text).map(TableCell.number) ?? .text(text)
        case .string(let text): return text.isEmpty ? .missing : .text(text)
        case .object(let members):
            var probabilities: [String: Double] = [:]
            for (key, member) in members {
                guard case .number(let text) = member, let number = Double(text) else {
                    return .text(String(decoding: JSONWriter.bytes(value), as: UTF8.self))
                }
                probabilities[key] = number
            }
            return .probabilities(probabilities)
        case .array:
            return .text(String(decoding: JSONWriter.bytes(value), as: UTF8.self))
        }
    }
}

/// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.
struct CSVRecords {
    struct Field {
        var text: String
        var quoted: Bool
    }

    let bytes: [UInt8]
    var position = 0
    var line = 1

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    mutating func next(path: String) throws(QualityError) -> [Field]? {
        guard position < bytes.count else { return nil }
        var fields: [Field] = []
        var current: [UInt8] = []
        var quoted = false
        let startLine = line
        while true {
            guard position < bytes.count else {
                fields.append(Field(text: String(decoding: current, as: UTF8.self), quoted: quoted))
                return fields
            }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\""), current.isEmpty, !quoted {
                quoted = true
                while true {
                    guard position < bytes.count else {
                        throw QualityError("'\(path)' line \(startLine): a quoted field is never closed.")
                    }
                    let inner = bytes[position]
                    position += 1
                    if inner == UInt8(ascii: "\"") {
                        if position < bytes.count, bytes[position] == UInt8(ascii: "\"") {
                            current.append(inner)
                            position += 1
                        } else {
                            break
                        }
                    } else {
                        if inner == 0x0A { line += 1 }
                        current.append(inner)
                    }
                }
            } else if byte == UInt8(ascii: ",") {
                fields.append(Field(text: String(decoding: current, as: UTF8.self), quoted: quoted))
                current.removeAll(keepingCapacity: true)
                quoted = false
            } else if byte == 0x0A {
                line += 1
                if current.last == 0x0D { current.removeLast() }
                fields.append(Field(text: String(decoding: current, as: UTF8.self), quoted: quoted))
                return fields
            } else {
                current.append(byte)
            }
        }
    }
}
