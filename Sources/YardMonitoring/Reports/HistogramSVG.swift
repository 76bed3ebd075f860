import Foundation

/// A reference-vs-current histogram as inline SVG: paired bars per bin (shares of non-missing values),
/// a y axis in percent, bin labels, a legend, and `<title>`s for screen readers and hover.
/// Colours come from the page's CSS classes (`.ref`, `.cur`), so each chart stays a few kilobytes.
enum HistogramSVG {
    static let width = 360.0
    static let labelLength = 12

    /// `id` must be unique in the page (it links the chart to its title).
    static func render(_ histogram: ColumnHistogram, column: String, id: String) -> String {
        let binCount = min(histogram.reference.count, histogram.current.count)
        let labels = binLabels(histogram.bins, count: binCount)
        let rotated: Bool
        if case .categories = histogram.bins { rotated = true } else { rotated = false }
        let height = rotated ? 170.0 : 150.0
        let left = 40.0, right = 8.0, top = 22.0, bottom = rotated ? 62.0 : 32.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let shares = (histogram.reference.prefix(binCount) + histogram.current.prefix(binCount)).map { $0.isFinite ? max($0, 0) : 0 }
        let maxShare = max(shares.max() ?? 0, 1e-12)
        func x(_ value: Double) -> String { HTMLText.coordinate(value) }

        let name = HTMLText.escape(column)
        var svg = "<svg class=\"hist\" viewBox=\"0 0 \(x(width)) \(x(height))\" width=\"\(x(width))\" height=\"\(x(height))\" role=\"img\" aria-labelledby=\"\(id)\">"
        svg += "<title id=\"\(id)\">Distribution of \(name): reference vs current, share of values per \(rotated ? "category" : "bin")</title>"
        // Legend.
        svg += "<rect class=\"ref key\" x=\"\(x(left))\" y=\"6\" width=\"10\" height=\"10\"/><text x=\"\(x(left + 14))\" y=\"15\">reference</text>"
        svg += "<rect class=\"cur key\" x=\"\(x(left + 84))\" y=\"6\" width=\"10\" height=\"10\"/><text x=\"\(x(left + 98))\" y=\"15\">current</text>"
        // Y axis: 0 and the tallest share.
        let baseline = top + plotHeight
        svg += "<path class=\"axis\" d=\"M\(x(left)) \(x(top))V\(x(baseline))H\(x(left + plotWidth))\"/>"
        svg += "<text class=\"y\" x=\"\(x(left - 4))\" y=\"\(x(top + 4))\">\(HTMLText.percent(maxShare))</text>"
        svg += "<text class=\"y\" x=\"\(x(left - 4))\" y=\"\(x(baseline + 4))\">0%</text>"

        guard binCount > 0 else { return svg + "<text x=\"\(x(left + 8))\" y=\"\(x(top + 20))\">no values</text></svg>" }
        let binWidth = plotWidth / Double(binCount)
        let barWidth = binWidth * 0.4
        for bin in 0..<binCount {
            let reference = clean(histogram.reference[bin]), current = clean(histogram.current[bin])
            let start = left + Double(bin) * binWidth + binWidth * 0.1
            let referenceHeight = plotHeight * reference / maxShare, currentHeight = plotHeight * current / maxShare
            svg += "<g><title>\(HTMLText.escape(labels.full[bin])): reference \(HTMLText.percent(reference)), current \(HTMLText.percent(current))</title>"
            svg += "<rect class=\"ref\" x=\"\(x(start))\" y=\"\(x(baseline - referenceHeight))\" width=\"\(x(barWidth))\" height=\"\(x(referenceHeight))\"/>"
            svg += "<rect class=\"cur\" x=\"\(x(start + barWidth))\" y=\"\(x(baseline - currentHeight))\" width=\"\(x(barWidth))\" height=\"\(x(currentHeight))\"/></g>"
        }
        // X axis labels.
        switch histogram.bins {
        case .numeric(let edges) where edges.count >= 2:
            let first = edges[0], last = edges[edges.count - 1]
            svg += "<text class=\"xs\" x=\"\(x(left))\" y=\"\(x(baseline + 14))\">\(HTMLText.axisNumber(first))</text>"
            svg += "<text class=\"xm\" x=\"\(x(left + plotWidth / 2))\" y=\"\(x(baseline + 14))\">\(HTMLText.axisNumber((first + last) / 2))</text>"
            svg += "<text class=\"xe\" x=\"\(x(left + plotWidth))\" y=\"\(x(baseline + 14))\">\(HTMLText.axisNumber(last))</text>"
        case .categories:
            // Every label when they fit; otherwise every n-th (each bar's title still names its category).
            let step = max(1, Int((Double(binCount) / 18).rounded(.up)))
            for bin in stride(from: 0, to: binCount, by: step) {
                let centre = left + (Double(bin) + 0.5) * binWidth
                let y = baseline + 10
                svg += "<text class=\"cat\" x=\"\(x(centre))\" y=\"\(x(y))\" transform=\"rotate(-35 \(x(centre)) \(x(y)))\">\(HTMLText.escape(labels.short[bin]))</text>"
            }
        default:
            break
        }
        return svg + "</svg>"
    }

    static func clean(_ share: Double) -> Double { share.isFinite ? max(share, 0) : 0 }

    /// Full labels for titles, short ones for the axis.
    static func binLabels(_ bins: ColumnHistogram.Bins, count: Int) -> (full: [String], short: [String]) {
        switch bins {
        case .numeric(let edges):
            let full = (0..<count).map { bin -> String in
                guard bin + 1 < edges.count else { return "bin \(bin + 1)" }
                let closing = bin + 2 == edges.count ? "]" : ")"
                return "[\(HTMLText.axisNumber(edges[bin])), \(HTMLText.axisNumber(edges[bin + 1]))\(closing)"
            }
            return (full, full)
        case .categories(let names):
            let full = (0..<count).map { $0 < names.count ? names[$0] : "?" }
            let short = full.map { $0.count > labelLength ? String($0.prefix(labelLength - 1)) + "…" : $0 }
            return (full, short)
        }
    }
}
