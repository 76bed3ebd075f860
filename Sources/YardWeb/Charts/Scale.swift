import Foundation

/// Maps a data interval onto a pixel interval, with "nice" tick values (1, 2, 5 × 10ⁿ) for the axis.
public struct LinearScale: Sendable {
    public var domain: (lower: Double, upper: Double)
    public var range: (lower: Double, upper: Double)

    /// A degenerate or empty domain is widened so that a constant series still draws as a line in the middle.
    public init(domain lower: Double, _ upper: Double, range start: Double, _ end: Double) {
        var low = lower.isFinite ? lower : 0
        var high = upper.isFinite ? upper : 1
        if high < low { swap(&low, &high) }
        if high == low {
            let pad = low == 0 ? 1 : abs(low) * 0.05
            low -= pad
            high += pad
        }
        domain = (low, high)
        range = (start, end)
    }

    public func callAsFunction(_ value: Double) -> Double {
        let t = (value - domain.lower) / (domain.upper - domain.lower)
        return range.lower + t * (range.upper - range.lower)
    }

    /// About `count` tick values inside the domain.
    public func ticks(_ count: Int = 5) -> [Double] {
        let span = domain.upper - domain.lower
        guard span > 0, span.isFinite, count > 0 else { return [domain.lower] }
        let rough = span / Double(count)
        let power = pow(10, floor(log10(rough)))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= rough } ?? 10 * power
        var ticks: [Double] = []
        var value = (domain.lower / step).rounded(.up) * step
        while value <= domain.upper + step * 1e-9, ticks.count < 50 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }

    /// Pixel coordinates with two decimals: enough for any screen, and keeps the SVG small.
    public static func pixel(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(rounded)
    }
}
