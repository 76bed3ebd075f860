import Foundation

/// Opens a CSV (`.csv`) or JSON-lines (`.jsonl`, `.ndjson`) file as a column source; other extensions
/// are sniffed from the first non-blank byte (`{` means JSON lines). Reads the whole file once,
/// spilling each column to a temporary file removed when the source is released; blocking, so server
/// code calls it off the event loops. `label` defaults to the path.
public func openTable(path: String, label: String? = nil) throws -> any ColumnSource {
    let label = label ?? path
    let lowered = path.lowercased()
    if lowered.hasSuffix(".csv") { return try CSVReader.read(path: path, label: label) }
    if lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson") { return try JSONLinesReader.read(path: path, label: label) }
    if try firstByte(of: path) == UInt8(ascii: "{") { return try JSONLinesReader.read(path: path, label: label) }
    return try CSVReader.read(path: path, label: label)
}

private func firstByte(of path: String) throws -> UInt8? {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw DriftError("Cannot open \(path): no such readable file. Check the path.")
    }
    defer { try? handle.close() }
    let head = (try handle.read(upToCount: 4096)) ?? Data()
    return head.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
}
