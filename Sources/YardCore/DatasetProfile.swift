/// Values of the dataset registry that every layer shares: the CSV profiler (YardData) produces a
/// `DatasetProfile`, the CLI sends it, the server validates and stores it, and the API returns it.

/// What a registered dataset version is: one file, or a folder (digest of its manifest).
public enum DatasetKind: String, Sendable, Codable, CaseIterable {
    case file
    case directory
}

/// A summary of a tabular (CSV) dataset version. Its JSON shape is `CSVProfiler`'s output:
/// `{"rows": N, "columns": [{"name", "type", "nulls", "min"?, "max"?, "mean"?}]}`.
public struct DatasetProfile: Codable, Sendable, Equatable {
    public struct Column: Codable, Sendable, Equatable {
        public var name: String
        /// `integer`, `float`, `boolean`, `string`, or `empty` (only nulls).
        public var type: String
        /// Values counted as missing.
        public var nulls: Int
        /// Numeric columns only.
        public var min: Double?
        public var max: Double?
        public var mean: Double?

        public init(name: String, type: String, nulls: Int, min: Double? = nil, max: Double? = nil, mean: Double? = nil) {
            self.name = name
            self.type = type
            self.nulls = nulls
            self.min = min
            self.max = max
            self.mean = mean
        }
    }

    /// Data rows (the header excluded).
    public var rows: Int
    public var columns: [Column]

    public init(rows: Int, columns: [Column]) {
        self.rows = rows
        self.columns = columns
    }
}
