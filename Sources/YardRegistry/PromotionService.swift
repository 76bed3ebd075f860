import Foundation
import YardCore
import YardStore
import YardTracking

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
        try await registry.setPolicy(name: name, document: document, history: [HistoryRecord(version: nil, action: .policySet, detail: "{}")], actor: actor)
        return policy
    }

    public func policy(name: String) async throws -> (document: String, policy: PromotionPolicy)? {
        guard let document = try await registry.policy(name: name) else { return nil }
        return (document, try PromotionPolicy.parse(document))
    }

    /// Decides against the alias's current holder and moves the alias only if it still has that holder
    /// and the policy is still the one evaluated (compare-and-set in the write's transaction). If another move won the race, the decision is taken
    /// once more against the new holder; a second lost race is a 409 and nothing changes.
    ///
    /// Fails closed: any error reading the candidate, the champion, the policy or their runs is thrown,
    /// never taken as a pass. Only an alias that genuinely has no holder skips champion comparisons.
    public func promote(name: String, version: Int64, alias: String, dryRun: Bool, actor: String) async throws -> PromotionDecision {
        try RegistryService.validateAlias(alias)
        for attempt in 1...Self.attempts {
            let candidate = try await registry.modelVersion(name: name, version: version)
            let holder = try await registry.aliasHolder(name: name, alias: alias)
            let champion = try await holder.asyncMap { try await registry.modelVersion(name: name, version: $0) }
            let document = try await registry.policy(name: name)
            let policy = try document.map(PromotionPolicy.parse) ?? PromotionPolicy()
            let gates = try await evaluate(policy, candidate: candidate, champion: champion, alias: alias)
            var decision = PromotionDecision(model: name, version: version, alias: alias, championVersion: holder,
                                             gates: gates, dryRun: dryRun, passed: gates.allSatisfy(\.passed), applied: false)
            guard !dryRun else { return decision }
            let detail = PromotionRecord(alias: alias, from: holder, to: version, gates: gates).json
            guard decision.passed else {
                try await registry.appendHistory(name: name, records: [HistoryRecord(version: version, action: .promotionRefused, detail: detail)], actor: actor)
                return decision
            }
            do {
                try await registry.setAlias(name: name, alias: alias, version: version, expected: AliasExpectation(holder),
                                            policy: .document(document), history: { _ in
                    [HistoryRecord(version: version, action: .promoted, detail: detail)]
                }, actor: actor)
                decision.applied = true
                return decision
            } catch let error as YardError where error.code == .resourceConflict {
                guard attempt < Self.attempts else {
                    throw YardError(.resourceConflict, "Promotion of \(name) version \(version) to '\(alias)' not applied: the alias kept moving while the gates were being evaluated (\(error.message)). Run the promotion again.")
                }
            }
        }
        throw YardError(.internalError, "unreachable")
    }

    /// Gives `alias` back to the version that held it before its latest move. Successive rollbacks walk
    /// further back, like popping a stack of alias moves. The move is a compare-and-set on the holder
    /// the target was computed from (retried once, then 409).
    public func rollback(name: String, alias: String, actor: String) async throws -> (from: Int64, to: Int64) {
        for attempt in 1...Self.attempts {
            // The holder is read before the history, so the history includes every move up to it.
            guard let current = try await registry.aliasHolder(name: name, alias: alias) else {
                throw YardError.notFound("Registered model alias \(alias) not found.")
            }
            guard let modelId = try await registry.registeredModelId(name: name) else {
                throw YardError.notFound("Registered Model with name=\(name) not found")
            }
            var previousHolders: [Int64] = []
            for entry in try await registry.history(modelId: modelId) {
                guard let move = AliasMove.decode(entry.detail), move.alias == alias else { continue }
                switch entry.action {
                case .aliasSet, .promoted:
                    if let from = move.from, from != move.to { previousHolders.append(from) }
                case .rolledBack:
                    if !previousHolders.isEmpty { previousHolders.removeLast() }
                case .aliasDeleted:
                    previousHolders.removeAll()
                default:
                    break
                }
            }
            guard let target = previousHolders.last else {
                throw YardError.invalid("Alias '\(alias)' of model '\(name)' has no earlier version to roll back to; it has only ever pointed at version \(current).")
            }
            _ = try await registry.modelVersion(name: name, version: target)
            do {
                try await registry.setAlias(name: name, alias: alias, version: target, expected: .holds(current), policy: .any, history: { _ in
                    [HistoryRecord(version: target, action: .rolledBack, detail: AliasMove(alias: alias, from: current, to: target).json)]
                }, actor: actor)
                return (current, target)
            } catch let error as YardError where error.code == .resourceConflict {
                guard attempt < Self.attempts else {
                    throw YardError(.resourceConflict, "Rollback of '\(alias)' of model '\(name)' not applied: the alias kept moving meanwhile (\(error.message)). Run the rollback again.")
                }
            }
        }
        throw YardError(.internalError, "unreachable")
    }

    /// Decisions taken against a holder that moved meanwhile are retried this many times in all.
    static let attempts = 2

    /// The history of the live model called `name`; if there is none, of the most recently deleted model
    /// of that name (a deleted model keeps its history). A name that never existed is an error.
    public func history(name: String) async throws -> [ModelHistoryEntry] {
        if let id = try await registry.registeredModelId(name: name) {
            return try await registry.history(modelId: id)
        }
        if let id = try await registry.deletedModelIds(name: name).first {
            return try await registry.history(modelId: id)
        }
        throw YardError.notFound("Registered Model with name=\(name) not found")
    }

    /// A model's history by its stable id, whatever its names were and whether it still exists.
    public func history(modelId: String) async throws -> [ModelHistoryEntry] {
        let entries = try await registry.history(modelId: modelId)
        if entries.isEmpty { throw YardError.notFound("No history for registered model id '\(modelId)'") }
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

    /// The version's source run; nil only when it has none or it no longer exists. Any other error is
    /// thrown, so a gate is never decided on a read that failed.
    func sourceRun(of version: ModelVersion) async throws -> Run? {
        var runId = version.runId
        if runId == nil, let modelId = version.modelId {
            runId = try await Self.absentIfNotFound { try await registry.loggedModel(id: modelId, allowDeleted: true) }?.sourceRunId
        }
        guard let runId else { return nil }
        return try await Self.absentIfNotFound { try await TrackingErrors.translating { try await tracking.run(id: runId) } }
    }

    static func absentIfNotFound<T>(_ read: () async throws -> T) async throws -> T? {
        do {
            return try await read()
        } catch let error as YardError where error.code == .resourceDoesNotExist {
            return nil
        }
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
