/// Everything a drift run needs besides the two tables. Command-line flags override the mapping's
/// `stattest`/`threshold`/`drift_share`; per-column entries merge (the flag's entry wins).
public struct DriftOptions: Sendable {
    public var mapping: ColumnMapping
    public var stattest: String?
    public var perColumnStattest: [String: String]
    public var threshold: Double?
    public var perColumnThreshold: [String: Double]
    /// Evidently's dataset-drift rule: drift when drifted / tested ≥ this.
    public var driftShare: Double = 0.5
    /// Compute the per-column histograms the reports draw.
    public var histograms = true
    /// Columns loaded and tested at once; nil = the number of active processors.
    public var maxConcurrentColumns: Int?

    public init(mapping: ColumnMapping = ColumnMapping(), stattest: String? = nil, perColumnStattest: [String: String] = [:],
                threshold: Double? = nil, perColumnThreshold: [String: Double] = [:], driftShare: Double? = nil,
                histograms: Bool = true, maxConcurrentColumns: Int? = nil) {
        self.mapping = mapping
        self.stattest = stattest ?? mapping.stattest
        self.perColumnStattest = mapping.stattests.merging(perColumnStattest) { _, flag in flag }
        self.threshold = threshold ?? mapping.threshold
        self.perColumnThreshold = mapping.thresholds.merging(perColumnThreshold) { _, flag in flag }
        self.driftShare = driftShare ?? mapping.driftShare ?? 0.5
        self.histograms = histograms
        self.maxConcurrentColumns = maxConcurrentColumns
    }

    /// Checks test names, thresholds and the drift share; the error names the setting.
    public func validate() throws(DriftError) {
        if let stattest { try Self.check(test: stattest, key: "stattest") }
        for (column, name) in perColumnStattest.sorted(by: { $0.key < $1.key }) {
            try Self.check(test: name, key: "stattests.\(column)")
        }
        if let threshold, !threshold.isFinite || threshold < 0 {
            throw DriftError("threshold must be a finite number ≥ 0, got \(threshold).")
        }
        for (column, value) in perColumnThreshold.sorted(by: { $0.key < $1.key }) where !value.isFinite || value < 0 {
            throw DriftError("thresholds.\(column) must be a finite number ≥ 0, got \(value).")
        }
        if !driftShare.isFinite || driftShare < 0 || driftShare > 1 {
            throw DriftError("drift_share must be between 0 and 1, got \(driftShare).")
        }
        if let maxConcurrentColumns, maxConcurrentColumns < 1 {
            throw DriftError("maxConcurrentColumns must be at least 1, got \(maxConcurrentColumns).")
        }
    }

    static func check(test name: String, key: String) throws(DriftError) {
        guard StatTest.named(name) != nil else {
            throw DriftError("\(key): unknown stattest '\(name)'. Valid tests: \(StatTest.all.map(\.name).joined(separator: ", ")).")
        }
    }
}
