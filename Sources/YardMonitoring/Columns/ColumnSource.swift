/// The type a column's cells had, as pandas would read them (it decides Evidently's column kind).
public enum ValueType: String, Sendable, Codable {
    case integer, float, boolean, string
    /// Every cell missing.
    case empty
}

/// One column read whole, ready for typing and testing.
public struct LoadedColumn: Sendable, Equatable {
    public var name: String
    public var valueType: ValueType
    /// Numbers for integer, float and boolean (0/1) columns; category counts for strings.
    public var sample: ColumnSample

    public init(name: String, valueType: ValueType, sample: ColumnSample) {
        self.name = name
        self.valueType = valueType
        self.sample = sample
    }
}

/// A table drift reads one column at a time, so memory holds a few columns, never the whole file.
public protocol ColumnSource: Sendable {
    /// For reports: a path, `dataset:name@digest`, `deployment:name`.
    var label: String { get }
    var rowCount: Int { get }
    /// In file order.
    var columnNames: [String] { get }
    /// Throws for a name not in `columnNames`.
    func load(column: String) async throws -> LoadedColumn
}
