import Foundation

/// Sums and moments as NumPy computes them, so degenerate inputs (a constant column whose mean is not
/// exactly representable) round the same way and give SciPy's answer, not a near miss.
enum NumPySums {
    /// NumPy's pairwise summation of float64 (`np.sum` on a contiguous array): blocks of 8 partial sums
    /// up to 128 values, halves above that.
    static func pairwiseSum(_ values: UnsafeBufferPointer<Double>) -> Double {
        let n = values.count
        if n < 8 {
            var result = -0.0
            for value in values { result += value }
            return result
        }
        if n <= 128 {
            var r0 = values[0], r1 = values[1], r2 = values[2], r3 = values[3]
            var r4 = values[4], r5 = values[5], r6 = values[6], r7 = values[7]
            var i = 8
            let blockEnd = n - n % 8
            while i < blockEnd {
                r0 += values[i]; r1 += values[i + 1]; r2 += values[i + 2]; r3 += values[i + 3]
                r4 += values[i + 4]; r5 += values[i + 5]; r6 += values[i + 6]; r7 += values[i + 7]
                i += 8
            }
            var result = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < n { result += values[i]; i += 1 }
            return result
        }
        var half = n / 2
        half -= half % 8
        return pairwiseSum(UnsafeBufferPointer(rebasing: values[0..<half]))
            + pairwiseSum(UnsafeBufferPointer(rebasing: values[half...]))
    }

    static func sum(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { pairwiseSum($0) }
    }

    static func mean(_ values: [Double]) -> Double {
        sum(values) / Double(values.count)
    }

    /// The mean of squared deviations from the mean (NumPy's two-pass `np.var`, ddof 0).
    static func centralSecondMoment(_ values: [Double]) -> Double {
        let center = mean(values)
        let squares = values.map { ($0 - center) * ($0 - center) }
        return sum(squares) / Double(values.count)
    }
}
