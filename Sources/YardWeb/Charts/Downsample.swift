/// Reducing a long series to what a chart can show, and smoothing it, without losing its shape.
public enum Downsample {
    /// Largest-Triangle-Three-Buckets (Steinarsson, 2013): keeps the first and last point, splits the rest
    /// into `threshold - 2` buckets of consecutive points and keeps from each the point that spans the
    /// largest triangle with the point kept before it and the average of the next bucket. Peaks and dips
    /// survive (a spike makes the largest triangle of its bucket), flat stretches thin out. `xs` must be
    /// sorted. Returns the kept indices, ascending: `threshold` of them, or every index when there are no
    /// more than that (or the threshold is below 3, which leaves no buckets to choose from).
    public static func lttbIndices(xs: [Double], ys: [Double], threshold: Int) -> [Int] {
        let count = min(xs.count, ys.count)
        guard threshold >= 3, count > threshold else { return Array(0..<count) }
        var kept: [Int] = []
        kept.reserveCapacity(threshold)
        kept.append(0)
        let bucketSize = Double(count - 2) / Double(threshold - 2)
        var previous = 0
        xs.withUnsafeBufferPointer { xs in
            ys.withUnsafeBufferPointer { ys in
                for bucket in 0..<(threshold - 2) {
                    // This bucket's range, and the next one's (the last point alone after the final bucket).
                    let start = Int(Double(bucket) * bucketSize) + 1
                    let end = min(Int(Double(bucket + 1) * bucketSize) + 1, count - 1)
                    let nextStart = end
                    let nextEnd = min(Int(Double(bucket + 2) * bucketSize) + 1, count)
                    var averageX = 0.0, averageY = 0.0
                    for index in nextStart..<nextEnd {
                        averageX += xs[index]
                        averageY += ys[index]
                    }
                    let nextCount = Double(max(nextEnd - nextStart, 1))
                    averageX /= nextCount
                    averageY /= nextCount
                    let anchorX = xs[previous], anchorY = ys[previous]
                    var best = start
                    var bestArea = -1.0
                    for index in start..<max(end, start + 1) {
                        // Twice the triangle's area; the factor does not change which is largest.
                        let area = abs((anchorX - averageX) * (ys[index] - anchorY) - (anchorX - xs[index]) * (averageY - anchorY))
                        if area > bestArea {
                            bestArea = area
                            best = index
                        }
                    }
                    kept.append(best)
                    previous = best
                }
            }
        }
        kept.append(count - 1)
        return kept
    }

    /// `lttbIndices` applied to points.
    public static func lttb(_ points: [ChartPoint], threshold: Int) -> [ChartPoint] {
        guard threshold >= 3, points.count > threshold else { return points }
        let indices = lttbIndices(xs: points.map(\.x), ys: points.map(\.y), threshold: threshold)
        return indices.map { points[$0] }
    }

    /// Exponential moving average with TensorBoard's debiasing: the average starts at zero, so early
    /// values are divided by `1 - weight^n` to undo the pull towards zero (without it the first points of
    /// a loss curve would start near 0). `weight` is clamped to [0, 0.999]; 0 returns the values as they are.
    public static func smoothed(_ values: [Double], weight: Double) -> [Double] {
        let weight = min(max(weight.isFinite ? weight : 0, 0), 0.999)
        guard weight > 0 else { return values }
        var result: [Double] = []
        result.reserveCapacity(values.count)
        var average = 0.0
        var correction = 1.0
        for value in values {
            guard value.isFinite else {
                result.append(value)
                continue
            }
            average = average * weight + (1 - weight) * value
            correction *= weight
            result.append(average / (1 - correction))
        }
        return result
    }
}
