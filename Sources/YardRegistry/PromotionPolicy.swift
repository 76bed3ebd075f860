import Foundation
import Yams
import YardCore

/// A registered model's promotion policy: the gates a version must pass before an alias may point at it.
///
/// ```yaml
/// aliases: [production]             # the aliases it protects (optional; default: all of them)
/// metrics:
///   - accuracy >= 0.9               # threshold on the source run's metric
///   - f1 >= champion.f1 - 0.01      # challenger vs the version the alias holds now
/// require:
///   tags: [owner]                   # tags on the version (or its source run)
///   description: true               # a non-empty version description
///   datasets: [churn-train]         # dataset inputs of the source run, by name
/// ```
///
/// A protected alias moves only through the gates (`yard model promote`, `POST …/promote`) or a
/// rollback; MLflow's set-alias and delete-alias refuse it (403), and so does deleting the version it
/// points at. Without `aliases:`, a policy protects every alias of its model: a team that writes gates
/// expects no alias to get around them. With `aliases:`, only the listed ones are protected and the
/// others (`candidate`, `shadow`, …) stay plain MLflow aliases. Promotion evaluates the gates whatever
/// the alias.
public struct PromotionPolicy: Sendable, Equatable {
    public var metricGates: [MetricGate]
    public var requiredTags: [String]
    public var requireDescription: Bool
    public var requiredDatasets: [String]
    /// The aliases the policy protects; nil protects every alias of the model.
    public var protectedAliases: [String]?

    public init(metricGates: [MetricGate] = [], requiredTags: [String] = [], requireDescription: Bool = false, requiredDatasets: [String] = [],
                protectedAliases: [String]? = nil) {
        self.metricGates = metricGates
        self.requiredTags = requiredTags
        self.requireDescription = requireDescription
        self.requiredDatasets = requiredDatasets
        self.protectedAliases = protectedAliases
    }

    /// Whether `alias` moves only through this policy's gates.
    public func protects(_ alias: String) -> Bool {
        protectedAliases?.contains(alias) ?? true
    }

    /// Parses a policy, refusing anything unknown with the line and the reason; nothing is half-applied
    /// because the caller stores the document only after it parses whole.
    public static func parse(_ text: String) throws -> PromotionPolicy {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw YardError.invalid("Policy is not valid YAML: \(String(describing: error).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let root else { return PromotionPolicy() }
        guard let mapping = root.mapping else {
            throw policyError(root, "the policy must be a mapping with 'aliases', 'metrics' and/or 'require'")
        }
        var policy = PromotionPolicy()
        for (keyNode, value) in mapping {
            switch keyNode.string {
            case "metrics":
                guard let items = value.sequence else { throw policyError(value, "'metrics' must be a list of comparisons such as 'accuracy >= 0.9'") }
                for item in items {
                    guard let expression = item.string else { throw policyError(item, "each metric gate must be a string such as 'accuracy >= 0.9'") }
                    policy.metricGates.append(try MetricGate.parse(expression, line: item.mark?.line ?? 0))
                }
            case "aliases":
                let aliases = try stringList(value, "aliases")
                for alias in aliases {
                    do {
                        try RegistryService.validateAlias(alias)
                    } catch let error as YardError {
                        throw policyError(value, error.message)
                    }
                }
                policy.protectedAliases = aliases
            case "require":
                guard let requirements = value.mapping else { throw policyError(value, "'require' must be a mapping with tags, description or datasets") }
                for (requirementKey, requirement) in requirements {
                    switch requirementKey.string {
                    case "tags": policy.requiredTags = try stringList(requirement, "tags")
                    case "datasets": policy.requiredDatasets = try stringList(requirement, "datasets")
                    case "description":
                        guard let flag = requirement.bool else { throw policyError(requirement, "'description' must be true or false") }
                        policy.requireDescription = flag
                    default:
                        throw policyError(requirementKey, "unknown requirement '\(requirementKey.string ?? "?")'; use tags, description or datasets")
                    }
                }
            default:
                throw policyError(keyNode, "unknown key '\(keyNode.string ?? "?")'; a policy has 'aliases', 'metrics' and 'require'")
            }
        }
        return policy
    }

    private static func stringList(_ node: Node, _ name: String) throws -> [String] {
        guard let items = node.sequence else { throw policyError(node, "'\(name)' must be a list of names") }
        return try items.map { item in
            guard let text = item.string, !text.isEmpty else { throw policyError(item, "'\(name)' entries must be non-empty names") }
            return text
        }
    }

    static func policyError(_ node: Node, _ reason: String) -> YardError {
        .invalid("Policy line \(node.mark?.line ?? 0): \(reason)")
    }
}

/// `metric OP threshold`, where threshold is a number or `champion.<metric> [+|- number]`.
public struct MetricGate: Sendable, Equatable {
    public enum Comparison: String, Sendable, CaseIterable {
        case greaterOrEqual = ">="
        case lessOrEqual = "<="
        case greater = ">"
        case less = "<"
        case equal = "=="
        case notEqual = "!="

        func holds(_ lhs: Double, _ rhs: Double) -> Bool {
            switch self {
            case .greaterOrEqual: return lhs >= rhs
            case .lessOrEqual: return lhs <= rhs
            case .greater: return lhs > rhs
            case .less: return lhs < rhs
            case .equal: return lhs == rhs
            case .notEqual: return lhs != rhs
            }
        }
    }

    public enum Threshold: Sendable, Equatable {
        case constant(Double)
        case champion(metric: String, offset: Double)
    }

    public var metric: String
    public var comparison: Comparison
    public var threshold: Threshold
    public var expression: String
    public var line: Int

    static let pattern = #"^\s*([A-Za-z0-9_.\-/:]+)\s*([<>=!~]+)\s*(.+?)\s*$"#
    static let championPattern = #"^champion\.([A-Za-z0-9_.\-/:]+?)\s*(?:([+-])\s*([0-9.eE+-]+))?$"#

    public static func parse(_ expression: String, line: Int) throws -> MetricGate {
        guard let match = expression.firstMatch(pattern) else {
            throw YardError.invalid("Policy line \(line): '\(expression)' is not a comparison; write it as '<metric> <operator> <number or champion.<metric>>'")
        }
        let (metric, operatorText, rhs) = (match[0], match[1], match[2])
        guard let comparison = Comparison(rawValue: operatorText) else {
            let known = Comparison.allCases.map(\.rawValue).joined(separator: ", ")
            throw YardError.invalid("Policy line \(line): unknown operator '\(operatorText)' in '\(expression)'; use one of \(known)")
        }
        let threshold: Threshold
        if let number = Double(rhs) {
            threshold = .constant(number)
        } else if let champion = rhs.firstMatch(championPattern) {
            var offset = 0.0
            if !champion[1].isEmpty {
                guard let amount = Double(champion[2]) else {
                    throw YardError.invalid("Policy line \(line): '\(champion[2])' is not a number in '\(expression)'")
                }
                offset = champion[1] == "-" ? -amount : amount
            }
            threshold = .champion(metric: champion[0], offset: offset)
        } else {
            throw YardError.invalid("Policy line \(line): '\(rhs)' in '\(expression)' must be a number or champion.<metric> with an optional + or - offset")
        }
        return MetricGate(metric: metric, comparison: comparison, threshold: threshold, expression: expression, line: line)
    }
}

extension String {
    /// Capture groups of the first match of `pattern` (empty strings for groups that did not take part).
    func firstMatch(_ pattern: String) -> [String]? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: self, range: NSRange(startIndex..., in: self)) else { return nil }
        return (1..<match.numberOfRanges).map { index in
            Range(match.range(at: index), in: self).map { String(self[$0]) } ?? ""
        }
    }
}
