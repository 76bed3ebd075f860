import Foundation
import YardCore

/// The profile the server stores next to a dataset version: one type for the profiler, the CLI, the
/// client and the server (`DatasetProfile` in YardCore).
public typealias CSVProfile = DatasetProfile

/// Reads a CSV file once, streaming, and infers each column's type and statistics. The first row is the
/// header; quoting follows RFC 4180 (quoted fields may hold commas, quotes as "" and newlines).
public enum CSVProfiler {
    /// Values counted as missing, as pandas reads them by default.
    static let nullTokens: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A"]

    public static func profile(fileAt path: String) throws(YardError) -> CSVProfile {
        var profiler = Accumulator()
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw YardError.notFound("Cannot read '\(path)': \(FileSystem.lastError)") }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw YardError(.internalError, "Cannot read '\(path)': \(FileSystem.lastError)")
            }
            if count == 0 { break }
            for byte in buffer[0..<count] { profiler.consume(byte) }
        }
        profiler.endOfInput()
        return profiler.result()
    }

    public static func profile(bytes: [UInt8]) -> CSVProfile {
        var profiler = Accumulator()
        for byte in bytes { profiler.consume(byte) }
        profiler.endOfInput()
        return profiler.result()
    }

    struct ColumnStats {
        var nulls = 0
        var values = 0
        var allIntegers = true
        var allNumbers = true
        var allBooleans = true
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var sum = 0.0
        var numericCount = 0

        mutating func add(_ text: String) {
            if CSVProfiler.nullTokens.contains(text) {
                nulls += 1
                return
            }
            values += 1
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let lowered = trimmed.lowercased()
            if allBooleans && !(lowered == "true" || lowered == "false") { allBooleans = false }
            if allNumbers, let number = Double(trimmed), number.isFinite {
                if allIntegers && Int64(trimmed) == nil { allIntegers = false }
                minimum = Swift.min(minimum, number)
                maximum = Swift.max(maximum, number)
                sum += number
                numericCount += 1
            } else {
                allNumbers = false
                allIntegers = false
            }
        }
    }

    struct Accumulator {
        var header: [String]?
        var stats: [ColumnStats] = []
        var rows = 0
        var field: [UInt8] = []
        var record: [String] = []
        var inQuotes = false
        var quoteSeen = false  // a quote inside quotes: either the end or the first of ""
        var recordStarted = false

        mutating func consume(_ byte: UInt8) {
            if inQuotes {
                if quoteSeen {
                    quoteSeen = false
                    if byte == 0x22 {  // "" -> "
                        field.append(0x22)
                        return
                    }
                    inQuotes = false  // the quote closed the field; handle this byte normally below
                } else if byte == 0x22 {
                    quoteSeen = true
                    return
                } else {
                    field.append(byte)
                    return
                }
            }
            switch byte {
            case 0x22 where field.isEmpty:
                inQuotes = true
                recordStarted = true
            case 0x2C:
                endField()
            case 0x0A:
                endRecord()
            case 0x0D:
                break
            default:
                field.append(byte)
                recordStarted = true
            }
        }

        mutating func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            recordStarted = true
        }

        mutating func endRecord() {
            guard recordStarted || !field.isEmpty else { return }  // blank line
            endField()
            if header == nil {
                header = record
                stats = Array(repeating: ColumnStats(), count: record.count)
            } else {
                rows += 1
                for index in stats.indices {
                    stats[index].add(index < record.count ? record[index] : "")
                }
            }
            record.removeAll(keepingCapacity: true)
            recordStarted = false
        }

        mutating func endOfInput() {
            if inQuotes && quoteSeen { inQuotes = false }
            if recordStarted || !field.isEmpty { endRecord() }
        }

        func result() -> CSVProfile {
            let names = header ?? []
            let columns = zip(names, stats).map { name, stats -> CSVProfile.Column in
                let type: String
                if stats.values == 0 { type = "empty" }
                else if stats.allBooleans { type = "boolean" }
                else if stats.allIntegers { type = "integer" }
                else if stats.allNumbers { type = "float" }
                else { type = "string" }
                let numeric = type == "integer" || type == "float"
                return CSVProfile.Column(
                    name: name, type: type, nulls: stats.nulls,
                    min: numeric ? stats.minimum : nil, max: numeric ? stats.maximum : nil,
                    mean: numeric && stats.numericCount > 0 ? stats.sum / Double(stats.numericCount) : nil)
            }
            return CSVProfile(rows: rows, columns: columns)
        }
    }
}
