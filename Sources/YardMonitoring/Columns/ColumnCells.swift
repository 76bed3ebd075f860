import Foundation

/// How a cell is stored in a column's spill: a tag byte, then for tags with text a LEB128 length and
/// the bytes. CSV cells are all `.text` (their class is decided again at load from the column's type);
/// JSON keeps its value kinds so a string "1" and a number 1 stay distinct.
enum CellTag: UInt8 {
    case missing = 0
    case text = 1
    case jsonNumber = 2
    case jsonTrue = 3
    case jsonFalse = 4
}

/// Per-column counts by cell class; they decide the pandas value type.
struct ColumnTally: Sendable {
    var rows = 0
    var missing = 0
    var integers = 0
    var floats = 0
    var booleans = 0
    var strings = 0

    mutating func add(_ cellClass: CellClass) {
        rows += 1
        switch cellClass {
        case .missing: missing += 1
        case .integer: integers += 1
        case .float: floats += 1
        case .boolean: booleans += 1
        case .string: strings += 1
        }
    }

    /// pandas' dtype for the column: an integer column with a missing cell becomes float; booleans mixed
    /// with anything else, or any string, make an object column of strings.
    var valueType: ValueType {
        if strings > 0 || (booleans > 0 && integers + floats > 0) { return .string }
        if booleans > 0 { return .boolean }
        if floats > 0 || (integers > 0 && missing > 0) { return .float }
        if integers > 0 { return .integer }
        return .empty
    }
}

/// Appends encoded cells to a byte buffer; with a path, the buffer is appended to that file whenever it
/// passes `flushSize` (the file is opened per flush, so a wide table needs no descriptor per column).
struct CellWriter {
    private(set) var buffer: [UInt8] = []
    let path: String?
    private let flushSize: Int

    init(path: String?, flushSize: Int = 1 << 18) {
        self.path = path
        self.flushSize = flushSize
        buffer.reserveCapacity(path == nil ? 1024 : flushSize + 1024)
    }

    mutating func append(_ tag: CellTag) { buffer.append(tag.rawValue) }

    mutating func append(_ tag: CellTag, _ bytes: UnsafeBufferPointer<UInt8>) throws {
        Self.encode(tag, bytes, into: &buffer)
        if path != nil, buffer.count >= flushSize { try flush() }
    }

    static func encode(_ tag: CellTag, _ bytes: UnsafeBufferPointer<UInt8>?, into buffer: inout [UInt8]) {
        buffer.append(tag.rawValue)
        guard let bytes else { return }
        var length = bytes.count
        while length >= 0x80 {
            buffer.append(UInt8(length & 0x7F) | 0x80)
            length >>= 7
        }
        buffer.append(UInt8(length))
        buffer.append(contentsOf: bytes)
    }

    mutating func flush() throws {
        guard let path, !buffer.isEmpty else { return }
        try FileBytes.append(buffer, to: path)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Turns a column's encoded cells into the sample the tests read.
enum CellDecoder {
    static func load(name: String, valueType: ValueType, cells: [UInt8]) throws -> LoadedColumn {
        try cells.withUnsafeBufferPointer { bytes in
            switch valueType {
            case .string:
                return LoadedColumn(name: name, valueType: .string, sample: try categories(bytes, name))
            case .integer, .float, .boolean, .empty:
                return LoadedColumn(name: name, valueType: valueType, sample: try numbers(bytes, name, valueType))
            }
        }
    }

    private static func forEachCell(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String,
                                    _ body: (CellTag, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var index = 0
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        while index < bytes.count {
            guard let tag = CellTag(rawValue: bytes[index]) else { throw corrupt(name) }
            index += 1
            switch tag {
            case .missing, .jsonTrue, .jsonFalse:
                try body(tag, empty)
            case .text, .jsonNumber:
                var length = 0, shift = 0
                while true {
                    guard index < bytes.count, shift < 63 else { throw corrupt(name) }
                    let byte = bytes[index]
                    index += 1
                    length |= Int(byte & 0x7F) << shift
                    if byte < 0x80 { break }
                    shift += 7
                }
                guard length <= bytes.count - index else { throw corrupt(name) }
                try body(tag, UnsafeBufferPointer(rebasing: bytes[index..<index + length]))
                index += length
            }
        }
    }

    private static func corrupt(_ name: String) -> DriftError {
        DriftError("The temporary cells of column '\(name)' are damaged; read the file again.")
    }

    private static func numbers(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String, _ valueType: ValueType) throws -> ColumnSample {
        var values: [Double] = []
        var missing = 0
        try forEachCell(bytes, name) { tag, cell in
            switch tag {
            case .missing: missing += 1
            case .jsonTrue: values.append(1)
            case .jsonFalse: values.append(0)
            case .text where valueType == .boolean: values.append(CellClassifier.isTrue(cell) ? 1 : 0)
            case .text, .jsonNumber:
                guard let value = NumberParser.parse(cell) else {
                    throw DriftError("Column '\(name)': '\(String(decoding: cell, as: UTF8.self))' is not a number.")
                }
                values.append(value)
            }
        }
        return ColumnSample(numbers: values, missing: missing)
    }

    private static func categories(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String) throws -> ColumnSample {
        var counts: [CategoryValue: Int] = [:]
        var missing = 0
        try forEachCell(bytes, name) { tag, cell in
            switch tag {
            case .missing: missing += 1
            case .text: counts[.text(String(decoding: cell, as: UTF8.self)), default: 0] += 1
            case .jsonTrue: counts[.text("True"), default: 0] += 1
            case .jsonFalse: counts[.text("False"), default: 0] += 1
            case .jsonNumber:
                if let value = NumberParser.parse(cell), value.isFinite {
                    counts[.number(value == 0 ? 0 : value), default: 0] += 1
                } else {
                    missing += 1
                }
            }
        }
        return ColumnSample(counts: counts, missing: missing)
    }
}
