/// Reference-vs-current distributions of one column for the report's chart: shares (0...1) per bin.
public struct ColumnHistogram: Sendable, Equatable {
    public enum Bins: Sendable, Equatable {
        /// Equal-width bins over both samples; `edges.count == bins + 1`.
        case numeric(edges: [Double])
        /// One bin per category (the most frequent ones; the rest summed under the last label "other").
        case categories([String])
    }

    public var bins: Bins
    public var reference: [Double]
    public var current: [Double]

    public init(bins: Bins, reference: [Double], current: [Double]) {
        self.bins = bins
        self.reference = reference
        self.current = current
    }
}

/// The verdict on one column.
public struct ColumnDrift: Sendable, Equatable {
    public var column: String
    public var role: ColumnRole
    public var kind: ColumnKind
    /// The test's name (`ks`) and title ("K-S p_value").
    public var test: String
    public var testTitle: String
    public var scoreKind: ScoreKind
    public var result: StatTestResult
    public var referenceCount: Int
    public var currentCount: Int
    public var referenceMissing: Int
    public var currentMissing: Int
    public var histogram: ColumnHistogram?

    public init(column: String, role: ColumnRole, kind: ColumnKind, test: String, testTitle: String, scoreKind: ScoreKind,
                result: StatTestResult, referenceCount: Int, currentCount: Int, referenceMissing: Int, currentMissing: Int,
                histogram: ColumnHistogram?) {
        self.column = column
        self.role = role
        self.kind = kind
        self.test = test
        self.testTitle = testTitle
        self.scoreKind = scoreKind
        self.result = result
        self.referenceCount = referenceCount
        self.currentCount = currentCount
        self.referenceMissing = referenceMissing
        self.currentMissing = currentMissing
        self.histogram = histogram
    }
}

/// A column the report did not test, and why (ignored by the mapping, text or datetime, all values
/// missing on one side, present on one side only).
public struct SkippedColumn: Sendable, Equatable {
    public var column: String
    public var reason: String

    public init(column: String, reason: String) {
        self.column = column
        self.reason = reason
    }
}

/// A whole drift report: per-column verdicts and Evidently's dataset-level rule
/// (`share = drifted / tested`, dataset drift when `share ≥ driftShare`).
public struct DriftReport: Sendable, Equatable {
    /// Where the two sides came from (file paths, `dataset:name@digest`, `deployment:name`).
    public var reference: String
    public var current: String
    public var referenceRows: Int
    public var currentRows: Int
    public var columns: [ColumnDrift]
    public var skipped: [SkippedColumn]
    public var driftShare: Double

    public init(reference: String, current: String, referenceRows: Int, currentRows: Int, columns: [ColumnDrift],
                skipped: [SkippedColumn], driftShare: Double) {
        self.reference = reference
        self.current = current
        self.referenceRows = referenceRows
        self.currentRows = currentRows
        self.columns = columns
        self.skipped = skipped
        self.driftShare = driftShare
    }

    public var testedCount: Int { columns.count }
    public var driftedCount: Int { columns.filter(\.result.drifted).count }
    /// 0 when nothing was tested.
    public var shareDrifted: Double { columns.isEmpty ? 0 : Double(driftedCount) / Double(columns.count) }
    public var datasetDrift: Bool { !columns.isEmpty && shareDrifted >= driftShare }
}
