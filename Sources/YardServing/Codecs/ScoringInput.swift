import YardJSON

/// A parsed MLflow scoring request (`/invocations`), before it meets a model. See `ScoringCodec`.
public struct ScoringInput: Sendable {
    /// Which of MLflow's request shapes the client used; the response mirrors it.
    public enum Format: String, Sendable {
        case dataframeSplit = "dataframe_split"
        case dataframeRecords = "dataframe_records"
        case instances
        case inputs
        case csv

        /// DataFrame-shaped requests are answered with one object per row.
        public var isTabular: Bool { self == .dataframeSplit || self == .dataframeRecords || self == .csv }
    }

    public enum Payload: Sendable {
        /// Named columns (dataframe_split, dataframe_records, CSV).
        case table(DataTable)
        /// One (nested) list for a model with a single input (`instances` / `inputs` as a plain list).
        case tensor(JSONValue)
        /// Tensors by name (`inputs` as an object, `instances` as a list of objects).
        case namedTensors([(name: String, value: JSONValue)])
    }

    public let format: Format
    public let payload: Payload
    /// MLflow's optional `params` object, passed through untouched (ONNX models take none).
    public let params: JSONValue?

    public init(format: Format, payload: Payload, params: JSONValue? = nil) {
        self.format = format
        self.payload = payload
        self.params = params
    }

    /// Rows in the request: the table's rows, or the first dimension of the tensors.
    public var rowCount: Int {
        switch payload {
        case .table(let table): return table.rowCount
        case .tensor(let value): return Self.outerCount(value)
        case .namedTensors(let tensors): return tensors.first.map { Self.outerCount($0.value) } ?? 0
        }
    }

    private static func outerCount(_ value: JSONValue) -> Int {
        if case .array(let elements) = value { return elements.count }
        return 1
    }
}

/// Named columns of scalar cells, column-major (feeds are built column by column).
public struct DataTable: Sendable {
    public let names: [String]
    public let columns: [[JSONValue]]
    public let rowCount: Int

    /// `columns[i]` holds column `names[i]`; every column has `rowCount` cells.
    public init(names: [String], columns: [[JSONValue]]) throws(CodecError) {
        guard names.count == columns.count else {
            throw .invalid("the table has \(names.count) column names but \(columns.count) columns")
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw .invalid("column '\(name)' appears twice; column names must be unique")
        }
        let rows = columns.first?.count ?? 0
        for (name, cells) in zip(names, columns) where cells.count != rows {
            throw .invalid("column '\(name)' has \(cells.count) values, column '\(names[0])' has \(rows)")
        }
        self.names = names
        self.columns = columns
        self.rowCount = rows
    }

    /// Row-major records (one cell per name, in order) turned into columns.
    public init(names: [String], rows: [[JSONValue]]) throws(CodecError) {
        var columns = [[JSONValue]](repeating: [], count: names.count)
        for index in columns.indices { columns[index].reserveCapacity(rows.count) }
        for (position, row) in rows.enumerated() {
            guard row.count == names.count else {
                throw .invalid("row \(position) has \(row.count) values, but there are \(names.count) columns (\(names.joined(separator: ", ")))")
            }
            for (index, cell) in row.enumerated() { columns[index].append(cell) }
        }
        try self.init(names: names, columns: columns)
    }
}
