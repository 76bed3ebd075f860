import Foundation
import YardJSON

/// Reads JSON lines (one object per line, UTF-8) in one streaming pass, spilling each key's values to
/// its own column file. Columns are in the order keys are first seen; a key absent from a row, or
/// null, is a missing cell; blank lines are skipped. Nested arrays and objects are kept as their JSON
/// text (a string column).
enum JSONLinesReader {
    static func read(path: String, label: String, chunkSize: Int = 1 << 20) throws -> SpilledTable {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DriftError("Cannot open \(path): \(String(cString: strerror(errno))). Check the path.")
        }
        defer { close(descriptor) }
        var spills = try ColumnSpillSet()
        do {
            var table = RowAccumulator(path: path)
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: chunkSize)
            var line = 1
            while true {
                let count = try chunk.withUnsafeMutableBytes { raw -> Int in
                    while true {
                        let count = Foundation.read(descriptor, raw.baseAddress!, raw.count)
                        if count < 0, errno == EINTR { continue }
                        if count < 0 { throw DriftError("Cannot read \(path): \(String(cString: strerror(errno))).") }
                        return count
                    }
                }
                if count == 0 { break }
                var lineStart = 0
                for index in 0..<count where chunk[index] == UInt8(ascii: "\n") {
                    if pending.isEmpty {
                        try table.addLine(Array(chunk[lineStart..<index]), line: line, into: &spills)
                    } else {
                        pending.append(contentsOf: chunk[lineStart..<index])
                        try table.addLine(pending, line: line, into: &spills)
                        pending.removeAll(keepingCapacity: true)
                    }
                    line += 1
                    lineStart = index + 1
                }
                pending.append(contentsOf: chunk[lineStart..<count])
            }
            if !pending.isEmpty { try table.addLine(pending, line: line, into: &spills) }
            if spills.names.isEmpty {
                throw DriftError("\(path) has no JSON objects with keys: JSON lines need one object per line, e.g. {\"age\": 31}.")
            }
            return try spills.finish(label: label, rowCount: table.rows)
        } catch {
            spills.discard()
            throw error
        }
    }

    private struct RowAccumulator {
        let path: String
        var rows = 0
        var columnIndex: [String: Int] = [:]
        var written: [Bool] = []

        init(path: String) { self.path = path }

        mutating func addLine(_ bytes: [UInt8], line: Int, into spills: inout ColumnSpillSet) throws {
            var high: UInt8 = 0
            var blank = true
            for byte in bytes {
                high |= byte
                if blank, byte != 0x20, byte != 0x09, byte != 0x0D { blank = false }
            }
            if blank { return }
            if high >= 0x80, String(validating: bytes, as: UTF8.self) == nil {
                throw DriftError("\(path) line \(line): not valid UTF-8. Save the file as UTF-8.")
            }
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes)
            } catch let failure as JSONParser.Failure {
                throw DriftError("\(path) line \(line), byte \(failure.offset + 1): not valid JSON (\(failure.reason)).")
            }
            guard case .object(let members) = value else {
                throw DriftError("\(path) line \(line): expected a JSON object per line, found \(value.pythonTypeName == "list" ? "an array" : "a \(value.pythonTypeName) value").")
            }
            try add(members: members, into: &spills, context: "\(path) line \(line)")
        }

        mutating func add(members: [(String, JSONValue)], into spills: inout ColumnSpillSet, context: String) throws {
            for index in written.indices { written[index] = false }
            for (key, value) in members {
                let column: Int
                if let known = columnIndex[key] {
                    column = known
                } else {
                    column = spills.addColumn(key)
                    columnIndex[key] = column
                    written.append(false)
                    for _ in 0..<rows { try spills.append(tag: .missing, cellClass: .missing, bytes: nil, column: column) }
                }
                if written[column] {
                    throw DriftError("\(context): the key '\(key)' appears twice in one object.")
                }
                written[column] = true
                try JSONCell.append(value, column: column, into: &spills)
            }
            for column in written.indices where !written[column] {
                try spills.append(tag: .missing, cellClass: .missing, bytes: nil, column: column)
            }
            rows += 1
        }
    }
}

/// One JSON value as a cell, with the class pandas would give it.
enum JSONCell {
    static func append(_ value: JSONValue, column: Int, into spills: inout ColumnSpillSet) throws {
        try encode(value) { tag, cellClass, bytes in
            try spills.append(tag: tag, cellClass: cellClass, bytes: bytes, column: column)
        }
    }

    static func encode(_ value: JSONValue,
                       _ emit: (CellTag, CellClass, UnsafeBufferPointer<UInt8>?) throws -> Void) rethrows {
        switch value {
        case .null:
            try emit(.missing, .missing, nil)
        case .bool(let flag):
            try emit(flag ? .jsonTrue : .jsonFalse, .boolean, nil)
        case .number(let text):
            var text = text
            try text.withUTF8 { bytes in
                // A hand-built `.number` whose text is no number is kept as text rather than lost.
                if let numberClass = CellClassifier.numberClass(bytes) {
                    try emit(.jsonNumber, numberClass, bytes)
                } else {
                    try emit(.text, .string, bytes)
                }
            }
        case .string(let text):
            var text = text
            try text.withUTF8 { bytes in try emit(.text, .string, bytes) }
        case .array, .object:
            let bytes = JSONWriter.bytes(value)
            try bytes.withUnsafeBufferPointer { bytes in try emit(.text, .string, bytes) }
        }
    }
}
