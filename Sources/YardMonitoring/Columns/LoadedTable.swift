/// A table whose columns are already loaded: a decoded reference profile, or rows built in memory.
public struct LoadedTable: ColumnSource {
    public let label: String
    public let rowCount: Int
    public let columns: [LoadedColumn]

    public init(label: String, rowCount: Int, columns: [LoadedColumn]) {
        self.label = label
        self.rowCount = rowCount
        self.columns = columns
    }

    /// Loads every column of `source` (e.g. a reference file, once, to keep as a profile).
    public static func load(from source: any ColumnSource, label: String? = nil) async throws -> LoadedTable {
        var columns: [LoadedColumn] = []
        for name in source.columnNames {
            columns.append(try await source.load(column: name))
        }
        return LoadedTable(label: label ?? source.label, rowCount: source.rowCount, columns: columns)
    }

    public var columnNames: [String] { columns.map(\.name) }

    public func load(column: String) async throws -> LoadedColumn {
        guard let found = columns.first(where: { $0.name == column }) else {
            throw DriftError("\(label) has no column '\(column)'.")
        }
        return found
    }
}
