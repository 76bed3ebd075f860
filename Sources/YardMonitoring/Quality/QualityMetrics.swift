import Foundation

/// Metric name → value in a fixed order, where a value that cannot be computed is nil and the reason is
/// in `notes`. Figures follow scikit-learn 1.9.1's definitions (see each `compute`).
public struct QualityMetrics: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var value: Double?
        public init(name: String, value: Double?) {
            self.name = name
            self.value = value
        }
    }

    public var entries: [Entry]
    /// Why a value is nil, or how it was obtained when a choice was made (positive label, zero division).
    public var notes: [String]

    public init(entries: [Entry] = [], notes: [String] = []) {
        self.entries = entries
        self.notes = notes
    }

    public subscript(name: String) -> Double? {
        entries.first { $0.name == name }?.value ?? nil
    }

    /// Names whose value exists (for rule evaluation and Prometheus gauges).
    public var available: [(String, Double)] {
        entries.compactMap { entry in entry.value.map { (entry.name, $0) } }
    }

    mutating func set(_ name: String, _ value: Double?, note: String? = nil) {
        entries.append(Entry(name: name, value: value))
        if let note { notes.append(note) }
    }
}

/// Input the metrics cannot use at all (mismatched lengths, no rows, a probability outside [0, 1]);
/// the message names the argument or column and what to do.
public struct QualityError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Labels compare as text, but "1", "1.0" and 1 are one class: integral numbers lose their ".0" and
/// booleans are lower-cased, so a CSV's "1.0" target matches a JSON prediction 1 and "True" matches true.
public enum LabelText {
    public static func canonical(_ raw: String) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        switch trimmed.lowercased() {
        case "true": return "true"
        case "false": return "false"
        default: break
        }
        if let number = Double(trimmed), number.isFinite {
            return canonical(number)
        }
        return trimmed
    }

    public static func canonical(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    /// scikit-learn's class order: numeric when every label is a number, otherwise lexicographic.
    public static func sorted(_ labels: some Sequence<String>) -> [String] {
        let unique = Array(Set(labels))
        let numbers = unique.compactMap(Double.init)
        if numbers.count == unique.count {
            return unique.sorted { Double($0)! < Double($1)! }
        }
        return unique.sorted()
    }
}
