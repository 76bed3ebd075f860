import Foundation

/// Evidently's port of SciPy's `cramervonmises_2samp` (method 'auto': exact when both sides have at
/// most 20 values, else Anderson's normalised statistic against the one-sample limit distribution).
enum CramerVonMises {
    static let exactLimit = 20

    /// Needs at least two values on each side (Evidently raises otherwise; the caller checks).
    static func twoSample(_ x: [Double], _ y: [Double]) -> (statistic: Double, pValue: Double) {
        let nx = x.count, ny = y.count
        var xTerms = [Double](), yTerms = [Double]()
        xTerms.reserveCapacity(nx)
        yTerms.reserveCapacity(ny)
        var i = 0, j = 0
        while i < nx || j < ny {
            let value: Double
            if j >= ny || (i < nx && x[i] <= y[j]) { value = x[i] } else { value = y[j] }
            let before = i + j
            let iStart = i, jStart = j
            while i < nx && x[i] == value { i += 1 }
            while j < ny && y[j] == value { j += 1 }
            let midrank = Double(before) + Double(i - iStart + j - jStart + 1) / 2
            for k in iStart..<i { let gap = midrank - Double(k + 1); xTerms.append(gap * gap) }
            for k in jStart..<j { let gap = midrank - Double(k + 1); yTerms.append(gap * gap) }
        }
        let u = Double(nx) * NumPySums.sum(xTerms) + Double(ny) * NumPySums.sum(yTerms)
        let k = Double(nx * ny), n = Double(nx + ny)
        let t = u / (k * n) - (4 * k - 1) / (6 * n)
        if max(nx, ny) <= exactLimit {
            return (t, exactUpperTail(u: u, nx, ny))
        }
        let expected = (1 + 1 / n) / 6
        var variance = (n + 1.0) * (4 * k * n - 3 * (Double(nx * nx) + Double(ny * ny)) - 2 * k)
        variance = variance / (45 * n * n * 4 * k)
        let normalized = 1.0 / 6 + (t - expected) / (45 * variance).squareRoot()
        if normalized < 0.003 { return (t, 1) }
        return (t, max(0, 1 - limitCDF(normalized)))
    }

    /// P(U ≥ u) from the exact null distribution of the rank statistic: lattice paths from (0,0) to
    /// (m,n) accumulating (a·v − b·u)² per step (Xiao, Gordon & Yakovlev's table of frequencies).
    static func exactUpperTail(u s: Double, _ m: Int, _ n: Int) -> Double {
        let lcm = m / KolmogorovSmirnov.gcd(m, n) * n
        let a = lcm / m, b = lcm / n
        let mn = Double(m * n)
        let zeta = numpyFloorDivide(Double(lcm * lcm * (m + n)) * (6 * s - mn * (4 * mn - 1)), 6 * mn * mn)
        // row[v] holds the frequencies of accumulated values at lattice point (current u, v).
        var row = [[Int: Double]](repeating: [:], count: m + 1)
        row[0] = [0: 1]
        for uStep in 0...n {
            var running: [Int: Double] = [:]
            for v in 0...m {
                var merged = running
                for (value, frequency) in row[v] { merged[value, default: 0] += frequency }
                let increment = (a * v - b * uStep) * (a * v - b * uStep)
                var shifted: [Int: Double] = [:]
                shifted.reserveCapacity(merged.count)
                for (value, frequency) in merged { shifted[value + increment] = frequency }
                row[v] = shifted
                running = shifted
            }
        }
        var above = 0.0
        for (value, frequency) in row[m] where Double(value) >= zeta { above += frequency }
        return above / MannWhitney.binomial(m + n, m)
    }

    /// `a // b` for floats as NumPy computes it (fmod-based, then rounded to the nearest whole quotient).
    static func numpyFloorDivide(_ a: Double, _ b: Double) -> Double {
        if b == 0 { return a / b }
        let remainder = fmod(a, b)
        var quotient = (a - remainder) / b
        if remainder != 0 && ((b < 0) != (remainder < 0)) { quotient -= 1 }
        if quotient == 0 { return copysign(0, a / b) }
        var floored = quotient.rounded(.down)
        if quotient - floored > 0.5 { floored += 1 }
        return floored
    }

    /// CDF of the limiting one-sample Cramér–von Mises statistic (Csörgő & Faraway's series), summed
    /// until a term drops below 1e-7 as Evidently's port does.
    static func limitCDF(_ x: Double) -> Double {
        var total = 0.0
        var k = 0
        while true {
            let kd = Double(k)
            let scale = exp(lgamma(kd + 0.5) - lgamma(kd + 1)) / (pow(Double.pi, 1.5) * x.squareRoot())
            let y = 4 * kd + 1
            let q = y * y / (16 * x)
            let term = scale * y.squareRoot() * exp(-q) * NumericalDistributions.besselK(nu: 0.25, x: q)
            total += term
            if !(abs(term) >= 1e-7) { break }
            k += 1
        }
        return total
    }
}
