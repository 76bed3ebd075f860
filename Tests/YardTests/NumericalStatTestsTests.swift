import Foundation
import Testing
@testable import YardMonitoring

@Suite("Numerical drift tests")
struct NumericalStatTestsTests {
    private func sample(_ values: [Double]) -> ColumnSample { ColumnSample(numbers: values) }

    private func run(_ test: StatTest, _ reference: [Double], _ current: [Double]) throws -> StatTestResult {
        try test.evaluate(reference: sample(reference), current: sample(current), kind: .numerical)
    }

    /// A deterministic normal sample (Box–Muller on a fixed LCG), so failures reproduce.
    private func normalSample(_ count: Int, mean: Double, seed: UInt64) -> [Double] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        return (0..<count).map { _ in mean + (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
    }

    /// Every way of splitting `pooled` into a first group of `size` values (for exact null distributions).
    private func splits(_ pooled: [Double], size: Int) -> [([Double], [Double])] {
        var result: [([Double], [Double])] = []
        func choose(_ start: Int, _ chosen: [Int]) {
            if chosen.count == size {
                let set = Set(chosen)
                let first = chosen.map { pooled[$0] }
                let second = pooled.indices.filter { !set.contains($0) }.map { pooled[$0] }
                result.append((first.sorted(), second.sorted()))
                return
            }
            guard start < pooled.count else { return }
            for index in start..<pooled.count { choose(index + 1, chosen + [index]) }
        }
        choose(0, [])
        return result
    }

    @Test func identicalSamplesShowNoDrift() throws {
        let values = normalSample(500, mean: 0, seed: 1)
        let ks = try run(.ks, values, values)
        #expect(ks.statistic == 0 && ks.pValue == 1 && !ks.drifted)
        #expect(try run(.wasserstein, values, values).score == 0)
        #expect(try run(.energyDistance, values, values).score == 0)
        let cvm = try run(.cramerVonMises, values, values)
        #expect(cvm.pValue! > 0.99 && !cvm.drifted)
        let anderson = try run(.anderson, values, values)
        #expect(anderson.pValue == 0.25 && !anderson.drifted)   // SciPy's cap
        let t = try run(.tTest, values, values)
        #expect(t.statistic == 0 && abs(t.pValue! - 1) < 1e-12)
        #expect(try run(.mannWhitney, values, values).pValue! > 0.4)
    }

    @Test func shiftedSamplesAreDetectedByEveryTest() throws {
        let reference = normalSample(2000, mean: 0, seed: 2)
        let current = normalSample(1500, mean: 0.5, seed: 3)
        for test in [StatTest.ks, .wasserstein, .anderson, .cramerVonMises, .energyDistance, .mannWhitney, .tTest] {
            let result = try run(test, reference, current)
            #expect(result.drifted, "\(test.name) missed a half-sigma shift: score \(result.score)")
        }
    }

    @Test func handCheckedValues() throws {
        let ks = try run(.ks, [1, 2, 3], [4, 5, 6])
        #expect(ks.statistic == 1)
        #expect(abs(ks.pValue! - 0.1) < 1e-15)   // 2 of the C(6,3) = 20 orderings are this extreme
        #expect(!ks.drifted)

        let wasserstein = try run(.wasserstein, [0, 1], [1, 2])
        #expect(abs(wasserstein.score - 2) < 1e-15)   // distance 1 over std 0.5
        #expect(wasserstein.drifted)
        let constantReference = try run(.wasserstein, [3, 3, 3], [3, 3, 3.002])
        #expect(abs(constantReference.score - (0.002 / 3) / 0.001) < 1e-9)   // norm floored at 0.001

        #expect(abs(try run(.energyDistance, [0], [1]).score - 2.0.squareRoot()) < 1e-15)

        let mann = try run(.mannWhitney, [1, 2, 3], [4, 5, 6])
        #expect(mann.statistic == 0 && abs(mann.pValue! - 0.05) < 1e-15 && !mann.drifted)   // 1/20, and p < 0.05 is strict
        #expect(try run(.mannWhitney, [4, 5, 6], [1, 2, 3]).pValue == 1)

        // df = 2 has a closed form: two-sided p = 1 − |t|/√(t² + 2).
        let t = try run(.tTest, [1, 2], [4, 5])
        let tValue = -3 / 0.5.squareRoot()
        #expect(abs(t.statistic! - tValue) < 1e-12)
        #expect(abs(t.pValue! - (1 - abs(tValue) / (tValue * tValue + 2).squareRoot())) < 1e-12)

        let cvm = try run(.cramerVonMises, [1, 2], [3, 4])
        #expect(abs(cvm.statistic! - 0.375) < 1e-15 && abs(cvm.pValue! - 1.0 / 3) < 1e-15)
    }

    @Test func exactPValuesMatchFullEnumeration() throws {
        let pooled: [Double] = [0.3, 1.1, 1.7, 2.2, 2.9, 3.4, 4.8, 5.5]
        let reference: [Double] = [0.3, 1.7, 2.2, 3.4, 5.5]
        let current: [Double] = [1.1, 2.9, 4.8]
        let all = splits(pooled, size: reference.count)
        #expect(all.count == 56)
        let observed = KolmogorovSmirnov.twoSample(reference, current)
        let ksCount = all.filter { KolmogorovSmirnov.largestECDFGap($0.0, $0.1) >= observed.statistic - 1e-12 }.count
        #expect(abs(observed.pValue - Double(ksCount) / 56) < 1e-12)

        let mann = MannWhitney.lessAlternative(reference, current)
        let u2 = Double(reference.count * current.count) - mann.statistic
        let mannCount = all.filter { Double(15) - MannWhitney.lessAlternative($0.0, $0.1).statistic >= u2 }.count
        #expect(abs(mann.pValue - Double(mannCount) / 56) < 1e-12)

        let cvm = CramerVonMises.twoSample(reference, current)
        let cvmCount = all.filter { CramerVonMises.twoSample($0.0, $0.1).statistic >= cvm.statistic - 1e-12 }.count
        #expect(abs(cvm.pValue - Double(cvmCount) / 56) < 1e-12)
    }

    @Test func tiesAndConstantsFollowSciPy() throws {
        // Two identical constant columns: the t-test is 0/0 in SciPy (NaN), which must not read as drift.
        let t = try run(.tTest, [0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1])
        #expect(!t.drifted)
        let apart = try run(.tTest, [1, 1, 1], [2, 2, 2])
        #expect(apart.statistic == -.infinity && apart.pValue == 0 && apart.drifted)
        #expect(try run(.ks, [5, 5, 5], [5, 5]).pValue == 1)
        let tied = try run(.mannWhitney, [1, 1, 1], [1, 1, 1])
        #expect(tied.statistic == 4.5 && tied.pValue == 1 && !tied.drifted)
        #expect(throws: DriftError.self) { try run(.anderson, [2, 2, 2], [2, 2]) }
        #expect(throws: DriftError.self) { try run(.cramerVonMises, [1], [2, 3]) }
        // Heavily tied integers still give a p-value in [0, 1] from every test.
        let reference = (0..<300).map { Double($0 % 4) }, current = (0..<200).map { Double($0 % 5) }
        for test in [StatTest.ks, .anderson, .cramerVonMises, .mannWhitney, .tTest] {
            let p = try run(test, reference, current).pValue!
            #expect(p >= 0 && p <= 1, "\(test.name) gave \(p)")
        }
    }

    @Test func emptyOrCategoricalSamplesAreClearErrors() throws {
        do {
            _ = try StatTest.ks.evaluate(reference: sample([1, 2]), current: sample([.nan]), kind: .numerical)
            Issue.record("an all-missing current column was accepted")
        } catch {
            #expect(error.message.contains("no values in the current data"))
        }
        do {
            _ = try StatTest.wasserstein.evaluate(reference: ColumnSample(counts: [.text("a"): 3]), current: sample([1]),
                                                  kind: .categorical)
            Issue.record("a categorical sample was accepted")
        } catch {
            #expect(error.message.contains("needs a numerical column"))
        }
    }

    @Test func largeSamplesUseTheAsymptoticPathQuickly() throws {
        let reference = normalSample(200_000, mean: 0, seed: 4).sorted()
        let current = normalSample(200_000, mean: 0, seed: 5).sorted()
        let start = ContinuousClock.now
        let ks = try run(.ks, reference, current)
        let elapsed = ContinuousClock.now - start
        #expect(ks.pValue! > 0.001 && ks.pValue! <= 1)
        #expect(elapsed < .seconds(5), "ks on 200k vs 200k took \(elapsed)")
    }
}
