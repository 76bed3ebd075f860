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
        // Halves keep the span finite when the domain reaches both ends of the Double range.
        let t = (value / 2 - domain.lower / 2) / (domain.upper / 2 - domain.lower / 2)
        return range.lower + t * (range.upper - range.lower)
    }

    /// About `count` tick values inside the domain.
    public func ticks(_ count: Int = 5) -> [Double] {
        let span = domain.upper - domain.lower
        guard span > 0, span.isFinite, count > 0 else { return [domain.lower] }
        let step = Self.niceStep(span / Double(count))
        var ticks: [Double] = []
        var value = (domain.lower / step).rounded(.up) * step
        while value <= domain.upper + step * 1e-9, ticks.count < 50 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }

    /// The distance between ticks `ticks(count)` uses: the first of 1, 2, 5, 10 × 10ⁿ at least `rough`.
    public static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, floor(log10(rough)))
        return [1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= rough * (1 - 1e-12) } ?? 10 * power
    }

    /// Pixel coordinates with two decimals: enough for any screen, and keeps the SVG small.
    public static func pixel(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        // Far outside any plot (a value beyond a clamped domain): pinned, so the text stays short and Int() safe.
        let rounded = (min(max(value, -1e7), 1e7) * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(rounded)
    }
}

/// A logarithmic (base 10) mapping for positive values; ticks at powers of ten, with 2× and 5× between
/// them when the domain spans few decades.
public struct LogScale: Sendable {
    /// In log10 units.
    public let exponents: (lower: Double, upper: Double)
    public let range: (lower: Double, upper: Double)

    /// `lower` and `upper` must be positive; a single value is widened to half a decade either side.
    public init(domain lower: Double, _ upper: Double, range start: Double, _ end: Double) {
        var low = log10(lower > 0 && lower.isFinite ? lower : 1)
        var high = log10(upper > 0 && upper.isFinite ? upper : 10)
        if high < low { swap(&low, &high) }
        if high - low < 1e-12 {
            low -= 0.5
            high += 0.5
        }
        exponents = (low, high)
        range = (start, end)
    }

    public var domain: (lower: Double, upper: Double) { (pow(10, exponents.lower), pow(10, exponents.upper)) }

    public func callAsFunction(_ value: Double) -> Double {
        let t = (log10(value) - exponents.lower) / (exponents.upper - exponents.lower)
        return range.lower + t * (range.upper - range.lower)
    }

    public func ticks(_ count: Int = 5) -> [Double] {
        let first = Int(floor(exponents.lower)), last = Int(ceil(exponents.upper))
        let decades = last - first
        let multipliers: [Double] = decades <= 1 ? [1, 2, 5] : decades <= 3 ? [1, 3] : [1]
        let every = max(1, decades / max(count, 1))
        var ticks: [Double] = []
        for exponent in stride(from: first, through: last, by: every) {
            for multiplier in multipliers {
                let value = multiplier * pow(10, Double(exponent))
                let position = log10(value)
                if position >= exponents.lower - 1e-9, position <= exponents.upper + 1e-9 { ticks.append(value) }
            }
        }
        // A domain inside one decade, between two of the values above: fall back to linear steps.
        if ticks.count < 2 {
            return LinearScale(domain: domain.lower, domain.upper, range: range.lower, range.upper).ticks(count)
        }
        return ticks
    }
}

/// Tick values for a time axis (epoch or elapsed milliseconds) at steps a reader counts in: 1, 2, 5, 10,
/// 15, 30 seconds, minutes, hours, days. Multiples of the step from the epoch, so day ticks fall on UTC
/// midnight and hour ticks on the hour.
public enum TimeTicks {
    static let second = 1000.0, minute = 60_000.0, hour = 3_600_000.0, day = 86_400_000.0
    static let steps: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500].map { $0 } + [1, 2, 5, 10, 15, 30].map { $0 * second }
        + [1, 2, 5, 10, 15, 30].map { $0 * minute } + [1, 2, 3, 6, 12].map { $0 * hour } + [1, 2, 7, 14, 30, 60, 91, 182, 365].map { $0 * day }

    /// The step between ticks for about `count` ticks over `span` milliseconds.
    public static func step(span: Double, count: Int) -> Double {
        let rough = span / Double(max(count, 1))
        if let step = steps.first(where: { $0 >= rough }) { return step }
        return LinearScale.niceStep(rough / (365 * day)) * 365 * day
    }

    public static func ticks(lower: Double, upper: Double, count: Int = 5) -> (values: [Double], step: Double) {
        guard upper > lower, (upper - lower).isFinite else { return ([lower], second) }
        let step = step(span: upper - lower, count: count)
        var values: [Double] = []
        var value = (lower / step).rounded(.up) * step
        while value <= upper + 1e-6, values.count < 50 {
            values.append(value)
            value += step
        }
        return (values, step)
    }
}
