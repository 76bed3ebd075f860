import Foundation

/// Reads a CSV file (RFC 4180: comma-separated, `"` quoting with `""` escapes, LF or CRLF rows, a header
/// row, UTF-8) in one streaming pass, spilling each column to its own file. Blank lines are skipped as
/// pandas skips them; a row with more or fewer fields than the header is an error naming its line.
enum CSVReader {
    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    static func read(path: String, label: String, chunkSize: Int = 1 << 20) throws -> SpilledTable {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DriftError("Cannot open \(path): \(String(cString: strerror(errno))). Check the path.")
        }
        defer { close(descriptor) }
        var spills = try ColumnSpillSet()
        do {
            var parser = Parser(path: path, descriptor: descriptor, capacity: chunkSize)
            defer { parser.deallocate() }
            let rows = try parser.run(into: &spills)
            return try spills.finish(label: label, rowCount: rows)
        } catch {
            spills.discard()
            throw error
        }
    }

    private struct Parser {
        let path: String
        let descriptor: Int32
        var buffer: UnsafeMutablePointer<UInt8>
        var capacity: Int
        var start = 0
        var end = 0
        var atEOF = false
        /// Physical line at `start` (1-based), for errors.
        var line = 1
        var header: [String]? = nil
        var headerCells: [[UInt8]] = []
        var field = 0
        var rowLine = 1
        var rows = 0
        /// Unescaped text of a quoted cell with `""` in it.
        var scratch: UnsafeMutablePointer<UInt8>
        var scratchCapacity = 256

        init(path: String, descriptor: Int32, capacity: Int) {
            self.path = path
            self.descriptor = descriptor
            self.capacity = max(capacity, 1)
            self.buffer = .allocate(capacity: self.capacity)
            self.scratch = .allocate(capacity: scratchCapacity)
        }

        func deallocate() {
            buffer.deallocate()
            scratch.deallocate()
        }

        /// Keeps the bytes from `start` on and reads more after them; false at end of file.
        mutating func refill() throws -> Bool {
            if atEOF { return false }
            let kept = end - start
            if start > 0 {
                buffer.update(from: buffer + start, count: kept)
            } else if kept == capacity {
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                grown.update(from: buffer, count: kept)
                buffer.deallocate()
                buffer = grown
                capacity *= 2
            }
            start = 0
            end = kept
            while true {
                let count = Foundation.read(descriptor, buffer + end, capacity - end)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw DriftError("Cannot read \(path): \(String(cString: strerror(errno))).")
                }
                if count == 0 { atEOF = true; return false }
                end += count
                return true
            }
        }

        mutating func run(into spills: inout ColumnSpillSet) throws -> Int {
            _ = try refill()
            if end - start >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { start = 3 }
            while true {
                guard let cell = try nextCell() else { break }
                try accept(cell, into: &spills)
            }
            if header == nil {
                throw DriftError("\(path) is empty: a CSV file needs a header row naming its columns.")
            }
            return rows
        }

        enum Terminator { case comma, endOfRow }

        struct Cell {
            var bytes: UnsafeBufferPointer<UInt8>
            var terminator: Terminator
            var lines: Int
        }

        /// The next cell, or nil at end of file between rows. Bytes stay valid until the next call.
        mutating func nextCell() throws -> Cell? {
            while true {
                if field == 0 {
                    // Skip blank lines between rows, as pandas does.
                    while true {
                        if start == end, !(try refill()) { return nil }
                        let byte = buffer[start]
                        if byte == lineFeed {
                            start += 1; line += 1
                        } else if byte == carriageReturn {
                            if start + 1 == end, try refill() { continue }
                            start += 1
                            if start < end, buffer[start] == lineFeed { start += 1 }
                            line += 1
                        } else {
                            break
                        }
                    }
                    rowLine = line
                }
                if let cell = try scanCell() { return cell }
                let endedBefore = atEOF
                if !(try refill()), endedBefore {
                    // Only reached when the data ends inside a quoted cell.
                    throw DriftError("\(path) line \(rowLine), \(columnLabel(field)): a quoted value is never closed (missing \").")
                }
            }
        }

        /// Scans the cell at `start`; nil when more data is needed (and the file has more).
        mutating func scanCell() throws -> Cell? {
            if start < end, buffer[start] == quote { return try scanQuoted() }
            var index = start
            var high: UInt8 = 0
            while index < end {
                let byte = buffer[index]
                if byte == comma || byte == lineFeed || byte == carriageReturn { break }
                high |= byte
                index += 1
            }
            if index == end, !atEOF { return nil }
            if index + 1 == end, buffer[index] == carriageReturn, !atEOF { return nil }
            let bytes = UnsafeBufferPointer(start: buffer + start, count: index - start)
            if high >= 0x80 { try validateUTF8(bytes) }
            let terminator = consumeTerminator(at: index)
            return Cell(bytes: bytes, terminator: terminator, lines: 0)
        }

        mutating func scanQuoted() throws -> Cell? {
            var index = start + 1
            var escaped = false
            var lines = 0
            var high: UInt8 = 0
            while true {
                while index < end, buffer[index] != quote {
                    if buffer[index] == lineFeed { lines += 1 }
                    high |= buffer[index]
                    index += 1
                }
                if index >= end { return nil }
                if index + 1 == end, !atEOF { return nil }
                if index + 1 < end, buffer[index + 1] == quote {
                    escaped = true
                    index += 2
                    continue
                }
                break
            }
            let after = index + 1
            if after < end {
                let next = buffer[after]
                if next != comma && next != lineFeed && next != carriageReturn {
                    throw DriftError("\(path) line \(line + lines), \(columnLabel(field)): unexpected character after a closing quote; a quote inside a quoted value is written as \"\".")
                }
                if next == carriageReturn, after + 1 == end, !atEOF { return nil }
            }
            var bytes = UnsafeBufferPointer(start: buffer + start + 1, count: index - start - 1)
            if high >= 0x80 { try validateUTF8(bytes) }
            if escaped {
                if bytes.count > scratchCapacity {
                    scratch.deallocate()
                    scratchCapacity = bytes.count
                    scratch = .allocate(capacity: scratchCapacity)
                }
                var position = 0, length = 0
                while position < bytes.count {
                    scratch[length] = bytes[position]
                    length += 1
                    position += bytes[position] == quote ? 2 : 1
                }
                bytes = UnsafeBufferPointer(start: scratch, count: length)
            }
            let terminator = consumeTerminator(at: after)
            return Cell(bytes: bytes, terminator: terminator, lines: lines)
        }

        /// Moves `start` past the delimiter at `index` (or to the end of data).
        mutating func consumeTerminator(at index: Int) -> Terminator {
            guard index < end else { start = end; return .endOfRow }
            switch buffer[index] {
            case comma:
                start = index + 1
                return .comma
            case carriageReturn:
                start = index + 1
                if start < end, buffer[start] == lineFeed { start += 1 }
                return .endOfRow
            default:
                start = index + 1
                return .endOfRow
            }
        }

        mutating func accept(_ cell: Cell, into spills: inout ColumnSpillSet) throws {
            line += cell.lines
            if header == nil {
                headerCells.append(Array(cell.bytes))
            } else {
                guard field < spills.names.count else {
                    throw DriftError("\(path) line \(rowLine): more fields than the header's \(spills.names.count); check the quoting of that row.")
                }
                try spills.appendCSV(cell.bytes, column: field)
            }
            switch cell.terminator {
            case .comma:
                field += 1
            case .endOfRow:
                if header == nil {
                    let names = Self.headerNames(headerCells.map { String(decoding: $0, as: UTF8.self) })
                    header = names
                    spills.setExpectedColumns(names.count)
                    for name in names { _ = spills.addColumn(name) }
                } else {
                    guard field + 1 == spills.names.count else {
                        throw DriftError("\(path) line \(rowLine): expected \(spills.names.count) fields as in the header, found \(field + 1).")
                    }
                    rows += 1
                }
                field = 0
                line += 1
            }
        }

        func columnLabel(_ field: Int) -> String {
            if let header, field < header.count { return "column \(field + 1) ('\(header[field])')" }
            return "column \(field + 1)"
        }

        func validateUTF8(_ bytes: UnsafeBufferPointer<UInt8>) throws {
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&iterator) {
                case .scalarValue: continue
                case .emptyInput: return
                case .error:
                    throw DriftError("\(path) line \(line), \(columnLabel(field)): not valid UTF-8. Save the file as UTF-8.")
                }
            }
        }

        /// pandas' names: an empty name is `Unnamed: <index>`, a repeated one gets `.1`, `.2`, ….
        static func headerNames(_ raw: [String]) -> [String] {
            var seen = Set<String>()
            var names: [String] = []
            for (index, name) in raw.enumerated() {
                var candidate = name.isEmpty ? "Unnamed: \(index)" : name
                var suffix = 1
                let base = candidate
                while seen.contains(candidate) {
                    candidate = "\(base).\(suffix)"
                    suffix += 1
                }
                seen.insert(candidate)
                names.append(candidate)
            }
            return names
        }
    }
}
