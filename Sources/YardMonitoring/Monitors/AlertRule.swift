import YardStore

/// A rule condition that did not parse; `position` is the 1-based character where it went wrong.
public struct AlertConditionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let position: Int
    public let message: String

    public init(position: Int, message: String) {
        self.position = position
        self.message = message
    }

    public var description: String { "at character \(position): \(message)" }
}

/// `<metric> <op> <number> [for <N> evaluation[s]]`, e.g. `share_drifted > 0.3 for 2 evaluations`.
public struct AlertCondition: Sendable, Equatable, CustomStringConvertible {
    public enum Comparison: String, Sendable, CaseIterable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<=", equal = "==", notEqual = "!="

        func holds(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .greater: return value > threshold
            case .greaterOrEqual: return value >= threshold
            case .less: return value < threshold
            case .lessOrEqual: return value <= threshold
            case .equal: return value == threshold
            case .notEqual: return value != threshold
            }
        }
    }

    /// Metrics every evaluation may report; `drift_score:<column>` and `drifted:<column>` come on top.
    public static let metrics = [
        "share_drifted", "drifted_columns", "dataset_drift", "rows", "labeled_rows",
        "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "mae", "rmse", "mape", "r2",
        "demographic_parity_difference", "disparate_impact_ratio", "equalized_odds_difference",
    ]
    public static let columnMetricPrefixes = ["drift_score:", "drifted:"]

    public var metric: String
    public var comparison: Comparison
    public var threshold: Double
    /// Consecutive evaluations the comparison must hold before the rule fires (≥ 1).
    public var evaluations: Int

    public init(metric: String, comparison: Comparison, threshold: Double, evaluations: Int = 1) {
        self.metric = metric
        self.comparison = comparison
        self.threshold = threshold
        self.evaluations = evaluations
    }

    public init(parsing text: String) throws(AlertConditionError) {
        var scanner = ConditionScanner(text)
        scanner.skipSpaces()
        let metricStart = scanner.position
        let metric = scanner.take { !$0.isWhitespace && !"<>=!".contains($0) }
        guard !metric.isEmpty else {
            throw AlertConditionError(position: metricStart, message: "expected a metric name (e.g. share_drifted, accuracy, drift_score:<column>)")
        }
        try Self.checkMetric(metric, at: metricStart)
        scanner.skipSpaces()
        let operatorStart = scanner.position
        let symbol = scanner.take { "<>=!".contains($0) }
        guard let comparison = Comparison(rawValue: symbol) else {
            let found = symbol.isEmpty ? scanner.remainderPreview : "'\(symbol)'"
            throw AlertConditionError(position: operatorStart, message: "expected a comparison (> >= < <= == !=), found \(found)")
        }
        scanner.skipSpaces()
        let numberStart = scanner.position
        let numberText = scanner.take { !$0.isWhitespace }
        guard let threshold = Double(numberText), threshold.isFinite else {
            throw AlertConditionError(position: numberStart, message: "expected a number, found \(numberText.isEmpty ? "the end" : "'\(numberText)'")")
        }
        scanner.skipSpaces()
        var evaluations = 1
        if !scanner.atEnd {
            let forStart = scanner.position
            guard scanner.take(while: { !$0.isWhitespace }) == "for" else {
                throw AlertConditionError(position: forStart, message: "expected 'for <N> evaluations' or the end of the condition")
            }
            scanner.skipSpaces()
            let countStart = scanner.position
            let countText = scanner.take { !$0.isWhitespace }
            guard let count = Int(countText), count >= 1, count <= 10_000 else {
                throw AlertConditionError(position: countStart, message: "expected a whole number of evaluations from 1 to 10000, found \(countText.isEmpty ? "the end" : "'\(countText)'")")
            }
            evaluations = count
            scanner.skipSpaces()
            let unitStart = scanner.position
            let unit = scanner.take { !$0.isWhitespace }
            guard unit == "evaluation" || unit == "evaluations" else {
                throw AlertConditionError(position: unitStart, message: "expected 'evaluations' after the count, found \(unit.isEmpty ? "the end" : "'\(unit)'")")
            }
            scanner.skipSpaces()
            guard scanner.atEnd else {
                throw AlertConditionError(position: scanner.position, message: "unexpected \(scanner.remainderPreview) after the condition")
            }
        }
        self.init(metric: metric, comparison: comparison, threshold: threshold, evaluations: evaluations)
    }

    static func checkMetric(_ metric: String, at position: Int) throws(AlertConditionError) {
        if metrics.contains(metric) { return }
        for prefix in columnMetricPrefixes where metric.hasPrefix(prefix) {
            guard metric.count > prefix.count else {
                throw AlertConditionError(position: position + prefix.count, message: "'\(prefix)' needs a column name, e.g. \(prefix)age")
            }
            return
        }
        throw AlertConditionError(position: position, message: "unknown metric '\(metric)'; use one of \(metrics.joined(separator: ", ")), drift_score:<column> or drifted:<column>")
    }

    public func holds(_ value: Double) -> Bool {
        comparison.holds(value, threshold)
    }

    /// The canonical text.
    public var description: String {
        let number = threshold == threshold.rounded() && abs(threshold) < 1e15 ? String(Int64(threshold)) : String(threshold)
        let base = "\(metric) \(comparison.rawValue) \(number)"
        guard evaluations > 1 else { return base }
        return base + " for \(evaluations) evaluations"
    }
}

/// A named rule of a monitor and the actions its firing triggers.
public struct AlertRule: Sendable, Equatable {
    public var name: String
    public var condition: AlertCondition
    public var actions: [String]

    public init(name: String, condition: AlertCondition, actions: [String] = []) {
        self.name = name
        self.condition = condition
        self.actions = actions
    }
}

/// ok → pending → firing → resolved → ok. The condition must hold for `evaluations` consecutive
/// evaluations to fire (with 1 a rule fires at once, skipping pending); the first evaluation where it no
/// longer holds resolves a firing rule, and the next one returns it to ok. A metric the evaluation did
/// not produce (accuracy without labels) leaves the state as it was.
public enum AlertStateMachine {
    public static let ok = "ok", pending = "pending", firing = "firing", resolved = "resolved"

    /// The rule's next state, and the event when it starts or stops firing (ids left to the store).
    public static func step(rule: AlertRule, monitor: String, previous: AlertStateRecord?, value: Double?, at time: Int64)
        -> (state: AlertStateRecord, event: AlertEventRecord?) {
        let current = previous ?? AlertStateRecord(monitor: monitor, rule: rule.name, state: ok, consecutive: 0, since: time, lastValue: nil)
        guard let value, !value.isNaN else { return (current, nil) }
        var next = current
        next.lastValue = value
        let holds = rule.condition.holds(value)
        if holds {
            next.consecutive = current.consecutive + 1
            next.state = next.consecutive >= rule.condition.evaluations ? firing : pending
        } else {
            next.consecutive = 0
            next.state = current.state == firing ? resolved : ok
        }
        if next.state != current.state { next.since = time }
        var event: AlertEventRecord?
        if next.state != current.state, next.state == firing || next.state == resolved {
            let shown = AlertMessages.number(value)
            let message = next.state == firing
                ? "\(rule.condition.metric) = \(shown): \(rule.condition) held for \(next.consecutive) evaluation\(next.consecutive == 1 ? "" : "s")"
                : "\(rule.condition.metric) = \(shown): \(rule.condition) no longer holds"
            event = AlertEventRecord(monitor: monitor, rule: rule.name, state: next.state, evaluationId: 0, timestamp: time,
                                     value: value, message: message)
        }
        return (next, event)
    }
}

enum AlertMessages {
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// Walks a condition by character, keeping 1-based positions for error messages.
struct ConditionScanner {
    private let characters: [Character]
    private var index = 0

    init(_ text: String) {
        characters = Array(text)
    }

    var position: Int { index + 1 }
    var atEnd: Bool { index >= characters.count }
    var remainderPreview: String {
        atEnd ? "the end" : "'\(String(characters[index...].prefix(20)))'"
    }

    mutating func skipSpaces() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    mutating func take(while accept: (Character) -> Bool) -> String {
        let start = index
        while index < characters.count, accept(characters[index]) { index += 1 }
        return String(characters[start..<index])
    }
}
