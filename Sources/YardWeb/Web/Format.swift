import Foundation

/// How values read on the pages: times in UTC with the date, durations in the largest sensible units,
/// metric values with enough digits to tell runs apart.
public enum Format {
    /// `2026-12-03 21:50:01` (UTC) from epoch milliseconds; "–" when absent.
    public static func timestamp(_ millis: Int64?) -> String {
        guard let millis else { return "–" }
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// `3 min ago`, `2 d ago` relative to `now` (epoch milliseconds).
    public static func ago(_ millis: Int64?, now: Int64) -> String {
        guard let millis else { return "never" }
        // Times come from clients and may be any Int64: an overflowing difference is shown as "long ago".
        let (difference, overflow) = now.subtractingReportingOverflow(millis)
        let seconds = overflow ? Int64.max / 1000 : max(0, difference / 1000)
        if seconds < 60 { return "\(seconds) s ago" }
        if seconds < 3600 { return "\(seconds / 60) min ago" }
        if seconds < 86_400 { return "\(seconds / 3600) h ago" }
        return "\(seconds / 86_400) d ago"
    }

    /// `1.2 s`, `3 min 4 s`, `2 h 5 min`; "–" without both ends.
    public static func duration(start: Int64?, end: Int64?) -> String {
        guard let millis = elapsed(from: start, to: end) else { return "–" }
        return duration(millis: millis)
    }

    /// `end - start` when both are known, ordered, and their difference fits (clients may send any Int64).
    public static func elapsed(from start: Int64?, to end: Int64?) -> Int64? {
        guard let start, let end, end >= start else { return nil }
        let (difference, overflow) = end.subtractingReportingOverflow(start)
        return overflow ? nil : difference
    }

    public static func duration(millis: Int64) -> String {
        if millis < 1000 { return "\(millis) ms" }
        if millis < 60_000 { return String(format: "%.1f s", Double(millis) / 1000) }
        let seconds = millis / 1000
        if seconds < 3600 { return "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds / 3600) h \((seconds % 3600) / 60) min"
    }

    /// A metric value: integers as integers, others with up to 6 significant digits; NaN and infinities spelled out.
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "∞" : "−∞" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let magnitude = abs(value)
        if magnitude >= 1e-4, magnitude < 1e15 {
            var text = String(format: "%.6g", value)
            if text.contains("e") { text = String(format: "%.6f", value) }
            return text
        }
        return String(format: "%.4e", value)
    }

    /// `1.5 KiB`, `2.0 GiB`.
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    public static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
