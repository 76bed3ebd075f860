import Foundation

/// SciPy's `wasserstein_distance` and `energy_distance` (its `_cdf_distance` with p = 1 and p = 2) on
/// sorted samples: one merge over the pooled values.
enum DistributionDistances {
    static func wasserstein(_ u: [Double], _ v: [Double]) -> Double {
        cdfGapIntegral(u, v) { abs($0) }
    }

    static func energy(_ u: [Double], _ v: [Double]) -> Double {
        2.0.squareRoot() * cdfGapIntegral(u, v) { $0 * $0 }.squareRoot()
    }

    /// ∫ f(U(x) − V(x)) dx over the steps between consecutive pooled values.
    private static func cdfGapIntegral(_ u: [Double], _ v: [Double], _ f: (Double) -> Double) -> Double {
        let nu = Double(u.count), nv = Double(v.count)
        var i = 0, j = 0
        var total = 0.0
        u.withUnsafeBufferPointer { u in
            v.withUnsafeBufferPointer { v in
                var previous = 0.0
                var gap = 0.0
                var started = false
                while i < u.count || j < v.count {
                    let value: Double
                    if j >= v.count || (i < u.count && u[i] <= v[j]) { value = u[i] } else { value = v[j] }
                    if started { total += f(gap) * (value - previous) }
                    while i < u.count && u[i] == value { i += 1 }
                    while j < v.count && v[j] == value { j += 1 }
                    gap = Double(i) / nu - Double(j) / nv
                    previous = value
                    started = true
                }
            }
        }
        return total
    }

    /// Evidently's normalisation for `wasserstein`: the reference's population standard deviation,
    /// at least 0.001 so a constant reference does not divide by zero.
    static func wassersteinNorm(reference: [Double]) -> Double {
        max(NumPySums.centralSecondMoment(reference).squareRoot(), 0.001)
    }
}
