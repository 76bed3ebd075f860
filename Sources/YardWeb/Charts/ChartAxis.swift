import Foundation

/// What the x values of a chart are, which decides its ticks and how the tooltip reads them.
public enum ChartXKind: String, Sendable {
    /// Training steps (or any plain number).
    case number
    /// Epoch milliseconds, shown as UTC clock times.
    case wallTime = "wall"
    /// Milliseconds since the run started, shown as durations.
    case elapsed
}

/// Tick labels: short, and precise enough that neighbouring ticks never read the same.
enum ChartAxis {
    /// A number on an axis whose ticks are `step` apart: `0.25`, `1200`, `3e-5`, `2.5e+06`.
    static func numberLabel(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-4 { return trimmedExponent(String(format: "%.3g", value)) }
        let decimals = step > 0 && step.isFinite ? max(0, min(8, Int(-floor(log10(step) + 1e-9)))) : 2
        return String(format: "%.\(decimals)f", value)
    }

    /// A log axis tick: `0.001`, `1`, `1000`, and exponents beyond those.
    static func logLabel(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 { return trimmedExponent(String(format: "%.0e", value)) }
        return Format.number(value)
    }

    /// `2026-12-03`, `12-03 14:00`, `14:05`, `14:05:30` or `14:05:30.250` depending on the tick step and span.
    static func wallLabel(_ millis: Double, step: Double, span: Double) -> String {
        guard abs(millis) < 9e18 else { return "" }
        var seconds = time_t((millis / 1000).rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let month = Int(parts.tm_mon) + 1, dayOfMonth = Int(parts.tm_mday), hour = Int(parts.tm_hour), minute = Int(parts.tm_min)
        if step >= TimeTicks.day {
            return String(format: "%04d-%02d-%02d", Int(parts.tm_year) + 1900, month, dayOfMonth)
        }
        if step >= TimeTicks.minute {
            let clock = String(format: "%02d:%02d", hour, minute)
            return span > TimeTicks.day ? String(format: "%02d-%02d ", month, dayOfMonth) + clock : clock
        }
        let clock = String(format: "%02d:%02d:%02d", hour, minute, Int(parts.tm_sec))
        if step >= TimeTicks.second { return clock }
        return clock + String(format: ".%03d", Int(millis.truncatingRemainder(dividingBy: 1000)))
    }

    /// `0`, `250 ms`, `30 s`, `5 min`, `1.5 h`, `2 d` for elapsed milliseconds, in the unit of the step.
    static func elapsedLabel(_ millis: Double, step: Double) -> String {
        if millis == 0 { return "0" }
        let (unit, name): (Double, String) = switch step {
        case TimeTicks.day...: (TimeTicks.day, "d")
        case TimeTicks.hour...: (TimeTicks.hour, "h")
        case TimeTicks.minute...: (TimeTicks.minute, "min")
        case TimeTicks.second...: (TimeTicks.second, "s")
        default: (1, "ms")
        }
        let value = millis / unit
        let text = value == value.rounded() && abs(value) < 9e18 ? String(Int64(value)) : String(format: "%.2f", value)
            .replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
        return text + " " + name
    }

    /// `1e-05` → `1e-5`, `2.5e+06` → `2.5e6`.
    static func trimmedExponent(_ text: String) -> String {
        text.replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e")
            .replacingOccurrences(of: "e-0", with: "e-")
    }

    /// A data value for the hover lists: the shortest text that reads back as the same 32-bit float (about 7
    /// significant digits, what a tooltip needs), or the full double beyond float range. Keeps the embedded
    /// lists small.
    static func compact(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let magnitude = abs(value)
        if magnitude > 1e-30, magnitude < 1e30 { return Float(value).description }
        return value.description
    }
}
