import YardCore

/// How a column is treated by drift detection, as Evidently types it (see `ColumnTyping`).
public enum ColumnKind: String, Sendable, Codable, CaseIterable {
    case numerical, categorical, text, datetime
}

/// What a column is in the data: a model input, the ground truth, the model's answer, or left out.
public enum ColumnRole: String, Sendable, Codable, CaseIterable {
    case feature, target, prediction, ignored
}

/// One distinct value of a categorical column. Numbers and strings never compare equal, so an integer
/// column read as categories keeps numeric order (2 before 10) as pandas' value order would.
public enum CategoryValue: Hashable, Comparable, Sendable, CustomStringConvertible {
    case number(Double)
    case text(String)

    public static func < (lhs: CategoryValue, rhs: CategoryValue) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): return a < b
        case (.text(let a), .text(let b)): return a < b
        case (.number, .text): return true
        case (.text, .number): return false
        }
    }

    public var description: String {
        switch self {
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        case .text(let text): return text
        }
    }
}

/// The non-missing values of one column of one dataset (reference or current), in the form the tests
/// read: numbers sorted ascending (NaN and ±inf dropped, as Evidently drops them), or the count of
/// each distinct category. A numeric column is kept as numbers even when its default test is
/// categorical; `categoryCounts()` derives the counts.
public struct ColumnSample: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        /// Finite, ascending.
        case numbers([Double])
        /// Distinct value → occurrences (every count ≥ 1).
        case counts([CategoryValue: Int])
    }

    public let values: Values
    /// Values counted (missing ones excluded).
    public let count: Int
    /// Cells that were missing (empty, NaN, ±inf, null) and dropped.
    public let missing: Int

    /// Sorts `numbers` and drops the non-finite ones (counting them as missing).
    public init(numbers: [Double], missing: Int = 0) {
        var finite = numbers.filter { $0.isFinite }
        finite.sort()
        self.values = .numbers(finite)
        self.count = finite.count
        self.missing = missing + (numbers.count - finite.count)
    }

    /// `sortedNumbers` must be finite and ascending (a reader that sorted already skips the copy).
    public init(sortedNumbers: [Double], missing: Int) {
        self.values = .numbers(sortedNumbers)
        self.count = sortedNumbers.count
        self.missing = missing
    }

    public init(counts: [CategoryValue: Int], missing: Int = 0) {
        let kept = counts.filter { $0.value > 0 }
        self.values = .counts(kept)
        self.count = kept.values.reduce(0, +)
        self.missing = missing
    }

    /// The sorted numbers, or nil for a column of categories.
    public var numbers: [Double]? {
        if case .numbers(let numbers) = values { return numbers }
        return nil
    }

    /// Occurrences of each distinct value; numbers become `.number` categories.
    public func categoryCounts() -> [CategoryValue: Int] {
        switch values {
        case .counts(let counts):
            return counts
        case .numbers(let sorted):
            var counts: [CategoryValue: Int] = [:]
            var index = 0
            while index < sorted.count {
                let value = sorted[index]
                var end = index + 1
                while end < sorted.count, sorted[end] == value { end += 1 }
                counts[.number(value == 0 ? 0 : value)] = end - index
                index = end
            }
            return counts
        }
    }

    /// Distinct values of this sample and `other` together (Evidently's `n_unique` for the default test).
    public func distinctCount(union other: ColumnSample) -> Int {
        if case .numbers(let a) = values, case .numbers(let b) = other.values {
            var i = 0, j = 0, distinct = 0
            var last = Double.nan
            while i < a.count || j < b.count {
                let next: Double
                if j >= b.count || (i < a.count && a[i] <= b[j]) { next = a[i]; i += 1 } else { next = b[j]; j += 1 }
                if distinct == 0 || next != last { distinct += 1; last = next }
            }
            return distinct
        }
        return Set(categoryCounts().keys).union(other.categoryCounts().keys).count
    }
}

/// Why a drift computation could not be made; the message names the column and what to do.
public struct DriftError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
