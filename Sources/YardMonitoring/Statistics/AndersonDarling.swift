import Foundation

/// SciPy's `anderson_ksamp([a, b])` as Evidently calls it in SciPy 1.17 (no `variant`, no `method`: the
/// midrank statistic, and the p-value interpolated from Scholz & Stephens' table, capped to 0.001–0.25).
enum AndersonDarling {
    static let significanceLevels = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001]

    /// Critical values for two samples (k − 1 = 1 in Scholz & Stephens' interpolation b0 + b1/√m + b2/m).
    static let criticalValues: [Double] = {
        let b0: [Double] = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085]
        let b1: [Double] = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615]
        let b2: [Double] = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154]
        let m = 1.0
        return (0..<7).map { (index: Int) -> Double in
            let first: Double = b0[index] + b1[index] / m.squareRoot()
            return first + b2[index] / m
        }
    }()

    /// Quadratic least-squares fit of log(significance) on the critical values (`np.polyfit(..., 2)`).
    static let logSignificanceFit: [Double] = quadraticFit(x: criticalValues, y: significanceLevels.map { log($0) })

    /// Needs two or more distinct values in the pooled sample and three or more values (the caller checks).
    static func twoSample(_ a: [Double], _ b: [Double]) -> (statistic: Double, pValue: Double) {
        let n = [a.count, b.count]
        let total = a.count + b.count
        let bigN = Double(total)
        var termsA = [Double](), termsB = [Double]()
        var i = 0, j = 0
        while i < a.count || j < b.count {
            let value: Double
            if j >= b.count || (i < a.count && a[i] <= b[j]) { value = a[i] } else { value = b[j] }
            let below = Double(i + j)
            let iStart = i, jStart = j
            while i < a.count && a[i] == value { i += 1 }
            while j < b.count && b[j] == value { j += 1 }
            let tied = Double(i - iStart + j - jStart)
            let midpoint = below + tied / 2
            let denominator = midpoint * (bigN - midpoint) - bigN * tied / 4
            let mA = Double(i) - Double(i - iStart) / 2
            let mB = Double(j) - Double(j - jStart) / 2
            let gapA = bigN * mA - midpoint * Double(n[0])
            let gapB = bigN * mB - midpoint * Double(n[1])
            termsA.append(tied / bigN * gapA * gapA / denominator)
            termsB.append(tied / bigN * gapB * gapB / denominator)
        }
        var statistic = 0.0
        statistic += NumPySums.sum(termsA) / Double(n[0])
        statistic += NumPySums.sum(termsB) / Double(n[1])
        statistic *= (bigN - 1.0) / bigN

        let harmonicSizes = 1.0 / Double(n[0]) + 1.0 / Double(n[1])
        // hs[i] = Σ_{j=N-1-i}^{N-1} 1/j (cumulative from the top), as SciPy builds it.
        var partial = 0.0
        var weighted = [Double]()
        weighted.reserveCapacity(max(total - 2, 0))
        var divisor = 2.0
        var denominatorValue = total - 1
        while denominatorValue > 1 {
            partial += 1.0 / Double(denominatorValue)
            weighted.append(partial / divisor)
            divisor += 1
            denominatorValue -= 1
        }
        let h = partial + 1
        let g = NumPySums.sum(weighted)
        let k = 2.0
        let coefA = (4 * g - 6) * (k - 1) + (10 - 6 * g) * harmonicSizes
        let coefB = (2 * g - 4) * k * k + 8 * h * k + (2 * g - 14 * h - 4) * harmonicSizes - 8 * h + 4 * g - 6
        let coefC = (6 * h + 2 * g - 2) * k * k + (4 * h - 4 * g + 6) * k + (2 * h - 6) * harmonicSizes + 4 * h
        let coefD = (2 * h + 6) * k * k - 4 * h * k
        let sigmaSquared = (coefA * bigN * bigN * bigN + coefB * bigN * bigN + coefC * bigN + coefD)
            / ((bigN - 1.0) * (bigN - 2.0) * (bigN - 3.0))
        let a2 = (statistic - 1) / sigmaSquared.squareRoot()
        return (a2, pValue(a2))
    }

    static func pValue(_ a2: Double) -> Double {
        let critical = criticalValues
        if a2 < critical.min()! { return significanceLevels.max()! }
        if a2 > critical.max()! { return significanceLevels.min()! }
        let c = logSignificanceFit
        return exp((c[0] * a2 + c[1]) * a2 + c[2])
    }

    /// Coefficients (highest power first) of the least-squares parabola, solved by Householder QR on
    /// column-scaled Vandermonde columns as `np.polyfit` scales them.
    static func quadraticFit(x: [Double], y: [Double]) -> [Double] {
        let rows = x.count
        var columns = [x.map { $0 * $0 }, x, [Double](repeating: 1, count: rows)]
        let scales = columns.map { column in column.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        for c in 0..<3 { columns[c] = columns[c].map { $0 / scales[c] } }
        var rhs = y
        for c in 0..<3 {
            var norm = 0.0
            for r in c..<rows { norm += columns[c][r] * columns[c][r] }
            norm = norm.squareRoot()
            let alpha = columns[c][c] > 0 ? -norm : norm
            var v = [Double](repeating: 0, count: rows)
            for r in c..<rows { v[r] = columns[c][r] }
            v[c] -= alpha
            let vNorm2 = v.reduce(0) { $0 + $1 * $1 }
            if vNorm2 == 0 { continue }
            for col in c..<3 {
                var dot = 0.0
                for r in c..<rows { dot += v[r] * columns[col][r] }
                let factor = 2 * dot / vNorm2
                for r in c..<rows { columns[col][r] -= factor * v[r] }
            }
            var dot = 0.0
            for r in c..<rows { dot += v[r] * rhs[r] }
            let factor = 2 * dot / vNorm2
            for r in c..<rows { rhs[r] -= factor * v[r] }
        }
        var solution = [Double](repeating: 0, count: 3)
        for c in stride(from: 2, through: 0, by: -1) {
            var value = rhs[c]
            for col in (c + 1)..<3 { value -= columns[col][c] * solution[col] }
            solution[c] = value / columns[c][c]
        }
        return (0..<3).map { solution[$0] / scales[$0] }
    }
}
