import Foundation

/// A numeric sample as its distinct values in ascending order with running counts, so histogram
/// counts are two binary searches per edge whatever the sample size.
struct ValueRuns {
    let values: [Double]
    /// `cumulative[i]`: how many observations are ≤ `values[i]`.
    let cumulative: [Int]
    /// Whether pandas would hold the column as int64 (see `init`), which changes numpy's bin width.
    let integerTyped: Bool

    var total: Int { cumulative.last ?? 0 }
    var distinctCount: Int { values.count }

    /// Throws when a categorical sample has text: numeric binning needs numbers.
    init(_ sample: ColumnSample, side: String) throws(DriftError) {
        var values: [Double] = []
        var cumulative: [Int] = []
        switch sample.values {
        case .numbers(let sorted):
            var index = 0
            while index < sorted.count {
                var end = index + 1
                while end < sorted.count, sorted[end] == sorted[index] { end += 1 }
                values.append(sorted[index])
                cumulative.append(end)
                index = end
            }
        case .counts(let counts):
            var pairs: [(Double, Int)] = []
            pairs.reserveCapacity(counts.count)
            for (category, count) in counts {
                guard case .number(let value) = category, value.isFinite else {
                    throw DriftError("The \(side) data has the non-numeric value '\(category)' in a column tested as numerical: map the column as categorical or pick a categorical test.")
                }
                pairs.append((value, count))
            }
            pairs.sort { $0.0 < $1.0 }
            var running = 0
            for (value, count) in pairs {
                running += count
                values.append(value)
                cumulative.append(running)
            }
        }
        self.values = values
        self.cumulative = cumulative
        // pandas reads a column of whole numbers with no missing cell as int64; an empty, NaN or inf
        // cell makes it float64. The samples do not carry the dtype, so this is the best reading of it.
        self.integerTyped = sample.missing == 0
            && values.allSatisfy { $0 == $0.rounded() && abs($0) < 9.007_199_254_740_992e15 }
    }

    /// Observations < `edge` (or ≤ it with `inclusive`), like `searchsorted` left/right.
    func count(below edge: Double, inclusive: Bool = false) -> Int {
        var low = 0, high = values.count
        while low < high {
            let mid = (low + high) / 2
            if inclusive ? values[mid] <= edge : values[mid] < edge { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : cumulative[low - 1]
    }

    /// `numpy.histogram(sample, edges)[0]`: half-open bins, the last one closed on the right.
    func histogram(edges: [Double]) -> [Int] {
        var below = edges.dropLast().map { count(below: $0) }
        below.append(count(below: edges[edges.count - 1], inclusive: true))
        return zip(below.dropFirst(), below).map { $0 - $1 }
    }
}

/// Evidently's `get_binned_data` and the numpy arithmetic it relies on.
enum Binning {
    /// `numpy.histogram_bin_edges(data, bins="sturges")` for data with the given extremes and size.
    /// `integerTyped` mirrors numpy widening a bin narrower than 1 to 1 for integer arrays.
    static func sturgesEdges(minimum: Double, maximum: Double, size: Int,
                             integerTyped: Bool) throws(DriftError) -> [Double] {
        guard (maximum - minimum).isFinite else {
            throw DriftError("The values span more than a double can hold (\(minimum) to \(maximum)), so they cannot be split into equal-width bins; choose a test that does not bin (e.g. ks or wasserstein).")
        }
        var first = minimum, last = maximum
        if first == last {
            first -= 0.5
            last += 0.5
        }
        var width = (maximum - minimum) / (log2(Double(size)) + 1)
        var binCount = 1
        if width != 0 {
            if integerTyped && width < 1 { width = 1 }
            let bins = ((last - first) / width).rounded(.up)
            guard bins.isFinite, bins >= 1, bins <= 1_000_000 else {
                throw DriftError("The values (\(first) to \(last)) cannot be split into Sturges bins of width \(width).")
            }
            binCount = Int(bins)
        }
        let edges = linspace(first, last, count: binCount + 1)
        for index in 1..<edges.count where edges[index - 1] >= edges[index] {
            throw DriftError("The values span too narrow a range (\(first) to \(last)) to split into \(binCount) bins of distinct width.")
        }
        return edges
    }

    /// `numpy.linspace(start, stop, count)` with its exact arithmetic: i·step + start, stop itself last.
    static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        let divisions = Double(count - 1)
        let delta = stop - start
        let step = delta / divisions
        var edges = (0..<count).map { index in
            step == 0 ? Double(index) / divisions * delta + start : Double(index) * step + start
        }
        edges[count - 1] = stop
        return edges
    }

    /// Evidently's `get_binned_data`: the share of each sample in each bin. Numerical columns whose
    /// reference has more than 20 distinct values get Sturges bins over both samples together; anything
    /// else one bin per distinct value of either sample. With `fillZeroes` (psi, kl_div) an empty bin gets
    /// 0.0001, or a millionth of the side's smallest share when that share is ≤ 0.0001.
    static func evidentlyShares(reference: ColumnSample, current: ColumnSample, kind: ColumnKind,
                                fillZeroes: Bool) throws(DriftError) -> (reference: [Double], current: [Double]) {
        var referenceShares: [Double]
        var currentShares: [Double]
        let referenceRuns = kind == .numerical ? try ValueRuns(reference, side: "reference") : nil
        if let referenceRuns, referenceRuns.distinctCount > 20 {
            let currentRuns = try ValueRuns(current, side: "current")
            let edges = try sturgesEdges(
                minimum: min(referenceRuns.values[0], currentRuns.values[0]),
                maximum: max(referenceRuns.values[referenceRuns.values.count - 1], currentRuns.values[currentRuns.values.count - 1]),
                size: referenceRuns.total + currentRuns.total,
                integerTyped: referenceRuns.integerTyped && currentRuns.integerTyped)
            let referenceSize = Double(reference.count), currentSize = Double(current.count)
            referenceShares = referenceRuns.histogram(edges: edges).map { Double($0) / referenceSize }
            currentShares = currentRuns.histogram(edges: edges).map { Double($0) / currentSize }
        } else {
            let table = CategoryTable(reference: reference, current: current)
            let referenceSize = Double(reference.count), currentSize = Double(current.count)
            referenceShares = table.reference.map { Double($0) / referenceSize }
            currentShares = table.current.map { Double($0) / currentSize }
        }
        if fillZeroes {
            fillEmptyBins(&referenceShares)
            fillEmptyBins(&currentShares)
        }
        return (referenceShares, currentShares)
    }

    static func fillEmptyBins(_ shares: inout [Double]) {
        guard let smallest = shares.filter({ $0 != 0 }).min() else { return }
        let fill = smallest <= 0.0001 ? smallest / 1_000_000 : 0.0001
        for index in shares.indices where shares[index] == 0 { shares[index] = fill }
    }
}

/// Counts of both samples over the union of their categories, in category order.
struct CategoryTable {
    let categories: [CategoryValue]
    let reference: [Int]
    let current: [Int]

    init(reference referenceSample: ColumnSample, current currentSample: ColumnSample) {
        let referenceCounts = referenceSample.categoryCounts()
        let currentCounts = currentSample.categoryCounts()
        categories = Set(referenceCounts.keys).union(currentCounts.keys).sorted()
        reference = categories.map { referenceCounts[$0] ?? 0 }
        current = categories.map { currentCounts[$0] ?? 0 }
    }
}
