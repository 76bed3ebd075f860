import Foundation

/// SciPy's `mannwhitneyu(x, y, alternative="less")` as Evidently calls it (continuity correction, method
/// 'auto': exact when one side has at most 8 values and nothing is tied, else normal with tie correction).
enum MannWhitney {
    static let exactLimit = 8

    /// The statistic is U for `x` (SciPy's U1); the p-value is for "x is stochastically less than y".
    static func lessAlternative(_ x: [Double], _ y: [Double]) -> (statistic: Double, pValue: Double) {
        let n1 = x.count, n2 = y.count
        var u1 = 0.0
        var tieTerm = 0.0
        var anyTie = false
        var i = 0, j = 0
        x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                while i < n1 || j < n2 {
                    let value: Double
                    if j >= n2 || (i < n1 && x[i] <= y[j]) { value = x[i] } else { value = y[j] }
                    let yBelow = j
                    let iStart = i, jStart = j
                    while i < n1 && x[i] == value { i += 1 }
                    while j < n2 && y[j] == value { j += 1 }
                    let inX = i - iStart, inY = j - jStart
                    // Each x beats the y values below it and half-beats the equal ones (midranks).
                    u1 += Double(inX) * (Double(yBelow) + 0.5 * Double(inY))
                    let tied = Double(inX + inY)
                    if inX + inY > 1 { anyTie = true }
                    tieTerm += tied * tied * tied - tied
                }
            }
        }
        let u2 = Double(n1) * Double(n2) - u1
        let p: Double
        if !anyTie && (n1 <= exactLimit || n2 <= exactLimit) {
            p = exactUpperTail(u: Int(u2), n1, n2)
        } else {
            let n = Double(n1 + n2)
            let mu = Double(n1) * Double(n2) / 2
            let s = (Double(n1) * Double(n2) / 12 * ((n + 1) - tieTerm / (n * (n - 1)))).squareRoot()
            let z = (u2 - mu - 0.5) / s
            p = NumericalDistributions.normalSF(z)
        }
        return (u1, NumericalDistributions.clip(p))
    }

    /// P(U ≥ u) under the null with no ties. Counts of U are the coefficients of the Gaussian binomial
    /// [n1+n2 choose n1]_q = Π (1 − q^{n2+i}) / (1 − q^i), built only up to the tail that is needed.
    static func exactUpperTail(u: Int, _ a: Int, _ b: Int) -> Double {
        let n1 = min(a, b), n2 = max(a, b)
        let complement = n1 * n2 - u
        let reach = min(u, complement)
        guard reach >= 0 else { return u <= 0 ? 1 : 0 }
        var counts = [Double](repeating: 0, count: reach + 1)
        counts[0] = 1
        for i in 1...max(n1, 1) where n1 >= 1 {
            let shift = n2 + i
            if shift <= reach {
                for k in stride(from: reach, through: shift, by: -1) { counts[k] -= counts[k - shift] }
            }
            if i <= reach {
                for k in i...reach { counts[k] += counts[k - i] }
            }
        }
        let total = binomial(n1 + n2, n1)
        var cumulative = 0.0
        if u < complement {
            // 1 − P(U ≤ u) + P(U = u), as SciPy forms it.
            for k in 0...u { cumulative += counts[k] / total }
            return 1 - cumulative + counts[u] / total
        }
        for k in 0...complement { cumulative += counts[k] / total }
        return cumulative
    }

    static func binomial(_ n: Int, _ k: Int) -> Double {
        let k = min(k, n - k)
        if k < 0 { return 0 }
        var result = 1.0
        if k > 0 {
            for i in 1...k { result = result * Double(n - k + i) / Double(i) }
        }
        return result.rounded()
    }
}
