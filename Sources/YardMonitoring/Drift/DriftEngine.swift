import Foundation

/// Runs Evidently's data-drift preset over two tables: every column in both is typed, given a test and
/// a threshold, and tested. Columns run in parallel with at most `maxConcurrentColumns` loaded at once;
/// loading and testing happen on Dispatch workers, not on Swift's cooperative pool. A column whose test
/// cannot run (e.g. every value missing) is skipped with the reason instead of failing the report.
public enum DriftEngine {
    /// `progress` is called with each column's name when it is done (tested or skipped).
    public static func run(reference: any ColumnSource, current: any ColumnSource, options: DriftOptions,
                           progress: (@Sendable (String) -> Void)? = nil) async throws -> DriftReport {
        try options.validate()
        let currentNames = Set(current.columnNames)
        let referenceNames = Set(reference.columnNames)
        var outcomes = [Outcome?](repeating: nil, count: reference.columnNames.count)
        var work: [(index: Int, name: String, role: ColumnRole)] = []
        for (index, name) in reference.columnNames.enumerated() {
            let role = options.mapping.role(of: name)
            if let reason = skipReasonBeforeLoading(name, role: role, inCurrent: currentNames.contains(name), mapping: options.mapping) {
                outcomes[index] = .skipped(SkippedColumn(column: name, reason: reason))
                progress?(name)
            } else {
                work.append((index, name, role))
            }
        }

        let limit = options.maxConcurrentColumns ?? max(ProcessInfo.processInfo.activeProcessorCount, 1)
        try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            var next = 0
            func startNext() {
                guard next < work.count else { return }
                let item = work[next]
                next += 1
                group.addTask {
                    let outcome = try await evaluate(column: item.name, role: item.role, reference: reference,
                                                     current: current, options: options)
                    return (item.index, outcome)
                }
            }
            for _ in 0..<min(limit, work.count) { startNext() }
            while let (index, outcome) = try await group.next() {
                outcomes[index] = outcome
                progress?(reference.columnNames[index])
                startNext()
            }
        }

        var columns: [ColumnDrift] = []
        var skipped: [SkippedColumn] = []
        for outcome in outcomes {
            switch outcome {
            case .tested(let drift)?: columns.append(drift)
            case .skipped(let skip)?: skipped.append(skip)
            case nil: break
            }
        }
        for name in current.columnNames where !referenceNames.contains(name) {
            skipped.append(SkippedColumn(column: name, reason: "only in the current data (not in the reference)"))
        }
        return DriftReport(reference: reference.label, current: current.label, referenceRows: reference.rowCount,
                           currentRows: current.rowCount, columns: columns, skipped: skipped, driftShare: options.driftShare)
    }

    enum Outcome: Sendable {
        case tested(ColumnDrift)
        case skipped(SkippedColumn)
    }

    private static func skipReasonBeforeLoading(_ name: String, role: ColumnRole, inCurrent: Bool, mapping: ColumnMapping) -> String? {
        if role == .ignored { return "ignored by the column mapping" }
        if !inCurrent { return "only in the reference data (not in the current data)" }
        switch mapping.forcedKind(of: name) {
        case .text?: return "text column (by the column mapping); text drift is not tested"
        case .datetime?: return "datetime column (by the column mapping); not drift-tested"
        default: return nil
        }
    }

    private static func evaluate(column name: String, role: ColumnRole, reference: any ColumnSource,
                                 current: any ColumnSource, options: DriftOptions) async throws -> Outcome {
        async let referenceColumn = reference.load(column: name)
        async let currentColumn = current.load(column: name)
        let (referenceLoaded, currentLoaded) = try await (referenceColumn, currentColumn)
        return try await runOffPool {
            test(column: name, role: role, reference: referenceLoaded, current: currentLoaded, options: options)
        }
    }

    /// Types, chooses the test and threshold, tests, and draws the histogram for one loaded column.
    static func test(column name: String, role: ColumnRole, reference: LoadedColumn, current: LoadedColumn,
                     options: DriftOptions) -> Outcome {
        let kind: ColumnKind
        switch ColumnTyping.decide(column: name, reference: reference, current: current, mapping: options.mapping) {
        case .skipped(let reason): return .skipped(SkippedColumn(column: name, reason: reason))
        case .tested(let decided): kind = decided
        }
        let test: StatTest
        if let chosen = options.perColumnStattest[name] ?? options.stattest {
            guard let named = StatTest.named(chosen) else {
                return .skipped(SkippedColumn(column: name, reason: "unknown stattest '\(chosen)'"))
            }
            guard named.columnKinds.contains(kind) else {
                let kinds = named.columnKinds.map(\.rawValue).sorted().joined(separator: " or ")
                return .skipped(SkippedColumn(column: name, reason: "the stattest '\(chosen)' applies to \(kinds) columns and this one is \(kind.rawValue); choose another under stattests"))
            }
            test = named
        } else {
            test = DefaultStatTest.choose(reference: reference.sample, current: current.sample, kind: kind)
        }
        let threshold = options.perColumnThreshold[name] ?? options.threshold
        let result: StatTestResult
        do {
            result = try test.evaluate(reference: reference.sample, current: current.sample, kind: kind, threshold: threshold)
        } catch {
            return .skipped(SkippedColumn(column: name, reason: "\(test.name) could not be computed: \(error.message)"))
        }
        let histogram = options.histograms ? ColumnHistograms.histogram(reference: reference, current: current, kind: kind) : nil
        return .tested(ColumnDrift(column: name, role: role, kind: kind, test: test.name, testTitle: test.title,
                                   scoreKind: test.scoreKind, result: result, referenceCount: reference.sample.count,
                                   currentCount: current.sample.count, referenceMissing: reference.sample.missing,
                                   currentMissing: current.sample.missing, histogram: histogram))
    }
}
