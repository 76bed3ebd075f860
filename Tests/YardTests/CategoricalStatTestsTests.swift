import Foundation
import Testing
@testable import YardMonitoring

/// Categorical drift tests on samples small enough to work out by hand; expected values are written
/// as the formula, not as its printed result. tests/monitoring/test_scipy_categorical.py checks the
/// same tests against SciPy through `yard drift`.
@Suite("Categorical drift tests")
struct CategoricalStatTestsTests {
    static func categories(_ counts: [String: Int]) -> ColumnSample {
        ColumnSample(counts: Dictionary(uniqueKeysWithValues: counts.map { (CategoryValue.text($0.key), $0.value) }))
    }

    static func run(_ test: StatTest, _ reference: ColumnSample, _ current: ColumnSample,
                    kind: ColumnKind = .categorical) throws(DriftError) -> StatTestResult {
        try test.evaluate(reference: reference, current: current, kind: kind)
    }

    static func close(_ a: Double?, _ b: Double, relative: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= relative * max(abs(b), 1e-300)
    }

    @Test func chiSquareOneDegreeOfFreedom() throws {
        let result = try Self.run(.chiSquare, Self.categories(["a": 50, "b": 50]), Self.categories(["a": 30, "b": 70]))
        // Expected 50/50: χ² = 2·20²/50 = 16, and with one degree of freedom sf(x) = erfc(√(x/2)).
        #expect(Self.close(result.statistic, 16))
        #expect(Self.close(result.pValue, erfc((8.0).squareRoot())))
        #expect(result.score == result.pValue && result.drifted && result.threshold == 0.05)
    }

    @Test func chiSquareScalesReferenceToCurrentSize() throws {
        let result = try Self.run(.chiSquare, Self.categories(["a": 40, "b": 30, "c": 30]),
                                  Self.categories(["a": 60, "b": 70, "c": 70]))
        // Reference scaled to 200 rows: 80/60/60. Two degrees of freedom: sf(x) = e^(−x/2).
        let statistic = 20.0 * 20 / 80 + 10.0 * 10 / 60 + 10.0 * 10 / 60
        #expect(Self.close(result.statistic, statistic))
        #expect(Self.close(result.pValue, exp(-statistic / 2)))
    }

    @Test func chiSquareEdgeCases() throws {
        let onlyInCurrent = try Self.run(.chiSquare, Self.categories(["a": 10]), Self.categories(["a": 5, "new": 5]))
        #expect(onlyInCurrent.statistic == .infinity && onlyInCurrent.pValue == 0 && onlyInCurrent.drifted)
        let disjoint = try Self.run(.chiSquare, Self.categories(["a": 10]), Self.categories(["b": 10]))
        #expect(disjoint.pValue == 0 && disjoint.drifted)
        // One shared category: no degrees of freedom; SciPy says NaN, we say the samples cannot differ.
        let single = try Self.run(.chiSquare, Self.categories(["a": 10]), Self.categories(["a": 3]))
        #expect(single.statistic == 0 && single.pValue == 1 && !single.drifted)
        let onlyInReference = try Self.run(.chiSquare, Self.categories(["a": 10, "b": 10]), Self.categories(["a": 20]))
        #expect(Self.close(onlyInReference.statistic, 20))
    }

    @Test func chiSquareTakesNumbersAsCategories() throws {
        let numbers = try Self.run(.chiSquare, ColumnSample(numbers: [1, 1, 2, 2, 3, 3]), ColumnSample(numbers: [1, 2, 3, 3, 3, 3]))
        let texts = try Self.run(.chiSquare, Self.categories(["1": 2, "2": 2, "3": 2]), Self.categories(["1": 1, "2": 1, "3": 4]))
        #expect(numbers.statistic == texts.statistic && numbers.pValue == texts.pValue)
    }

    @Test func zTestTwoProportions() throws {
        let result = try Self.run(.z, Self.categories(["a": 60, "b": 40]), Self.categories(["a": 40, "b": 60]))
        // p1 = 0.4, p2 = 0.6, pooled 0.5: z = −0.2/√(0.25·0.02) = −2√2, p = erfc(2).
        #expect(Self.close(result.statistic, -2 * (2.0).squareRoot()))
        #expect(Self.close(result.pValue, erfc(2), relative: 1e-9))
        #expect(result.drifted)
        let numeric = try Self.run(.z, ColumnSample(numbers: Array(repeating: 0, count: 60) + Array(repeating: 1, count: 40)),
                                   ColumnSample(numbers: Array(repeating: 0, count: 40) + Array(repeating: 1, count: 60)))
        #expect(numeric.pValue == result.pValue)
    }

    @Test func zTestSingleSharedValueAndTails() throws {
        let same = try Self.run(.z, Self.categories(["yes": 7]), Self.categories(["yes": 9]))
        #expect(same.pValue == 1 && !same.drifted)
        // Evidently takes 1 − Φ(|z|), which is exactly 0 this far out.
        let far = try Self.run(.z, Self.categories(["a": 1000]), Self.categories(["b": 1000]))
        #expect(far.pValue == 0 && far.drifted)
    }

    @Test func jensenShannonDistance() throws {
        let result = try Self.run(.jensenShannon, Self.categories(["a": 5, "b": 5]), Self.categories(["a": 8]))
        // p = (½, ½), q = (1, 0), m = (¾, ¼).
        let left = 0.5 * log(0.5 / 0.75) + 0.5 * log(0.5 / 0.25)
        let right = log(1 / 0.75)
        #expect(Self.close(result.score, ((left + right) / 2).squareRoot()))
        #expect(result.drifted && result.statistic == result.score && result.pValue == nil)
        let identical = try Self.run(.jensenShannon, Self.categories(["a": 5, "b": 5]), Self.categories(["a": 1, "b": 1]))
        #expect(identical.score == 0 && !identical.drifted)
    }

    @Test func psiFillsEmptyBins() throws {
        let result = try Self.run(.psi, Self.categories(["a": 50, "b": 50]), Self.categories(["a": 100]))
        let expected = (0.5 - 1) * log(0.5 / 1) + (0.5 - 0.0001) * log(0.5 / 0.0001)
        #expect(Self.close(result.score, expected))
        #expect(result.drifted)
    }

    @Test func zeroFillUsesAMillionthOfTinyShares() {
        var shares = [0.5, 0.49995, 0.00005, 0]
        Binning.fillEmptyBins(&shares)
        #expect(shares[3] == 0.00005 / 1_000_000)
        var coarse = [0.5, 0.5, 0]
        Binning.fillEmptyBins(&coarse)
        #expect(coarse[2] == 0.0001)
    }

    @Test func klDivergenceRenormalisesFilledShares() throws {
        let plain = try Self.run(.klDiv, Self.categories(["a": 5, "b": 5]), Self.categories(["a": 9, "b": 1]))
        #expect(Self.close(plain.score, 0.5 * log(0.5 / 0.9) + 0.5 * log(0.5 / 0.1)))
        let filled = try Self.run(.klDiv, Self.categories(["a": 50, "b": 50]), Self.categories(["a": 100]))
        let q = [1 / 1.0001, 0.0001 / 1.0001]
        #expect(Self.close(filled.score, 0.5 * log(0.5 / q[0]) + 0.5 * log(0.5 / q[1]), relative: 1e-12))
    }

    @Test func hellingerCategoricalAndNumerical() throws {
        let categorical = try Self.run(.hellinger, Self.categories(["a": 5, "b": 5]), Self.categories(["a": 4]))
        #expect(Self.close(categorical.score, (1 - (0.5).squareRoot()).squareRoot()))
        let numerical = try Self.run(.hellinger, ColumnSample(numbers: [1, 2, 3, 4]), ColumnSample(numbers: [4, 3, 2, 1]), kind: .numerical)
        #expect(abs(numerical.score) < 1e-7 && !numerical.drifted)
        // Distinct values {0.5, 10}: Sturges gives bins [0.5, 5.25, 10]; densities (1, 1)/9.5 for the
        // reference and (2, 0)/9.5 for the current → affinity √2/9.5 · 4.75 = √½.
        let split = try Self.run(.hellinger, ColumnSample(numbers: [0.5, 10]), ColumnSample(numbers: [0.5, 0.5]), kind: .numerical)
        #expect(Self.close(split.score, (1 - (0.5).squareRoot()).squareRoot(), relative: 1e-12))
    }

    @Test func fisherExactTwoByTwo() throws {
        let result = try Self.run(.fisherExact, Self.categories(["a": 5, "b": 5]), Self.categories(["a": 10]))
        // Table [[10, 0], [5, 5]]: the tail beyond the observed table is C(10,5)·C(10,10)/C(20,15), twice.
        #expect(Self.close(result.pValue, 2.0 * 252 / 15504, relative: 1e-9))
        #expect(result.drifted && result.threshold == 0.1)
        let balanced = try Self.run(.fisherExact, Self.categories(["a": 5, "b": 5]), Self.categories(["a": 5, "b": 5]))
        #expect(balanced.pValue == 1)
        let single = try Self.run(.fisherExact, Self.categories(["a": 5]), Self.categories(["a": 5]))
        #expect(single.pValue == 1)
    }

    @Test func fisherExactRefusesWhatEvidentlyRefuses() {
        #expect(throws: DriftError.self) {
            try Self.run(.fisherExact, Self.categories(["a": 5, "b": 5]), Self.categories(["a": 6]))
        }
        do {
            _ = try Self.run(.fisherExact, Self.categories(["a": 2, "b": 2]), Self.categories(["a": 2, "c": 2]))
            Issue.record("three categories accepted")
        } catch {
            #expect(error.message.contains("at most two categories"))
        }
    }

    @Test func gTestUsesRawReferenceCounts() throws {
        let result = try Self.run(.gTest, Self.categories(["a": 50, "b": 50]), Self.categories(["a": 30, "b": 70]))
        let g = 2 * (30 * log(30.0 / 50) + 70 * log(70.0 / 50))
        #expect(Self.close(result.statistic, g))
        #expect(Self.close(result.pValue, erfc((g / 2).squareRoot()), relative: 1e-9))
        do {
            _ = try Self.run(.gTest, Self.categories(["a": 50, "b": 50]), Self.categories(["a": 30, "b": 71]))
            Issue.record("unequal sizes accepted")
        } catch {
            #expect(error.message.contains("same size"))
        }
    }

    @Test func emptySampleNamesTheSide() {
        for test in [StatTest.chiSquare, .z, .jensenShannon, .psi, .klDiv, .hellinger, .fisherExact, .gTest] {
            do {
                _ = try Self.run(test, ColumnSample(numbers: [.nan, 1]), ColumnSample(numbers: [.nan]))
                Issue.record("\(test.name) accepted an empty current sample")
            } catch {
                #expect(error.message.contains("current data has no values"), "\(test.name): \(error.message)")
            }
            do {
                _ = try Self.run(test, ColumnSample(counts: [:], missing: 3), Self.categories(["a": 1]))
                Issue.record("\(test.name) accepted an empty reference sample")
            } catch {
                #expect(error.message.contains("reference data has no values"), "\(test.name): \(error.message)")
            }
        }
    }

    @Test func sturgesEdgesFollowNumpy() throws {
        let edges = try Binning.sturgesEdges(minimum: 0, maximum: 99, size: 200, integerTyped: false)
        // ⌈99 / (99 / (log2 200 + 1))⌉ = ⌈log2 200 + 1⌉ = 9 bins from 0 to 99.
        #expect(edges.count == 10)
        #expect(edges.first == 0)
        #expect(edges.last == 99)
        let step: Double = 99.0 / 9
        #expect(edges[1] == step)
        // A constant sample gets one bin of width 1 around its value.
        let constant: [Double] = try Binning.sturgesEdges(minimum: 4, maximum: 4, size: 10, integerTyped: false)
        #expect(constant == [3.5, 4.5])
        // numpy widens bins narrower than 1 for integer arrays.
        #expect(try Binning.sturgesEdges(minimum: 0, maximum: 1, size: 2, integerTyped: true).count == 2)
        #expect(try Binning.sturgesEdges(minimum: 0, maximum: 1, size: 2, integerTyped: false).count == 3)
    }

    @Test func histogramClosesTheLastBin() throws {
        let runs = try ValueRuns(ColumnSample(numbers: [0, 1, 1, 2, 3, 3, 3]), side: "reference")
        #expect(runs.histogram(edges: [0, 1, 2, 3]) == [1, 2, 4])
    }

    @Test func manyDistinctNumbersAreBinnedFewAreNot() throws {
        let wide = ColumnSample(numbers: (0..<100).map(Double.init))
        let shares = try Binning.evidentlyShares(reference: wide, current: wide, kind: .numerical, fillZeroes: false)
        #expect(shares.reference.count == 9 && abs(shares.reference.reduce(0, +) - 1) < 1e-12)
        let narrow = ColumnSample(numbers: [1, 2, 2, 3])
        let perValue = try Binning.evidentlyShares(reference: narrow, current: ColumnSample(numbers: [7]), kind: .numerical, fillZeroes: false)
        #expect(perValue.reference == [0.25, 0.5, 0.25, 0] && perValue.current == [0, 0, 0, 1])
        // The same numbers tested as categorical always get one bin per value.
        let categorical = try Binning.evidentlyShares(reference: wide, current: wide, kind: .categorical, fillZeroes: false)
        #expect(categorical.reference.count == 100)
    }

    @Test func chiSquaredSurvivalClosedForms() {
        for x in [0.001, 0.5, 3, 16, 60, 200] {
            #expect(Self.close(CategoricalDistributions.chiSquaredSurvival(x, degreesOfFreedom: 1), erfc((x / 2).squareRoot()), relative: 1e-13))
            #expect(Self.close(CategoricalDistributions.chiSquaredSurvival(x, degreesOfFreedom: 2), exp(-x / 2), relative: 1e-13))
            // Even df = 2k: e^(−x/2) Σ_{j<k} (x/2)^j / j!.
            var term = 1.0, sum = 0.0
            for j in 0..<20 {
                sum += term
                term *= (x / 2) / Double(j + 1)
            }
            #expect(Self.close(CategoricalDistributions.chiSquaredSurvival(x, degreesOfFreedom: 40), exp(-x / 2) * sum, relative: 1e-12))
        }
        #expect(CategoricalDistributions.chiSquaredSurvival(.infinity, degreesOfFreedom: 3) == 0)
        #expect(CategoricalDistributions.chiSquaredSurvival(0, degreesOfFreedom: 3) == 1)
        #expect(CategoricalDistributions.chiSquaredSurvival(1e7, degreesOfFreedom: 3) == 0)
        #expect(CategoricalDistributions.chiSquaredSurvival(1, degreesOfFreedom: 0).isNaN)
    }

    /// Reference values from mpmath at 40 digits (SciPy itself is off by 2e-10 at the third point).
    @Test func upperGammaAtLargeShapes() {
        let cases: [(a: Double, x: Double, q: Double)] = [
            (5e5, 5e5, 0.49981193680339449952),
            (5e5, 503535.53390593274, 3.0388070477558667752e-7),
            (2.5e6, 2495256.5835097474, 0.99865756673794892678),
            (50000, 52000, 5.2709612293974671596e-19),
            (3.5, 700, 3.8599631812373352211e-298),
            (250, 400, 3.1770076592385689056e-16),
        ]
        for (a, x, q) in cases {
            #expect(Self.close(CategoricalDistributions.regularizedUpperGamma(a: a, x: x), q, relative: 1e-10), "Q(\(a), \(x))")
        }
    }

    @Test func nanScoreIsNotDrift() {
        #expect(!CategoricalTests.distanceResult(.nan, threshold: 0.1).drifted)
        #expect(!CategoricalTests.pValueResult(statistic: nil, pValue: .nan, threshold: 0.05).drifted)
    }
}
