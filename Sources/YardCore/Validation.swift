import Foundation

/// MLflow's server-side validation rules. They live in the core so every store and API enforces the
/// same limits, and the messages match what the MLflow client and its users expect to read.
public enum Validation {
    public static let maxEntityKeyLength = 250
    public static let maxParamValueLength = 6000
    public static let maxTagValueLength = 8000
    public static let maxExperimentNameLength = 500
    public static let maxExperimentTagValueLength = 20000
    public static let maxBatchMetrics = 1000
    public static let maxBatchParams = 100
    public static let maxBatchTags = 100
    public static let maxBatchTotal = 1000
    public static let maxRunSearchResults = 50000
    public static let maxExperimentSearchResults = 50000
    public static let maxRegisteredModelSearchResults = 1000
    public static let maxModelVersionSearchResults = 200_000
    public static let maxLoggedModelSearchResults = 1000
    /// One page of `metrics/get-history`: what the MLflow client asks for (`GET_METRIC_HISTORY_MAX_RESULTS`),
    /// used when a request gives no `max_results`, and the most a request may ask for.
    public static let maxMetricHistoryResults = 25000
    /// The most runs the compare page (and `metricSeries`) reads at once.
    public static let maxCompareRuns = 500
    /// The largest offset a page token may carry. Far beyond any real result set, and small enough that
    /// `offset + page size` can never overflow.
    public static let maxPageOffset = 1 << 53
    /// A search filter holds at most this many comparisons joined by AND (each becomes one SQL condition,
    /// and SQLite refuses expressions nested 1,000 deep).
    public static let maxFilterClauses = 100
    /// Values in one IN / NOT IN list, and in all of a filter's lists together (each is one bound SQL
    /// variable; SQLite allows 32,766 per statement).
    public static let maxFilterListValues = 10000
    /// The SQL store clamps infinities so they survive a REAL column round-trip.
    public static let largestFiniteDouble = 1.7976931348623157e308

    /// Validates a metric, param or tag key; `kind` names it in the message ("Metric name", "Param key", "key").
    public static func validateKey(_ key: String, kind: String = "key") throws(YardError) {
        if key.isEmpty {
            throw .missingParameter("key")
        }
        if key.count > maxEntityKeyLength {
            throw .invalid("'\(kind)' exceeds the maximum length of \(maxEntityKeyLength) characters")
        }
        for scalar in key.unicodeScalars where !isAllowedKeyScalar(scalar) {
            throw .invalid("Invalid value \"\(key)\" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).")
        }
        let normalized = normalizedPath(key)
        if normalized != key || normalized == "." || normalized.hasPrefix("..") || normalized.hasPrefix("/") {
            throw .invalid("Invalid value \"\(key)\" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '\(normalized)'")
        }
    }

    private static func isAllowedKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "_", "-", ".", " ", ":", "/": return true
        default: return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
        }
    }

    /// POSIX-style normalisation as Python's `posixpath.normpath`, so keys like `a/../b` are caught.
    public static func normalizedPath(_ path: String) -> String {
        if path.isEmpty { return "." }
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !absolute {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        var result = parts.joined(separator: "/")
        if absolute {
            // POSIX keeps exactly two leading slashes, but MLflow keys never start with one anyway.
            result = (path.hasPrefix("//") && !path.hasPrefix("///") ? "//" : "/") + result
        }
        return result.isEmpty ? "." : result
    }

    public static func validateExperimentName(_ name: String?) throws(YardError) -> String {
        guard let name, !name.isEmpty else { throw .missingParameter("name") }
        if name.count > maxExperimentNameLength {
            throw .invalid("Experiment name exceeds the maximum length of \(maxExperimentNameLength) characters")
        }
        return name
    }

    public static func clampedMetricValue(_ value: Double) -> Double {
        if value == .infinity { return largestFiniteDouble }
        if value == -.infinity { return -largestFiniteDouble }
        return value
    }

    public static func truncated(_ value: String, to limit: Int) -> String {
        value.count > limit ? String(value.prefix(limit)) : value
    }

    public static func validateBatchSize(metrics: Int, params: Int, tags: Int) throws(YardError) {
        if metrics > maxBatchMetrics {
            throw .invalid("A batch logging request can contain at most \(maxBatchMetrics) metrics. Got \(metrics) metrics. Please split up metrics across multiple requests and try again.")
        }
        if params > maxBatchParams {
            throw .invalid("A batch logging request can contain at most \(maxBatchParams) params. Got \(params) params. Please split up params across multiple requests and try again.")
        }
        if tags > maxBatchTags {
            throw .invalid("A batch logging request can contain at most \(maxBatchTags) tags. Got \(tags) tags. Please split up tags across multiple requests and try again.")
        }
        let total = metrics + params + tags
        if total > maxBatchTotal {
            throw .invalid("A batch logging request can contain at most \(maxBatchTotal) metrics, params, and tags. Got \(total) metrics, params, and tags. Please split up metrics, params, and tags across multiple requests and try again.")
        }
    }

    /// `max_results` of `metrics/get-history`: absent means one default page (the rest follows by
    /// `next_page_token`); zero, negative or above the page limit is refused before any arithmetic.
    public static func validateMetricHistoryMaxResults(_ value: Int64?) throws(YardError) -> Int {
        guard let value else { return maxMetricHistoryResults }
        if value <= 0 {
            throw .invalid("Invalid value \(value) for parameter 'max_results' supplied. It must be a positive integer.")
        }
        if value > Int64(maxMetricHistoryResults) {
            throw .invalid("Invalid value \(value) for parameter 'max_results' supplied. It must be a positive integer at most \(maxMetricHistoryResults); follow next_page_token for more.")
        }
        return Int(value)
    }

    /// The offset behind a page token, refused (400) when it does not decode or is out of range. The
    /// number is range-checked as a Double before Foundation converts it to an integer.
    public static func pageOffset(_ token: String?) throws(YardError) -> Int {
        // `decodeOffset` refuses anything outside 0...maxPageOffset.
        try PageToken.decodeOffset(token)
    }

    public static func validateMaxResults(_ value: Int64?, limit: Int, default defaultValue: Int) throws(YardError) -> Int {
        guard let value else { return defaultValue }
        if value <= 0 || value > Int64(limit) {
            throw .invalid("Invalid value \(value) for parameter 'max_results' supplied. It must be a positive integer at most \(limit).")
        }
        return Int(value)
    }
}
