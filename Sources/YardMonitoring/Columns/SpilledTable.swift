import Foundation

/// A table read from a file: each column's cells sit in their own file in a private temporary
/// directory, removed when the table is released. `load(column:)` reads one column's file.
public final class SpilledTable: ColumnSource {
    public let label: String
    public let rowCount: Int
    public let columnNames: [String]
    private let directory: String
    private let columns: [String: (path: String, valueType: ValueType)]

    init(label: String, rowCount: Int, columnNames: [String], directory: String, paths: [String], valueTypes: [ValueType]) {
        self.label = label
        self.rowCount = rowCount
        self.columnNames = columnNames
        self.directory = directory
        var columns: [String: (path: String, valueType: ValueType)] = [:]
        for (index, name) in columnNames.enumerated() {
            columns[name] = (paths[index], valueTypes[index])
        }
        self.columns = columns
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The pandas value type of a column without loading it.
    public func valueType(of column: String) -> ValueType? { columns[column]?.valueType }

    public func load(column: String) async throws -> LoadedColumn {
        guard let entry = columns[column] else {
            throw DriftError("\(label) has no column '\(column)'. Its columns: \(columnNames.joined(separator: ", ")).")
        }
        return try await runOffPool { [self] in
            // `self` is captured so the directory outlives the read.
            let bytes = try FileBytes.readAll(entry.path)
            return try withExtendedLifetime(self) {
                try CellDecoder.load(name: column, valueType: entry.valueType, cells: bytes)
            }
        }
    }
}

/// Collects cells column by column while a reader makes one pass over a file.
struct ColumnSpillSet {
    let directory: String
    private(set) var names: [String] = []
    private(set) var writers: [CellWriter] = []
    private(set) var tallies: [ColumnTally] = []
    private var flushSize = 1 << 18

    init() throws {
        directory = try FileBytes.makeTemporaryDirectory()
    }

    /// Budget of ~64 MiB of buffers over all columns, 16–256 KiB each.
    mutating func setExpectedColumns(_ count: Int) {
        flushSize = max(1 << 14, min(1 << 18, (64 << 20) / max(count, 1)))
    }

    mutating func addColumn(_ name: String) -> Int {
        names.append(name)
        writers.append(CellWriter(path: "\(directory)/\(names.count - 1).cells", flushSize: flushSize))
        tallies.append(ColumnTally())
        return names.count - 1
    }

    mutating func appendCSV(_ cell: UnsafeBufferPointer<UInt8>, column: Int) throws {
        let cellClass = CellClassifier.classify(cell)
        tallies[column].add(cellClass)
        if cellClass == .missing {
            writers[column].append(.missing)
        } else {
            try writers[column].append(.text, cell)
        }
    }

    mutating func append(tag: CellTag, cellClass: CellClass, bytes: UnsafeBufferPointer<UInt8>?, column: Int) throws {
        tallies[column].add(cellClass)
        if let bytes {
            try writers[column].append(tag, bytes)
        } else {
            writers[column].append(tag)
        }
    }

    func rows(column: Int) -> Int { tallies[column].rows }

    /// Flushes every column and hands the directory to the table.
    mutating func finish(label: String, rowCount: Int) throws -> SpilledTable {
        for index in writers.indices {
            try writers[index].flush()
            // A column whose cells all fit in the last buffer still needs its file.
            if !FileManager.default.fileExists(atPath: writers[index].path!) {
                try FileBytes.append([], to: writers[index].path!)
            }
        }
        return SpilledTable(label: label, rowCount: rowCount, columnNames: names, directory: directory,
                            paths: writers.map { $0.path! }, valueTypes: tallies.map(\.valueType))
    }

    func discard() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
