/// The distributions the reports draw: numerical columns in 10 equal-width bins over both samples
/// (numpy's `histogram` edges, as Evidently's plots use `nbinsx=10`), categorical ones as the 20 most
/// frequent categories over both sides plus "other".
public enum ColumnHistograms {
    public static let numericBins = 10
    public static let topCategories = 20

    public static func histogram(reference: LoadedColumn, current: LoadedColumn, kind: ColumnKind) -> ColumnHistogram? {
        if kind == .numerical, let a = reference.sample.numbers, let b = current.sample.numbers {
            return numeric(a, b)
        }
        let boolean = reference.valueType == .boolean || current.valueType == .boolean
        return categorical(reference.sample.categoryCounts(), current.sample.categoryCounts(), boolean: boolean)
    }

    static func numeric(_ reference: [Double], _ current: [Double]) -> ColumnHistogram? {
        guard let lowest = [reference.first, current.first].compactMap({ $0 }).min(),
              let highest = [reference.last, current.last].compactMap({ $0 }).max() else { return nil }
        var low = lowest, high = highest
        // Half-unit padding vanishes for huge values (1e17 ± 0.5 == 1e17): widen relative to the value too.
        if low == high { let pad = max(0.5, abs(low) * 1e-9); low -= pad; high += pad }
        // A span beyond the largest double (−1e308 … 1e308) has no equal-width bins to draw.
        guard (high - low).isFinite, high > low else { return nil }
        let width = (high - low) / Double(numericBins)
        let edges = (0...numericBins).map { $0 == numericBins ? high : low + Double($0) * width }
        func shares(_ sorted: [Double]) -> [Double] {
            var counts = [Int](repeating: 0, count: numericBins)
            for value in sorted {
                let position = (value - low) / (high - low) * Double(numericBins)
                var bin = position.isNaN ? 0 : Int(min(max(position, 0), Double(numericBins - 1)))
                // Rounding can put a value on the wrong side of an edge; the edges decide, as numpy's do.
                while bin > 0, value < edges[bin] { bin -= 1 }
                while bin < numericBins - 1, value >= edges[bin + 1] { bin += 1 }
                counts[bin] += 1
            }
            let total = Double(max(sorted.count, 1))
            return counts.map { Double($0) / total }
        }
        return ColumnHistogram(bins: .numeric(edges: edges), reference: shares(reference), current: shares(current))
    }

    static func categorical(_ reference: [CategoryValue: Int], _ current: [CategoryValue: Int], boolean: Bool) -> ColumnHistogram {
        var totals = reference
        for (value, count) in current { totals[value, default: 0] += count }
        let ordered = totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        let shown = Array(ordered.prefix(topCategories))
        let hasOther = ordered.count > shown.count
        func shares(_ counts: [CategoryValue: Int]) -> [Double] {
            let total = Double(max(counts.values.reduce(0, +), 1))
            var values = shown.map { Double(counts[$0] ?? 0) / total }
            if hasOther {
                let shownSet = Set(shown)
                values.append(Double(counts.filter { !shownSet.contains($0.key) }.values.reduce(0, +)) / total)
            }
            return values
        }
        var labels = shown.map { label($0, boolean: boolean) }
        if hasOther { labels.append("other") }
        return ColumnHistogram(bins: .categories(labels), reference: shares(reference), current: shares(current))
    }

    private static func label(_ value: CategoryValue, boolean: Bool) -> String {
        if boolean, case .number(let number) = value { return number == 0 ? "False" : number == 1 ? "True" : value.description }
        return value.description
    }
}
