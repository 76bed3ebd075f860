import Foundation

/// The distribution functions the categorical drift tests need, computed the way SciPy's answers come out
/// (chi-square survival, the normal cdf as `scipy.special.ndtr` rounds it, the hypergeometric tail of a
/// symmetric 2×2 table).
enum CategoricalDistributions {
    /// `scipy.stats.chi2.sf(x, df)`; NaN when `df` ≤ 0, as SciPy answers.
    static func chiSquaredSurvival(_ x: Double, degreesOfFreedom df: Double) -> Double {
        guard !x.isNaN, df > 0, df.isFinite else { return .nan }
        if x <= 0 { return 1 }
        if x == .infinity { return 0 }
        return regularizedUpperGamma(a: df / 2, x: x / 2)
    }

    /// Q(a, x) = Γ(a, x) / Γ(a): the series for P below a + 1 and the continued fraction for Q above,
    /// both scaled by a prefactor computed without the cancellation `a·ln x − x − lnΓ(a)` suffers for
    /// large a, so the result keeps ~1e-13 relative accuracy for a up to millions.
    static func regularizedUpperGamma(a: Double, x: Double) -> Double {
        precondition(a > 0)
        if x <= 0 { return 1 }
        if x == .infinity { return 0 }
        let prefactor = gammaPrefactor(a: a, x: x)
        if prefactor == 0 { return x < a ? 1 : 0 }
        // Both expansions need on the order of √a terms near x ≈ a.
        let maxIterations = 100 + Int(30 * a.squareRoot())
        if x < a + 1 {
            var sum = 1.0, term = 1.0, denominator = a
            for _ in 0..<maxIterations {
                denominator += 1
                term *= x / denominator
                sum += term
                if term <= sum * 1e-17 { break }
            }
            return 1 - prefactor * sum / a
        }
        // Modified Lentz evaluation of the continued fraction for Q.
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var fraction = d
        for i in 1...maxIterations {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            fraction *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return prefactor * fraction
    }

    /// xᵃ e⁻ˣ / Γ(a).
    static func gammaPrefactor(a: Double, x: Double) -> Double {
        if a < 10 {
            return exp(a * log(x) - x - lgamma(a))
        }
        // lnΓ(a) = (a − ½)ln a − a + ½ ln 2π + S(a), so the exponent becomes a·(ln(1+t) − t) with
        // t = (x − a)/a, which has no large terms to cancel.
        let t = (x - a) / a
        return (a / (2 * Double.pi)).squareRoot() * exp(a * logOnePlusMinus(t) - stirlingCorrection(a))
    }

    /// ln(1 + t) − t, accurate for small |t|.
    static func logOnePlusMinus(_ t: Double) -> Double {
        if abs(t) >= 0.5 { return log1p(t) - t }
        // ln(1+t) = 2·atanh(r) with r = t/(2+t); then ln(1+t) − t = −r·t + 2(r³/3 + r⁵/5 + …).
        let r = t / (2 + t)
        let r2 = r * r
        var power = r * r2
        var series = 0.0
        var k = 3.0
        while true {
            let term = power / k
            series += term
            if abs(term) <= abs(series) * 1e-17 || power == 0 { break }
            power *= r2
            k += 2
        }
        return -r * t + 2 * series
    }

    /// lnΓ(a) − ((a − ½)ln a − a + ½ ln 2π) for a ≥ 10 (Stirling's series; the next term is below 1e-17).
    static func stirlingCorrection(_ a: Double) -> Double {
        let inverse = 1 / a
        let inverse2 = inverse * inverse
        let coefficients: [Double] = [1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188,
                                      -691.0 / 360_360, 1.0 / 156]
        var sum = 0.0
        for coefficient in coefficients.reversed() {
            sum = sum * inverse2 + coefficient
        }
        return sum * inverse
    }

    /// `scipy.special.ndtr`: Φ(a), through erf near 0 and erfc in the tails. Evidently's z-test takes
    /// `1 − Φ(|z|)`, so reproducing this rounding keeps its p-values (0 beyond |z| ≈ 8.3).
    static func normalCDF(_ a: Double) -> Double {
        let x = a * (0.5).squareRoot()
        let z = abs(x)
        if z < (0.5).squareRoot() { return 0.5 + 0.5 * erf(x) }
        let y = 0.5 * erfc(z)
        return x > 0 ? 1 - y : y
    }

    /// Two-sided p-value of Fisher's exact test for the 2×2 table whose two rows both total `rowTotal`
    /// (Evidently only passes equal-length samples), `firstCell` being row 0's count in column 0 and
    /// `columnTotal` column 0's total. The hypergeometric law is then symmetric about `columnTotal/2`,
    /// so "tables no more likely than this one" are the two tails beyond `min(x, n − x)`.
    static func fisherTwoSidedSymmetric(firstCell x: Int, columnTotal n: Int, rowTotal m: Int) -> Double {
        if n == 0 || n == 2 * m { return 1 }
        let lower = min(x, n - x)
        // SciPy answers exactly 1 when the table is at the mode, int((n + 1)/2) here.
        let mode = (n + 1) / 2
        if lower == mode || n - lower == mode { return 1 }
        let support = max(0, n - m)
        var pmf = exp(logChoose(m, lower) + logChoose(m, n - lower) - logChoose(2 * m, n))
        var cdf = 0.0
        var k = lower
        while true {
            cdf += pmf
            if k == support || pmf <= cdf * 1e-18 { break }
            pmf *= Double(k) * Double(m - n + k) / (Double(m - k + 1) * Double(n - k + 1))
            k -= 1
        }
        return min(1, 2 * cdf)
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
    }
}
