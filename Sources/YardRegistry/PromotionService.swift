import Foundation
import YardCore
import YardStore

/// Modelyard's promotion gates, CI for models: an alias moves to a version only if every gate of the
/// model's policy passes, and every decision (passed or refused, with reasons) goes into the history.
public struct PromotionService: Sendable {
    let registry: any RegistryStore
    let tracking: any TrackingStore

    public init(registry: any RegistryStore, tracking: any TrackingStore) {
        self.registry = registry
        self.tracking = tracking
    }

    /// Validates the document whole before storing it, so a bad file changes nothing.
    public func setPolicy(name: String, document: String, actor: String) async throws -> PromotionPolicy {
        let policy = try PromotionPolicy.parse(document)
        try await registry.setPolicy(name: name, document: document, actor: actor)
        return policy
    }

    public func policy(name: String) async throws -> (document: String, policy: PromotionPolicy)? {
        guard let document = try await registry.policy(name: name) else { return nil }
        return (document, try PromotionPolicy.parse(document))
    }

    public func promote(name: String, version: Int64, alias: String, dryRun: Bool, actor: String) async throws -> PromotionDecision {
        try RegistryService.validateAlias(alias)
        let candidate = try await registry.modelVersion(name: name, version: version)
        let champion = try? await registry.version(name: name, alias: alias)
        let policy = try await self.policy(name: name)?.policy ?? PromotionPolicy()
        let gates = try await evaluate(policy, candidate: candidate, champion: champion, alias: alias)
        var decision = PromotionDecision(model: name, version: version, alias: alias, championVersion: champion?.version,
                                         gates: gates, dryRun: dryRun, passed: gates.allSatisfy(\.passed), applied: false)
        guard !dryRun else { return decision }
        let detail = PromotionRecord(alias: alias, from: champion?.version, to: version, gates: gates).json
        if decision.passed {
            try await registry.setAlias(name: name, alias: alias, version: version, action: HistoryAction.promoted, detail: detail, actor: actor)
            decision.applied = true
        } else {
            try await registry.appendHistory(name: name, version: version, action: HistoryAction.promotionRefused, detail: detail, actor: actor)
        }
        return decision
    }

    /// Gives `alias` back to the version that held it before its latest move. Successive rollbacks walk
    /// further back, like popping a stack of alias moves.
    public func rollback(name: String, alias: String, actor: String) async throws -> (from: Int64, to: Int64) {
        let current = try await registry.version(name: name, alias: alias)
        var previousHolders: [Int64] = []
        for entry in try await registry.history(name: name) {
            guard let move = AliasMove.decode(entry.detail), move.alias == alias else { continue }
            switch entry.action {
            case HistoryAction.aliasSet, HistoryAction.promoted:
                if let from = move.from, from != move.to { previousHolders.append(from) }
            case HistoryAction.rolledBack:
                if !previousHolders.isEmpty { previousHolders.removeLast() }
            case HistoryAction.aliasDeleted:
                previousHolders.removeAll()
            default:
                break
            }
        }
        guard let target = previousHolders.last else {
            throw YardError.invalid("Alias '\(alias)' of model '\(name)' has no earlier version to roll back to; it has only ever pointed at version \(current.version).")
        }
        _ = try await registry.modelVersion(name: name, version: target)
        try await registry.setAlias(name: name, alias: alias, version: target, action: HistoryAction.rolledBack,
                                    detail: AliasMove(alias: alias, from: current.version, to: target).json, actor: actor)
        return (current.version, target)
    }

    /// A deleted model keeps its history; a name that never existed is an error, not an empty list.
    public func history(name: String) async throws -> [ModelHistoryEntry] {
        let entries = try await registry.history(name: name)
        if entries.isEmpty { _ = try await registry.registeredModel(name: name) }
        return entries
    }

    func evaluate(_ policy: PromotionPolicy, candidate: ModelVersion, champion: ModelVersion?, alias: String) async throws -> [GateResult] {
        let run = try await sourceRun(of: candidate)
        let championRun = try await champion.asyncMap { try await sourceRun(of: $0) } ?? nil
        var results: [GateResult] = []
        for gate in policy.metricGates {
            results.append(Self.evaluate(gate, candidate: candidate, run: run, champion: champion, championRun: championRun, alias: alias))
        }
        for tag in policy.requiredTags {
            let value = candidate.tags.first { $0.key == tag }?.value ?? run?.tags.first { $0.key == tag }?.value
            results.append(GateResult(gate: "tag \(tag)", passed: value != nil,
                                      detail: value.map { "\(tag)=\($0)" } ?? "tag '\(tag)' is missing on version \(candidate.version) and its run"))
        }
        if policy.requireDescription {
            let present = !candidate.description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            results.append(GateResult(gate: "description", passed: present,
                                      detail: present ? "version \(candidate.version) has a description" : "version \(candidate.version) has no description"))
        }
        for dataset in policy.requiredDatasets {
            let input = run?.datasetInputs.first { $0.dataset.name == dataset }
            results.append(GateResult(gate: "dataset \(dataset)", passed: input != nil,
                                      detail: input.map { "input \(dataset) digest \($0.dataset.digest)" }
                                        ?? "the source run has no dataset input named '\(dataset)'"))
        }
        return results
    }

    static func evaluate(_ gate: MetricGate, candidate: ModelVersion, run: Run?, champion: ModelVersion?, championRun: Run?, alias: String) -> GateResult {
        guard let run else {
            return GateResult(gate: gate.expression, passed: false, detail: "version \(candidate.version) has no source run, so metric '\(gate.metric)' cannot be read")
        }
        guard let value = run.metrics.first(where: { $0.key == gate.metric })?.value, !value.isNaN else {
            return GateResult(gate: gate.expression, passed: false, detail: "metric '\(gate.metric)' is missing from run \(run.info.runId)")
        }
        let threshold: Double
        var basis: String
        switch gate.threshold {
        case .constant(let number):
            threshold = number
            basis = "\(number)"
        case .champion(let metric, let offset):
            guard let champion else {
                return GateResult(gate: gate.expression, passed: true,
                                  detail: "no champion holds '\(alias)' yet, so the comparison is skipped (\(gate.metric)=\(value))")
            }
            guard let championValue = championRun?.metrics.first(where: { $0.key == metric })?.value, !championValue.isNaN else {
                return GateResult(gate: gate.expression, passed: false,
                                  detail: "champion version \(champion.version) has no metric '\(metric)' to compare with")
            }
            threshold = championValue + offset
            basis = "champion v\(champion.version) \(metric)=\(championValue)" + (offset == 0 ? "" : " \(offset < 0 ? "-" : "+") \(abs(offset))")
        }
        let passed = gate.comparison.holds(value, threshold)
        return GateResult(gate: gate.expression, passed: passed,
                          detail: "\(gate.metric)=\(value) \(gate.comparison.rawValue) \(basis)" + (threshold.description == basis ? "" : " (= \(threshold))"))
    }

    func sourceRun(of version: ModelVersion) async throws -> Run? {
        var runId = version.runId
        if runId == nil, let modelId = version.modelId {
            runId = try? await registry.loggedModel(id: modelId, allowDeleted: true).sourceRunId
        }
        guard let runId else { return nil }
        return try? await tracking.run(id: runId)
    }
}

struct PromotionRecord: Codable {
    var alias: String
    var from: Int64?
    var to: Int64
    var gates: [GateResult]

    var json: String {
        HistoryJSON.encode(self)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
