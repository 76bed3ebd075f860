import Foundation

// The numerical tests as Evidently's legacy stattests run them on SciPy 1.17.1: the same statistic, the
// same p-value and the same comparison with the threshold (≤, <, ≥ or > differ from test to test).
//
// Where SciPy answers NaN (t-test on two identical constant columns, or one value per side; Mann–Whitney
// whose tie-corrected variance is zero), the result carries the NaN and `drifted` is false: Evidently's
// comparisons with NaN are false too, so the verdict is the same and a NaN never reads as drift.
extension StatTest {
    public static let ks = StatTest(name: "ks", title: "K-S p_value", scoreKind: .pValue, defaultThreshold: 0.05,
                                    columnKinds: [.numerical]) { reference, current, _, threshold throws(DriftError) in
        let (a, b) = try numericalSides("ks", reference, current)
        let result = KolmogorovSmirnov.twoSample(a, b)
        return StatTestResult(statistic: result.statistic, pValue: result.pValue, score: result.pValue,
                              threshold: threshold, drifted: result.pValue <= threshold)
    }

    public static let wasserstein = StatTest(name: "wasserstein", title: "Wasserstein distance (normed)", scoreKind: .distance,
                                             defaultThreshold: 0.1, columnKinds: [.numerical]) { reference, current, _, threshold throws(DriftError) in
        let (a, b) = try numericalSides("wasserstein", reference, current)
        let score = DistributionDistances.wasserstein(a, b) / DistributionDistances.wassersteinNorm(reference: a)
        return StatTestResult(statistic: score, pValue: nil, score: score, threshold: threshold, drifted: score >= threshold)
    }

    public static let anderson = StatTest(name: "anderson", title: "Anderson-Darling k-sample p_value", scoreKind: .pValue,
                                          defaultThreshold: 0.1, columnKinds: [.numerical]) { reference, current, _, threshold throws(DriftError) in
        let (a, b) = try numericalSides("anderson", reference, current)
        guard a.count + b.count >= 3, let first = a.first ?? b.first,
              a.contains(where: { $0 != first }) || b.contains(where: { $0 != first }) else {
            throw DriftError("The anderson test needs at least two distinct values and three values in all across reference and current "
                             + "(SciPy's anderson_ksamp refuses fewer); choose another test for this column, e.g. ks.")
        }
        let result = AndersonDarling.twoSample(a, b)
        return StatTestResult(statistic: result.statistic, pValue: result.pValue, score: result.pValue,
                              threshold: threshold, drifted: result.pValue < threshold)
    }

    public static let cramerVonMises = StatTest(name: "cramer_von_mises", title: "Cramer-von Mises p_value", scoreKind: .pValue,
                                                defaultThreshold: 0.1, columnKinds: [.numerical]) { reference, current, _, threshold throws(DriftError) in
        let (a, b) = try numericalSides("cramer_von_mises", reference, current)
        guard a.count >= 2, b.count >= 2 else {
            let side = a.count < 2 ? "reference" : "current"
            throw DriftError("The cramer_von_mises test needs at least two values on each side, but the \(side) column has only one; "
                             + "choose another test for this column, e.g. ks.")
        }
        let result = CramerVonMises.twoSample(a, b)
        return StatTestResult(statistic: result.statistic, pValue: result.pValue, score: result.pValue,
                              threshold: threshold, drifted: result.pValue <= threshold)
    }

    public static let energyDistance = StatTest(name: "ed", title: "Energy-distance", scoreKind: .distance, defaultThreshold: 0.1,
                                                columnKinds: [.numerical]) { reference, current, _, threshold throws(DriftError) in
        let (a, b) = try numericalSides("ed", reference, current)
        let score = DistributionDistances.energy(a, b)
        return StatTestResult(statistic: score, pValue: nil, score: score, threshold: threshold, drifted: score > threshold)
    }

    public static let mannWhitney = StatTest(name: "mannw", title: "Mann-Whitney U-rank test", scoreKind: .pValue, defaultThreshold: 0.05,
                                             columnKinds: [.numerical]) { reference, current, _, threshold throws(DriftError) in
        let (a, b) = try numericalSides("mannw", reference, current)
        let result = MannWhitney.lessAlternative(a, b)
        return StatTestResult(statistic: result.statistic, pValue: result.pValue, score: result.pValue,
                              threshold: threshold, drifted: result.pValue < threshold)
    }

    public static let tTest = StatTest(name: "t_test", title: "t_test p_value", scoreKind: .pValue, defaultThreshold: 0.05,
                                       columnKinds: [.numerical]) { reference, current, _, threshold throws(DriftError) in
        let (a, b) = try numericalSides("t_test", reference, current)
        let result = StudentTTest.independent(a, b)
        return StatTestResult(statistic: result.statistic, pValue: result.pValue, score: result.pValue,
                              threshold: threshold, drifted: result.pValue < threshold)
    }
}

/// Both sides' sorted numbers, or the reason the test cannot run: a categorical sample, or no values.
private func numericalSides(_ test: String, _ reference: ColumnSample, _ current: ColumnSample) throws(DriftError) -> ([Double], [Double]) {
    guard let a = reference.numbers, let b = current.numbers else {
        throw DriftError("The \(test) test needs a numerical column, but this column is categorical; "
                         + "list it under `numerical:` in the column mapping or choose a categorical test (e.g. chisquare).")
    }
    for (side, values) in [("reference", a), ("current", b)] where values.isEmpty {
        throw DriftError("The \(test) test cannot run: the column has no values in the \(side) data (all missing); "
                         + "fill it or ignore the column.")
    }
    return (a, b)
}
