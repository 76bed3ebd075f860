/// Whether a test's score is a p-value (drift when small) or a distance (drift when large).
public enum ScoreKind: String, Sendable, Codable {
    case pValue = "p_value"
    case distance
}

/// What one statistical test said about one column.
public struct StatTestResult: Sendable, Equatable {
    /// The test statistic (KS D, χ², U, t, A², …) when the test has one apart from its score; for the
    /// distance tests it equals `score`.
    public var statistic: Double?
    /// The p-value, for the hypothesis tests.
    public var pValue: Double?
    /// What Evidently reports and compares with the threshold: the p-value or the distance.
    public var score: Double
    public var threshold: Double
    public var drifted: Bool

    public init(statistic: Double?, pValue: Double?, score: Double, threshold: Double, drifted: Bool) {
        self.statistic = statistic
        self.pValue = pValue
        self.score = score
        self.threshold = threshold
        self.drifted = drifted
    }
}

/// One of the drift tests Evidently offers, by the name Evidently gives it (`ks`, `psi`, …), with its
/// default threshold and the exact comparison its code makes (`≤`, `<`, `≥` or `>` differ per test).
public struct StatTest: Sendable {
    public typealias Body = @Sendable (_ reference: ColumnSample, _ current: ColumnSample, _ kind: ColumnKind,
                                       _ threshold: Double) throws(DriftError) -> StatTestResult
    public let name: String
    /// How reports title it, e.g. "K-S p_value", "Wasserstein distance (normed)".
    public let title: String
    public let scoreKind: ScoreKind
    public let defaultThreshold: Double
    /// Column kinds a user may choose it for.
    public let columnKinds: Set<ColumnKind>
    let body: Body

    public init(name: String, title: String, scoreKind: ScoreKind, defaultThreshold: Double,
                columnKinds: Set<ColumnKind>, body: @escaping Body) {
        self.name = name
        self.title = title
        self.scoreKind = scoreKind
        self.defaultThreshold = defaultThreshold
        self.columnKinds = columnKinds
        self.body = body
    }

    /// Runs the test; `threshold` nil means the test's default. Throws for an empty sample or data the
    /// test cannot take (e.g. `fisher_exact` with more than two categories), naming the reason.
    public func evaluate(reference: ColumnSample, current: ColumnSample, kind: ColumnKind,
                         threshold: Double? = nil) throws(DriftError) -> StatTestResult {
        try body(reference, current, kind, threshold ?? defaultThreshold)
    }

    public static func named(_ name: String) -> StatTest? {
        all.first { $0.name == name }
    }
}
