import Foundation

/// SciPy's `ttest_ind(a, b)`: pooled (equal) variances, two-sided.
enum StudentTTest {
    /// Returns NaN statistic and p-value where SciPy does: both samples constant and equal (0/0), or a
    /// single value on each side (no degrees of freedom).
    static func independent(_ a: [Double], _ b: [Double]) -> (statistic: Double, pValue: Double) {
        let n1 = Double(a.count), n2 = Double(b.count)
        let mean1 = NumPySums.mean(a), mean2 = NumPySums.mean(b)
        // SciPy scales the population variance by n/(n-1) and replaces a single value's variance by 0.
        let variance1 = a.count == 1 ? 0 : NumPySums.centralSecondMoment(a) * (n1 / (n1 - 1))
        let variance2 = b.count == 1 ? 0 : NumPySums.centralSecondMoment(b) * (n2 / (n2 - 1))
        let df = n1 + n2 - 2.0
        let pooled = ((n1 - 1) * variance1 + (n2 - 1) * variance2) / df
        let standardError = (pooled * (1.0 / n1 + 1.0 / n2)).squareRoot()
        let t = (mean1 - mean2) / standardError
        let p = 2 * NumericalDistributions.studentTSF(abs(t), df: df)
        return (t, p)
    }
}
