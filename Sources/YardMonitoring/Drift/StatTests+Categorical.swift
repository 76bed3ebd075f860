import Foundation

// The tests Evidently (legacy stattests) runs on categories and on binned shares, with its default
// thresholds and its comparisons. Where SciPy has no answer (one shared category: zero degrees of
// freedom) the p-value is 1 — the samples cannot differ — where Evidently would carry NaN and report
// no drift; a NaN score never counts as drift.
extension StatTest {
    /// Pearson χ²: current counts against reference counts scaled to the current size. Drift: p < threshold.
    public static let chiSquare = StatTest(name: "chisquare", title: "chi-square p_value", scoreKind: .pValue, defaultThreshold: 0.05,
                                           columnKinds: [.categorical]) { reference, current, _, threshold throws(DriftError) in
        try CategoricalTests.requireValues(reference, current)
        let table = CategoryTable(reference: reference, current: current)
        let scale = Double(current.count) / Double(reference.count)
        var statistic = 0.0
        for (observed, referenceCount) in zip(table.current, table.reference) {
            let expected = Double(referenceCount) * scale
            let difference = Double(observed) - expected
            statistic += difference * difference / expected
        }
        return CategoricalTests.chiSquaredResult(statistic: statistic, categories: table.categories.count, threshold: threshold)
    }

    /// Two-proportion z-test of "first category (in sorted order) or not". Drift: p < threshold.
    public static let z = StatTest(name: "z", title: "Z-test p_value", scoreKind: .pValue, defaultThreshold: 0.05,
                                   columnKinds: [.categorical]) { reference, current, _, threshold throws(DriftError) in
        try CategoricalTests.requireValues(reference, current)
        let table = CategoryTable(reference: reference, current: current)
        guard table.categories.count > 1 else {
            // Evidently's own special case: both samples hold the same single value.
            return StatTestResult(statistic: nil, pValue: 1, score: 1, threshold: threshold, drifted: 1 < threshold)
        }
        let n1 = Double(reference.count), n2 = Double(current.count)
        let p1 = Double(reference.count - table.reference[0]) / n1
        let p2 = Double(current.count - table.current[0]) / n2
        let pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        let statistic = (p1 - p2) / (pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2)).squareRoot()
        // 1 − Φ rather than the survival function: Evidently's rounding (0 beyond |z| ≈ 8.3).
        let pValue = 2 * (1 - CategoricalDistributions.normalCDF(abs(statistic)))
        return CategoricalTests.pValueResult(statistic: statistic, pValue: pValue, threshold: threshold)
    }

    /// Jensen–Shannon distance (natural log) of the binned shares, empty bins kept. Drift: d ≥ threshold.
    public static let jensenShannon = StatTest(name: "jensenshannon", title: "Jensen-Shannon distance", scoreKind: .distance, defaultThreshold: 0.1,
                                               columnKinds: [.categorical, .numerical]) { reference, current, kind, threshold throws(DriftError) in
        try CategoricalTests.requireValues(reference, current)
        let shares = try Binning.evidentlyShares(reference: reference, current: current, kind: kind, fillZeroes: false)
        let p = CategoricalTests.normalized(shares.reference), q = CategoricalTests.normalized(shares.current)
        var left = 0.0, right = 0.0
        for (pi, qi) in zip(p, q) {
            let mean = (pi + qi) / 2
            left += CategoricalTests.relativeEntropyTerm(pi, mean)
            right += CategoricalTests.relativeEntropyTerm(qi, mean)
        }
        // Rounding can leave a sum of −1e-17 for identical shares, where SciPy would return NaN.
        let distance = max(0, (left + right) / 2).squareRoot()
        return CategoricalTests.distanceResult(distance, threshold: threshold)
    }

    /// Population stability index Σ (ref − cur)·ln(ref/cur) on zero-filled shares. Drift: psi ≥ threshold.
    public static let psi = StatTest(name: "psi", title: "PSI", scoreKind: .distance, defaultThreshold: 0.1,
                                     columnKinds: [.categorical, .numerical]) { reference, current, kind, threshold throws(DriftError) in
        try CategoricalTests.requireValues(reference, current)
        let shares = try Binning.evidentlyShares(reference: reference, current: current, kind: kind, fillZeroes: true)
        var index = 0.0
        for (r, c) in zip(shares.reference, shares.current) {
            index += (r - c) * log(r / c)
        }
        return CategoricalTests.distanceResult(index, threshold: threshold)
    }

    /// KL(reference ‖ current) (`scipy.stats.entropy`, which renormalises) on zero-filled shares.
    /// Drift: kl ≥ threshold.
    public static let klDiv = StatTest(name: "kl_div", title: "Kullback-Leibler divergence", scoreKind: .distance, defaultThreshold: 0.1,
                                       columnKinds: [.categorical, .numerical]) { reference, current, kind, threshold throws(DriftError) in
        try CategoricalTests.requireValues(reference, current)
        let shares = try Binning.evidentlyShares(reference: reference, current: current, kind: kind, fillZeroes: true)
        let p = CategoricalTests.normalized(shares.reference), q = CategoricalTests.normalized(shares.current)
        var divergence = 0.0
        for (pi, qi) in zip(p, q) { divergence += CategoricalTests.relativeEntropyTerm(pi, qi) }
        return CategoricalTests.distanceResult(divergence, threshold: threshold)
    }

    /// Hellinger distance: on category shares for categorical columns; for numerical ones on density
    /// histograms over Sturges bins of the distinct values of both samples (Evidently's own binning,
    /// not get_binned_data's). Drift: d ≥ threshold.
    public static let hellinger = StatTest(name: "hellinger", title: "Hellinger distance", scoreKind: .distance, defaultThreshold: 0.1,
                                           columnKinds: [.categorical, .numerical]) { reference, current, kind, threshold throws(DriftError) in
        try CategoricalTests.requireValues(reference, current)
        let affinity = kind == .numerical
            ? try CategoricalTests.numericalHellingerAffinity(reference, current)
            : CategoricalTests.categoricalHellingerAffinity(reference, current)
        let distance = (1 - min(max(affinity, 0), 1)).squareRoot()
        return CategoricalTests.distanceResult(distance, threshold: threshold)
    }

    /// Fisher's exact test on the 2×2 table of two categories by sample. Evidently allows it only for
    /// samples of equal size with at most two categories. Drift: p < threshold.
    public static let fisherExact = StatTest(name: "fisher_exact", title: "Fisher's Exact test", scoreKind: .pValue, defaultThreshold: 0.1,
                                             columnKinds: [.categorical]) { reference, current, _, threshold throws(DriftError) in
        try CategoricalTests.requireValues(reference, current)
        guard reference.count == current.count else {
            throw DriftError("fisher_exact needs reference and current samples of the same size (Evidently refuses otherwise); they have \(reference.count) and \(current.count) values: use chisquare or z instead.")
        }
        let table = CategoryTable(reference: reference, current: current)
        guard table.categories.count <= 2 else {
            throw DriftError("fisher_exact needs a column with at most two categories; this one has \(table.categories.count) across reference and current: use chisquare instead.")
        }
        let pValue = table.categories.count < 2 ? 1 : CategoricalDistributions.fisherTwoSidedSymmetric(
            firstCell: table.current[0], columnTotal: table.current[0] + table.reference[0], rowTotal: current.count)
        return CategoricalTests.pValueResult(statistic: nil, pValue: pValue, threshold: threshold)
    }

    /// G-test (log-likelihood power divergence) of current counts against the raw reference counts.
    /// SciPy refuses expected counts with another total, so the samples must have the same size.
    /// Drift: p < threshold.
    public static let gTest = StatTest(name: "g_test", title: "g_test", scoreKind: .pValue, defaultThreshold: 0.1,
                                       columnKinds: [.categorical]) { reference, current, _, threshold throws(DriftError) in
        try CategoricalTests.requireValues(reference, current)
        let referenceSize = Double(reference.count), currentSize = Double(current.count)
        // SciPy's tolerance on the totals: √ε relative.
        guard abs(currentSize - referenceSize) / min(currentSize, referenceSize) <= Double.ulpOfOne.squareRoot() else {
            throw DriftError("g_test compares current counts with the raw reference counts, so both samples must have the same size (SciPy refuses otherwise); they have \(reference.count) and \(current.count) values: use chisquare, which rescales the reference.")
        }
        let table = CategoryTable(reference: reference, current: current)
        var statistic = 0.0
        for (observed, expected) in zip(table.current, table.reference) where observed > 0 {
            statistic += Double(observed) * log(Double(observed) / Double(expected))
        }
        return CategoricalTests.chiSquaredResult(statistic: 2 * statistic, categories: table.categories.count, threshold: threshold)
    }
}

enum CategoricalTests {
    static func requireValues(_ reference: ColumnSample, _ current: ColumnSample) throws(DriftError) {
        for (sample, side) in [(reference, "reference"), (current, "current")] where sample.count == 0 {
            throw DriftError("The \(side) data has no values in this column (\(sample.missing) missing): drift cannot be tested; check the column or the \(side) window.")
        }
    }

    /// p from χ² with categories − 1 degrees of freedom; one category leaves nothing to test (p = 1).
    static func chiSquaredResult(statistic: Double, categories: Int, threshold: Double) -> StatTestResult {
        let pValue = categories < 2
            ? 1
            : CategoricalDistributions.chiSquaredSurvival(statistic, degreesOfFreedom: Double(categories - 1))
        return pValueResult(statistic: statistic, pValue: pValue, threshold: threshold)
    }

    static func pValueResult(statistic: Double?, pValue: Double, threshold: Double) -> StatTestResult {
        StatTestResult(statistic: statistic, pValue: pValue, score: pValue, threshold: threshold, drifted: pValue < threshold)
    }

    static func distanceResult(_ distance: Double, threshold: Double) -> StatTestResult {
        StatTestResult(statistic: distance, pValue: nil, score: distance, threshold: threshold, drifted: distance >= threshold)
    }

    /// SciPy divides by the sum before its entropies, which matters once empty bins were filled.
    static func normalized(_ shares: [Double]) -> [Double] {
        let total = shares.reduce(0, +)
        return shares.map { $0 / total }
    }

    /// `scipy.special.rel_entr(x, y)`: x·ln(x/y), 0 for x = 0.
    static func relativeEntropyTerm(_ x: Double, _ y: Double) -> Double {
        if x == 0 { return 0 }
        if y == 0 { return .infinity }
        return x * log(x / y)
    }

    static func categoricalHellingerAffinity(_ reference: ColumnSample, _ current: ColumnSample) -> Double {
        let table = CategoryTable(reference: reference, current: current)
        let referenceSize = Double(reference.count), currentSize = Double(current.count)
        var affinity = 0.0
        for (r, c) in zip(table.reference, table.current) {
            affinity += (Double(r) / referenceSize * (Double(c) / currentSize)).squareRoot()
        }
        return affinity
    }

    /// Σ √(density_ref · density_cur) · bin width, with numpy's density histograms.
    static func numericalHellingerAffinity(_ reference: ColumnSample, _ current: ColumnSample) throws(DriftError) -> Double {
        let referenceRuns = try ValueRuns(reference, side: "reference")
        let currentRuns = try ValueRuns(current, side: "current")
        let distinct = Set(referenceRuns.values).union(currentRuns.values)
        let edges = try Binning.sturgesEdges(
            minimum: min(referenceRuns.values[0], currentRuns.values[0]),
            maximum: max(referenceRuns.values[referenceRuns.values.count - 1], currentRuns.values[currentRuns.values.count - 1]),
            size: distinct.count,
            integerTyped: referenceRuns.integerTyped && currentRuns.integerTyped)
        let referenceDensity = density(referenceRuns.histogram(edges: edges), edges: edges)
        let currentDensity = density(currentRuns.histogram(edges: edges), edges: edges)
        let binWidth = (edges[edges.count - 1] - edges[0]) / Double(edges.count - 1)
        var affinity = 0.0
        for (r, c) in zip(referenceDensity, currentDensity) {
            affinity += (r * c).squareRoot() * binWidth
        }
        return affinity
    }

    /// `numpy.histogram(..., density=True)`: count / bin width / total.
    static func density(_ counts: [Int], edges: [Double]) -> [Double] {
        let total = Double(counts.reduce(0, +))
        return counts.indices.map { Double(counts[$0]) / (edges[$0 + 1] - edges[$0]) / total }
    }
}
