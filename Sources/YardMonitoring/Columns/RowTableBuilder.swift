import YardJSON

/// Builds a table from rows held in memory (a live monitor's window of the prediction log), typed by
/// the same rules as a JSON-lines file: columns in first-seen key order, null or an absent key is a
/// missing cell.
public struct RowTableBuilder: Sendable {
    public private(set) var rowCount = 0
    private var names: [String] = []
    private var columnIndex: [String: Int] = [:]
    private var cells: [[UInt8]] = []
    private var tallies: [ColumnTally] = []
    private var written: [Bool] = []

    public init() {}

    /// A key repeated within one row keeps its first value.
    public mutating func append(row: [(String, JSONValue)]) {
        for index in written.indices { written[index] = false }
        for (key, value) in row {
            let column: Int
            if let known = columnIndex[key] {
                column = known
            } else {
                column = names.count
                names.append(key)
                columnIndex[key] = column
                cells.append([UInt8](repeating: CellTag.missing.rawValue, count: rowCount))
                tallies.append(ColumnTally())
                for _ in 0..<rowCount { tallies[column].add(.missing) }
                written.append(false)
            }
            guard !written[column] else { continue }
            written[column] = true
            JSONCell.encode(value) { tag, cellClass, bytes in
                tallies[column].add(cellClass)
                CellWriter.encode(tag, bytes, into: &cells[column])
            }
        }
        for column in written.indices where !written[column] {
            tallies[column].add(.missing)
            cells[column].append(CellTag.missing.rawValue)
        }
        rowCount += 1
    }

    /// Every column decoded now (a window is small); cells that cannot be read as their column's type
    /// count as missing.
    public func table(label: String) -> LoadedTable {
        let columns = names.indices.map { index in
            (try? CellDecoder.load(name: names[index], valueType: tallies[index].valueType, cells: cells[index]))
                ?? LoadedColumn(name: names[index], valueType: .empty, sample: ColumnSample(numbers: [], missing: rowCount))
        }
        return LoadedTable(label: label, rowCount: rowCount, columns: columns)
    }

    /// Columns decoded when the engine loads them, in parallel.
    public func source(label: String) -> any ColumnSource {
        InMemoryTable(label: label, rowCount: rowCount, columnNames: names, cells: cells,
                      valueTypes: tallies.map(\.valueType))
    }
}

/// Rows built in memory, decoded column by column when the engine asks.
struct InMemoryTable: ColumnSource {
    let label: String
    let rowCount: Int
    let columnNames: [String]
    let cells: [[UInt8]]
    let valueTypes: [ValueType]

    func load(column: String) async throws -> LoadedColumn {
        guard let index = columnNames.firstIndex(of: column) else {
            throw DriftError("\(label) has no column '\(column)'. Its columns: \(columnNames.joined(separator: ", ")).")
        }
        let name = column, bytes = cells[index], valueType = valueTypes[index]
        return try await runOffPool { try CellDecoder.load(name: name, valueType: valueType, cells: bytes) }
    }
}
