/// A compact binary form of a loaded table, so a monitor reads its reference dataset once and keeps it.
///
/// Layout (integers are LEB128 varints, doubles 8 bytes little-endian):
/// `"YRPF"`, version byte, label, row count, column count, then per column: name, value type byte,
/// missing count, and the values — sorted numbers either as doubles (`0`) or, when every value is an
/// integer below 2^53, as the first value then varint gaps (`1`: a 0/1 or small-integer column costs
/// about a byte a row); or categories (`2`) as (number|text, count) pairs. Every value costs at least a
/// byte of input, so decoding hostile bytes cannot ask for more memory than a small multiple of them.
public enum ReferenceProfileCodec {
    static let magic: [UInt8] = Array("YRPF".utf8)
    public static let version: UInt8 = 1
    private static let exactIntegerLimit = 9_007_199_254_740_992.0

    public static func encode(columns: [LoadedColumn], rowCount: Int, label: String) -> [UInt8] {
        var out = magic
        out.append(version)
        writeString(label, &out)
        writeVarint(UInt64(max(rowCount, 0)), &out)
        writeVarint(UInt64(columns.count), &out)
        for column in columns {
            writeString(column.name, &out)
            out.append(valueTypeCode(column.valueType))
            writeVarint(UInt64(max(column.sample.missing, 0)), &out)
            switch column.sample.values {
            case .numbers(let numbers):
                // Gaps are exact only when the whole span is below 2^53, and only ascending values have gaps.
                if let first = numbers.first, let last = numbers.last, last - first < exactIntegerLimit,
                   numbers.allSatisfy({ $0 == $0.rounded() && abs($0) < exactIntegerLimit }),
                   zip(numbers, numbers.dropFirst()).allSatisfy({ $0 <= $1 }) {
                    out.append(1)
                    writeVarint(UInt64(numbers.count), &out)
                    var previous = numbers.first ?? 0
                    if let first = numbers.first { writeDouble(first, &out) }
                    for value in numbers.dropFirst() {
                        writeVarint(UInt64(value - previous), &out)
                        previous = value
                    }
                } else {
                    out.append(0)
                    writeVarint(UInt64(numbers.count), &out)
                    for value in numbers { writeDouble(value, &out) }
                }
            case .counts(let counts):
                out.append(2)
                writeVarint(UInt64(counts.count), &out)
                for (value, count) in counts.sorted(by: { $0.key < $1.key }) {
                    switch value {
                    case .number(let number):
                        out.append(0)
                        writeDouble(number, &out)
                    case .text(let text):
                        out.append(1)
                        writeString(text, &out)
                    }
                    writeVarint(UInt64(count), &out)
                }
            }
        }
        return out
    }

    public static func encode(_ table: LoadedTable) -> [UInt8] {
        encode(columns: table.columns, rowCount: table.rowCount, label: table.label)
    }

    /// Throws `DriftError` for bytes that are not a profile this version wrote.
    public static func decode(_ bytes: [UInt8]) throws -> LoadedTable {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= 5, Array(bytes[0..<4]) == magic else {
            throw DriftError("Not a reference profile (bad header); compute it again from the reference dataset.")
        }
        reader.offset = 4
        let fileVersion = try reader.byte()
        guard fileVersion == version else {
            throw DriftError("Reference profile version \(fileVersion) is not supported (this yard reads version \(version)); compute it again.")
        }
        let label = try reader.string()
        let rowCount = try reader.count(limit: Int.max / 4)
        let columnCount = try reader.count(bytesEach: 1)
        var columns: [LoadedColumn] = []
        var names = Set<String>()
        for _ in 0..<columnCount {
            let name = try reader.string()
            guard names.insert(name).inserted else { throw reader.damaged("column '\(name)' appears twice") }
            let valueType = try valueType(code: try reader.byte(), reader)
            let missing = try reader.count(limit: Int.max / 4)
            let sample: ColumnSample
            switch try reader.byte() {
            case 0:
                let count = try reader.count(bytesEach: 8)
                var numbers: [Double] = []
                numbers.reserveCapacity(count)
                for _ in 0..<count {
                    let value = try reader.double()
                    guard value.isFinite, numbers.last.map({ $0 <= value }) ?? true else {
                        throw reader.damaged("numbers of column '\(name)' are not finite and ascending")
                    }
                    numbers.append(value)
                }
                sample = ColumnSample(sortedNumbers: numbers, missing: missing)
            case 1:
                let count = try reader.count(bytesEach: 1)
                var numbers: [Double] = []
                numbers.reserveCapacity(count)
                if count > 0 {
                    var value = try reader.double()
                    guard value == value.rounded(), abs(value) < exactIntegerLimit else {
                        throw reader.damaged("column '\(name)' starts with a value that is not an exact integer")
                    }
                    numbers.append(value)
                    for _ in 1..<count {
                        let gap = try reader.varint()
                        guard gap < UInt64(exactIntegerLimit * 2) else { throw reader.damaged("gap too large in column '\(name)'") }
                        value += Double(gap)
                        guard abs(value) < exactIntegerLimit else { throw reader.damaged("column '\(name)' leaves the exact integers") }
                        numbers.append(value)
                    }
                }
                sample = ColumnSample(sortedNumbers: numbers, missing: missing)
            case 2:
                let count = try reader.count(bytesEach: 2)
                var counts: [CategoryValue: Int] = [:]
                var total = 0
                for _ in 0..<count {
                    let value: CategoryValue
                    switch try reader.byte() {
                    case 0:
                        let number = try reader.double()
                        guard number.isFinite else { throw reader.damaged("category of column '\(name)' is not finite") }
                        value = .number(number)
                    case 1: value = .text(try reader.string())
                    default: throw reader.damaged("unknown category kind in column '\(name)'")
                    }
                    let occurrences = try reader.count(limit: Int.max / 4)
                    guard occurrences > 0, counts[value] == nil else {
                        throw reader.damaged("category counts of column '\(name)' are not positive and distinct")
                    }
                    let (sum, overflow) = total.addingReportingOverflow(occurrences)
                    guard !overflow, sum <= Int.max / 4 else { throw reader.damaged("counts of column '\(name)' overflow") }
                    total = sum
                    counts[value] = occurrences
                }
                sample = ColumnSample(counts: counts, missing: missing)
            default:
                throw reader.damaged("unknown value encoding in column '\(name)'")
            }
            columns.append(LoadedColumn(name: name, valueType: valueType, sample: sample))
        }
        guard reader.remaining == 0 else { throw reader.damaged("\(reader.remaining) bytes after the last column") }
        return LoadedTable(label: label, rowCount: rowCount, columns: columns)
    }

    private static func valueTypeCode(_ type: ValueType) -> UInt8 {
        switch type {
        case .integer: return 0
        case .float: return 1
        case .boolean: return 2
        case .string: return 3
        case .empty: return 4
        }
    }

    private static func valueType(code: UInt8, _ reader: Reader) throws -> ValueType {
        switch code {
        case 0: return .integer
        case 1: return .float
        case 2: return .boolean
        case 3: return .string
        case 4: return .empty
        default: throw reader.damaged("unknown value type \(code)")
        }
    }

    private static func writeVarint(_ value: UInt64, _ out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    private static func writeDouble(_ value: Double, _ out: inout [UInt8]) {
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    private static func writeString(_ text: String, _ out: inout [UInt8]) {
        let bytes = Array(text.utf8)
        writeVarint(UInt64(bytes.count), &out)
        out.append(contentsOf: bytes)
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var remaining: Int { bytes.count - offset }

        func damaged(_ what: String) -> DriftError {
            DriftError("Reference profile is damaged at byte \(offset) (\(what)); compute it again from the reference dataset.")
        }

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw damaged("unexpected end") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let next = try byte()
                guard shift < 64, shift < 63 || next <= 1 else { throw damaged("number too long") }
                value |= UInt64(next & 0x7F) << shift
                if next < 0x80 { return value }
                shift += 7
            }
        }

        mutating func count(limit: Int) throws -> Int {
            let value = try varint()
            guard value <= UInt64(max(limit, 0)) else { throw damaged("a count of \(value) does not fit the data") }
            return Int(value)
        }

        mutating func double() throws -> Double {
            guard remaining >= 8 else { throw damaged("unexpected end") }
            var bits: UInt64 = 0
            for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
            offset += 8
            return Double(bitPattern: bits)
        }

        /// A count of items that each take at least `bytesEach` of what follows it.
        mutating func count(bytesEach: Int) throws -> Int {
            let value = try varint()
            guard value <= UInt64(remaining / bytesEach) else { throw damaged("a count of \(value) does not fit the data") }
            return Int(value)
        }

        mutating func string() throws -> String {
            let length = try count(bytesEach: 1)
            guard let text = String(validating: bytes[offset..<offset + length], as: UTF8.self) else {
                throw damaged("text is not UTF-8")
            }
            offset += length
            return text
        }
    }
}
