import Foundation
import Testing
import YardCore
@testable import YardPostgres
@testable import YardRegistry
@testable import YardSQLite
@testable import YardStore
@testable import YardTracking

/// The registry domain on every real store (SQLite, and PostgreSQL when a cluster is configured): versions,
/// aliases, gates, rollback, history, lineage.
@Suite("Model registry and promotion")
struct RegistryTests {
    let directory = TemporaryDirectory()

    struct Fixture {
        let store: any TrackingStore & DatasetStore & RegistryStore
        let tracking: TrackingService
        let registry: RegistryService
        let promotion: PromotionService
        let lineage: LineageService
        let models: LoggedModelService
    }

    func fixture(_ factory: StoreFactory) async throws -> Fixture {
        let store = try await factory.make(directory)
        return Fixture(
            store: store,
            tracking: TrackingService(store: store, defaultArtifactRoot: "mlflow-artifacts:/"),
            registry: RegistryService(registry: store, tracking: store),
            promotion: PromotionService(registry: store, tracking: store),
            lineage: LineageService(registry: store, tracking: store),
            models: LoggedModelService(registry: store, tracking: store))
    }

    /// A run with the given metrics, registered as the next version of `churn`.
    func version(_ f: Fixture, metrics: [String: Double], tags: [YardCore.Tag] = [], description: String? = nil) async throws -> ModelVersion {
        let run = try await f.tracking.createRun(experimentId: "0", userId: "ann", runName: nil, startTime: nil,
                                                 tags: [YardCore.Tag(key: "mlflow.source.git.commit", value: "abc123")])
        try await f.tracking.logBatch(runId: run.info.runId,
                                      metrics: metrics.map { Metric(key: $0.key, value: $0.value, timestamp: 1) },
                                      params: [Param(key: "alpha", value: "0.5")], tags: [])
        if (try? await f.registry.model(name: "churn")) == nil {
            _ = try await f.registry.createModel(name: "churn", description: nil, tags: [], userId: nil)
        }
        return try await f.registry.createVersion(name: "churn", source: "runs:/\(run.info.runId)/model", runId: run.info.runId,
                                                  modelId: nil, tags: tags, runLink: nil, description: description, userId: nil, actor: "ci")
    }

    static let policy = """
        metrics:
          - accuracy >= 0.9
          - f1 >= champion.f1 - 0.01
        """

    @Test(arguments: StoreFactory.allCases)
    func allGatesPassMovesTheAlias(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: ["accuracy": 0.92, "f1": 0.80])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.policy, actor: "ann")
        let decision = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: false, actor: "ann")
        #expect(decision.passed && decision.applied)
        #expect(decision.championVersion == nil)
        #expect(decision.gates.count == 2)
        #expect(decision.gates[1].detail.contains("no champion"))
        #expect(try await f.registry.version(name: "churn", alias: "production").version == v1.version)
    }

    @Test(arguments: StoreFactory.allCases)
    func aFailingGateRefusesAndLeavesTheAliasAlone(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: ["accuracy": 0.92, "f1": 0.80])
        let v2 = try await version(f, metrics: ["accuracy": 0.95, "f1": 0.70])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.policy, actor: "ann")
        _ = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: false, actor: "ann")
        let decision = try await f.promotion.promote(name: "churn", version: v2.version, alias: "production", dryRun: false, actor: "bob")
        #expect(!decision.passed && !decision.applied)
        #expect(decision.championVersion == v1.version)
        let failing = try #require(decision.gates.first(where: { !$0.passed }))
        #expect(failing.gate == "f1 >= champion.f1 - 0.01")
        #expect(failing.detail.contains("f1=0.7") && failing.detail.contains("0.8"))
        #expect(try await f.registry.version(name: "churn", alias: "production").version == v1.version)
        let history = try await f.promotion.history(name: "churn")
        #expect(history.last?.action == HistoryAction.promotionRefused)
        #expect(history.last?.actor == "bob")
    }

    @Test(arguments: StoreFactory.allCases)
    func aMissingMetricIsARefusalNamingIt(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: ["f1": 0.9])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.policy, actor: "ann")
        let decision = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: false, actor: "ann")
        #expect(!decision.applied)
        #expect(decision.gates.contains { !$0.passed && $0.detail.contains("metric 'accuracy' is missing") })
        await #expect(throws: YardError.self) { _ = try await f.registry.version(name: "churn", alias: "production") }
    }

    @Test(arguments: StoreFactory.allCases)
    func dryRunChangesNothing(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: ["accuracy": 0.99, "f1": 0.9])
        let before = try await f.promotion.history(name: "churn").count
        let decision = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: true, actor: "ann")
        #expect(decision.passed && !decision.applied)
        #expect(try await f.promotion.history(name: "churn").count == before)
        await #expect(throws: YardError.self) { _ = try await f.registry.version(name: "churn", alias: "production") }
    }

    @Test(arguments: StoreFactory.allCases)
    func requiredTagsDescriptionAndDatasets(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let policy = "require:\n  tags: [owner]\n  description: true\n  datasets: [churn-train]\n"
        let bare = try await version(f, metrics: [:])
        _ = try await f.promotion.setPolicy(name: "churn", document: policy, actor: "ann")
        let refused = try await f.promotion.promote(name: "churn", version: bare.version, alias: "staging", dryRun: false, actor: "ann")
        #expect(refused.gates.map(\.passed) == [false, false, false])

        let good = try await version(f, metrics: [:], tags: [YardCore.Tag(key: "owner", value: "ann")], description: "retrained on Q3")
        try await f.tracking.logInputs(runId: try #require(good.runId), datasets: [DatasetInput(
            tags: [YardCore.Tag(key: "mlflow.data.context", value: "training")],
            dataset: Dataset(name: "churn-train", digest: "d1g3st", sourceType: "local", source: "data/train.csv"))], modelIds: [])
        let passed = try await f.promotion.promote(name: "churn", version: good.version, alias: "staging", dryRun: false, actor: "ann")
        #expect(passed.applied, "\(passed.gates)")
    }

    @Test(arguments: StoreFactory.allCases)
    func rollbackWalksBackThroughAliasMoves(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: [:])
        let v2 = try await version(f, metrics: [:])
        let v3 = try await version(f, metrics: [:])
        for v in [v1, v2, v3] {
            _ = try await f.promotion.promote(name: "churn", version: v.version, alias: "production", dryRun: false, actor: "ann")
        }
        let first = try await f.promotion.rollback(name: "churn", alias: "production", actor: "ann")
        #expect(first.from == v3.version && first.to == v2.version)
        let second = try await f.promotion.rollback(name: "churn", alias: "production", actor: "ann")
        #expect(second.from == v2.version && second.to == v1.version)
        await #expect(throws: YardError.self) { _ = try await f.promotion.rollback(name: "churn", alias: "production", actor: "ann") }
        #expect(try await f.registry.version(name: "churn", alias: "production").version == v1.version)
    }

    @Test(arguments: StoreFactory.allCases)
    func historyIsAppendOnlyAndOrdered(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: [:])
        try await f.registry.setAlias(name: "churn", alias: "champion", version: String(v1.version), actor: "ann")
        _ = try await f.registry.transitionStage(name: "churn", version: String(v1.version), stage: "production", archiveExisting: false, actor: "ann")
        try await f.registry.deleteVersion(name: "churn", version: String(v1.version), actor: "ann")
        let actions = try await f.promotion.history(name: "churn").map(\.action)
        #expect(actions == [.versionCreated, .aliasSet, .stageChanged, .aliasDeleted, .versionDeleted])
        let sequences = try await f.promotion.history(name: "churn").map(\.sequence)
        #expect(sequences == sequences.sorted())

        let before = try await f.promotion.history(name: "churn")
        var statements = ["DELETE FROM model_history", "UPDATE model_history SET actor = 'mallory'"]
        if factory == .postgres { statements.append("TRUNCATE model_history") }
        for statement in statements {
            await #expect(throws: (any Error).self, "\(statement)") { try await Self.executeRaw(statement, on: f.store) }
        }
        #expect(try await f.promotion.history(name: "churn") == before)
    }

    @Test(arguments: StoreFactory.allCases)
    func policyErrorsNameTheLineAndKeepTheOldPolicy(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        _ = try await version(f, metrics: [:])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.policy, actor: "ann")
        do {
            _ = try await f.promotion.setPolicy(name: "churn", document: "metrics:\n  - accuracy >= 0.9\n  - f1 => 0.5\n", actor: "ann")
            Issue.record("an unknown operator must be refused")
        } catch let error as YardError {
            #expect(error.message.contains("line 3"))
            #expect(error.message.contains("unknown operator '=>'"))
        }
        await #expect(throws: YardError.self) {
            _ = try await f.promotion.setPolicy(name: "churn", document: "metrics: [\n", actor: "ann")
        }
        await #expect(throws: YardError.self) {
            _ = try await f.promotion.setPolicy(name: "churn", document: "gates:\n  - x\n", actor: "ann")
        }
        #expect(try await f.promotion.policy(name: "churn")?.document == Self.policy)
    }

    @Test(arguments: StoreFactory.allCases)
    func aliasRulesAndUnknownNames(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: [:])
        for bad in ["latest", "LATEST", "v1", "has space", ""] {
            await #expect(throws: YardError.self) {
                try await f.registry.setAlias(name: "churn", alias: bad, version: String(v1.version), actor: "ann")
            }
        }
        do {
            _ = try await f.registry.version(name: "nope", version: "1")
            Issue.record("unknown model must fail")
        } catch let error as YardError {
            #expect(error.code == .resourceDoesNotExist)
            #expect(error.message.contains("nope"))
        }
        do {
            _ = try await f.registry.version(name: "churn", version: "42")
            Issue.record("unknown version must fail")
        } catch let error as YardError {
            #expect(error.code == .resourceDoesNotExist)
            #expect(error.message.contains("version=42"))
        }
        await #expect(throws: YardError.notFound("Registered Model with name=ghost not found")) {
            _ = try await f.promotion.history(name: "ghost")
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func lineageFollowsVersionToRunAndDatasets(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: ["accuracy": 0.9])
        try await f.tracking.logInputs(runId: try #require(v1.runId), datasets: [DatasetInput(
            tags: [YardCore.Tag(key: "mlflow.data.context", value: "training")],
            dataset: Dataset(name: "churn-train", digest: "0123abcd", sourceType: "local", source: "data/train.csv"))], modelIds: [])
        try await f.registry.setAlias(name: "churn", alias: "champion", version: "1", actor: "ann")
        for uri in ["models:/churn/1", "models:/churn@champion"] {
            let lineage = try await f.lineage.lineage(of: uri)
            #expect(lineage.version?.version == 1)
            #expect(lineage.run?.runId == v1.runId)
            #expect(lineage.run?.codeCommit == "abc123")
            #expect(lineage.run?.params == [YardCore.Tag(key: "alpha", value: "0.5")])
            #expect(lineage.run?.metrics.first?.value == 0.9)
            #expect(lineage.datasets == [.init(name: "churn-train", digest: "0123abcd", source: "data/train.csv", context: "training")])
        }
        await #expect(throws: YardError.self) { _ = try await f.lineage.lineage(of: "s3://bucket/model") }
    }

    @Test(arguments: StoreFactory.allCases)
    func lineageReadsNamesHoldingAtSignsFromTheRight(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let run = try await f.tracking.createRun(experimentId: "0", userId: "ann", runName: nil, startTime: nil, tags: [])
        for name in ["team@x", "a@b@c", "churn@7"] {
            _ = try await f.registry.createModel(name: name, description: nil, tags: [], userId: nil)
            _ = try await f.registry.createVersion(name: name, source: "runs:/\(run.info.runId)/model", runId: run.info.runId,
                                                   modelId: nil, tags: [], runLink: nil, description: nil, userId: nil, actor: "ci")
            try await f.registry.setAlias(name: name, alias: "champion", version: "1", actor: "ann")
            for uri in ["models:/\(name)/1", "models:/\(name)@champion"] {
                let lineage = try await f.lineage.lineage(of: uri)
                #expect(lineage.version?.name == name, "\(uri)")
                #expect(lineage.version?.version == 1, "\(uri)")
                #expect(lineage.run?.runId == run.info.runId, "\(uri)")
            }
        }
        for malformed in ["models:/@champion", "models:/churn@", "models:/churn"] {
            await #expect(throws: YardError.self, "\(malformed)") { _ = try await f.lineage.lineage(of: malformed) }
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func loggedModelsAreFoundByNameAndCollectTheirMetrics(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let run = try await f.tracking.createRun(experimentId: "0", userId: nil, runName: nil, startTime: nil, tags: [])
        let model = try await f.models.create(experimentId: "0", name: "model", modelType: nil, sourceRunId: run.info.runId,
                                              params: [Param(key: "alpha", value: "1")], tags: [])
        #expect(model.status == .pending)
        #expect(model.artifactLocation == "mlflow-artifacts:/0/models/\(model.modelId)/artifacts")
        try await f.tracking.logBatch(runId: run.info.runId, metrics: [Metric(key: "acc", value: 0.8, timestamp: 1, modelId: model.modelId)], params: [], tags: [])
        _ = try await f.models.finalize(id: model.modelId, status: .ready)
        let found = try await f.models.search(experimentIds: ["0"], filter: "name = 'model' AND source_run_id = '\(run.info.runId)'",
                                              orderBy: [], maxResults: nil, pageToken: nil)
        #expect(found.items.map(\.modelId) == [model.modelId])
        #expect(found.items.first?.status == .ready)
        #expect(found.items.first?.metrics.map(\.metric.value) == [0.8])
        let byMetric = try await f.models.search(experimentIds: ["0"], filter: "metrics.acc > 0.9", orderBy: [], maxResults: nil, pageToken: nil)
        #expect(byMetric.items.isEmpty)
    }

    // MARK: Review regressions

    static let championPolicy = """
        metrics:
          - accuracy >= 0.9
          - f1 >= champion.f1 - 0.01
        """

    /// Gate 1: an error reading the current champion must never turn champion gates into passes.
    @Test(arguments: StoreFactory.allCases)
    func aStoreErrorReadingTheChampionIsNeverAPass(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: ["accuracy": 0.95, "f1": 0.90])
        let v2 = try await version(f, metrics: ["accuracy": 0.95, "f1": 0.50])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.championPolicy, actor: "ann")
        _ = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: false, actor: "ann")
        let flaky = InterposedStore(base: f.store, failAliasReads: true)
        let promotion = PromotionService(registry: flaky, tracking: f.store)
        for dryRun in [true, false] {
            do {
                let decision = try await promotion.promote(name: "churn", version: v2.version, alias: "production", dryRun: dryRun, actor: "mallory")
                #expect(!decision.passed && !decision.applied, "dryRun=\(dryRun): \(decision.gates)")
            } catch {
                // An error is a refusal too; only a pass is wrong.
            }
        }
        #expect(try await f.registry.version(name: "churn", alias: "production").version == v1.version)
    }

    /// Gate 2: a policy protects its aliases from the plain (MLflow) alias routes.
    @Test(arguments: StoreFactory.allCases)
    func aPolicyProtectsItsAliasesFromPlainAliasMoves(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: ["accuracy": 0.95, "f1": 0.90])
        _ = try await version(f, metrics: ["accuracy": 0.10, "f1": 0.10])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.championPolicy, actor: "ann")
        _ = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: false, actor: "ann")
        do {
            try await f.registry.setAlias(name: "churn", alias: "production", version: "2", actor: "bob")
            Issue.record("moving a protected alias without its gates must be refused")
        } catch let error as YardError {
            #expect(error.code == .permissionDenied)
            #expect(error.message.contains("policy") && error.message.contains("yard model promote"), "\(error.message)")
            #expect(error.message.contains("/api/v1/models/churn/promote"), "\(error.message)")
        }
        do {
            try await f.registry.deleteAlias(name: "churn", alias: "production", actor: "bob")
            Issue.record("deleting a protected alias through the plain route must be refused")
        } catch let error as YardError {
            #expect(error.code == .permissionDenied)
        }
        #expect(try await f.registry.version(name: "churn", alias: "production").version == v1.version)

        // A policy that names its aliases protects only those.
        _ = try await f.promotion.setPolicy(name: "churn", document: "aliases: [production]\n" + Self.championPolicy, actor: "ann")
        try await f.registry.setAlias(name: "churn", alias: "candidate", version: "2", actor: "bob")
        try await f.registry.deleteAlias(name: "churn", alias: "candidate", actor: "bob")
        await #expect(throws: YardError.self) {
            try await f.registry.setAlias(name: "churn", alias: "production", version: "2", actor: "bob")
        }
        #expect(try await f.registry.version(name: "churn", alias: "production").version == v1.version)
    }

    /// Gate 2/3: a policy set while a plain alias move is checked still stops the move.
    @Test(arguments: StoreFactory.allCases)
    func aPolicySetDuringAPlainAliasMoveStopsIt(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        _ = try await version(f, metrics: [:])
        let racing = InterposedStore(base: f.store, interfereAfterPolicyRead: true) { base in
            try await base.setPolicy(name: "churn", document: Self.championPolicy, history: [], actor: "ann")
        }
        let registry = RegistryService(registry: racing, tracking: f.store)
        await #expect(throws: YardError(.resourceConflict, "The promotion policy of registered model 'churn' changed meanwhile; nothing was changed.")) {
            try await registry.setAlias(name: "churn", alias: "production", version: "1", actor: "bob")
        }
        await #expect(throws: YardError.self) { _ = try await f.registry.version(name: "churn", alias: "production") }
    }

    /// Gate 3: an alias that moves while a promotion is being decided is not overwritten on a stale decision.
    @Test(arguments: StoreFactory.allCases)
    func aPromotionRacingAnAliasMoveIsDecidedAgainstTheNewChampion(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: ["accuracy": 0.95, "f1": 0.80])
        let v2 = try await version(f, metrics: ["accuracy": 0.95, "f1": 0.90])
        let v3 = try await version(f, metrics: ["accuracy": 0.95, "f1": 0.85])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.championPolicy, actor: "ann")
        _ = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: false, actor: "ann")
        // Someone else promotes v2 right after this promotion read the champion (v1).
        let racing = InterposedStore(base: f.store) { base in
            try await Self.moveAlias(base, "production", from: v1.version, to: v2.version)
        }
        let promotion = PromotionService(registry: racing, tracking: f.store)
        do {
            let decision = try await promotion.promote(name: "churn", version: v3.version, alias: "production", dryRun: false, actor: "carol")
            #expect(!decision.applied, "v3 (f1 0.85) must not replace v2 (f1 0.90): \(decision.gates)")
            #expect(decision.championVersion == v2.version)
        } catch let error as YardError {
            #expect(error.code == .resourceConflict)
        }
        #expect(try await f.registry.version(name: "churn", alias: "production").version == v2.version)
    }

    @Test(arguments: StoreFactory.allCases)
    func aRollbackRacingAnAliasMoveDoesNotTrustAStaleHolder(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: [:])
        let v2 = try await version(f, metrics: [:])
        let v3 = try await version(f, metrics: [:])
        for v in [v1, v2] {
            _ = try await f.promotion.promote(name: "churn", version: v.version, alias: "production", dryRun: false, actor: "ann")
        }
        let racing = InterposedStore(base: f.store) { base in
            try await Self.moveAlias(base, "production", from: v2.version, to: v3.version)
        }
        let promotion = PromotionService(registry: racing, tracking: f.store)
        do {
            let moved = try await promotion.rollback(name: "churn", alias: "production", actor: "ann")
            #expect(moved.from == v3.version && moved.to == v2.version)
            #expect(try await f.registry.version(name: "churn", alias: "production").version == v2.version)
        } catch let error as YardError {
            #expect(error.code == .resourceConflict)
            #expect(try await f.registry.version(name: "churn", alias: "production").version == v3.version)
        }
        let last = try #require(try await f.promotion.history(name: "churn").last)
        if "\(last.action)" == "rolled_back" {
            #expect(AliasMove.decode(last.detail)?.from == v3.version, "\(last.detail)")
        }
    }

    /// Gate 4: history belongs to the model, not to its name.
    @Test(arguments: StoreFactory.allCases)
    func historyFollowsARenameAndIsNotInheritedByANewModelOfTheSameName(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        _ = try await version(f, metrics: [:])
        _ = try await f.registry.renameModel(name: "churn", newName: "churn2", actor: "ann")
        #expect(try await f.promotion.history(name: "churn2").map { "\($0.action)" } == ["version_created", "renamed"])
        try await f.registry.deleteModel(name: "churn2", actor: "ann")
        // A deleted model's history stays readable by its name.
        #expect(try await f.promotion.history(name: "churn2").map { "\($0.action)" } == ["version_created", "renamed", "model_deleted"])
        _ = try await f.registry.createModel(name: "churn2", description: nil, tags: [], userId: nil)
        #expect(try await f.promotion.history(name: "churn2").isEmpty)
        _ = try await f.registry.createVersion(name: "churn2", source: "s3://bucket/model", runId: nil, modelId: nil, tags: [],
                                               runLink: nil, description: nil, userId: nil, actor: "bob")
        #expect(try await f.promotion.history(name: "churn2").map { "\($0.action)" } == ["version_created"])
    }

    /// Gate 5: deleting a version records the aliases it took with it.
    @Test(arguments: StoreFactory.allCases)
    func deletingAVersionRecordsEachAliasItRemoved(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let v1 = try await version(f, metrics: [:])
        try await f.registry.setAlias(name: "churn", alias: "champion", version: String(v1.version), actor: "ann")
        try await f.registry.setAlias(name: "churn", alias: "shadow", version: String(v1.version), actor: "ann")
        try await f.registry.deleteVersion(name: "churn", version: String(v1.version), actor: "bob")
        let history = try await f.promotion.history(name: "churn")
        let removals = history.filter { "\($0.action)" == "alias_deleted" }
        #expect(removals.compactMap { AliasMove.decode($0.detail)?.alias }.sorted() == ["champion", "shadow"])
        #expect(removals.allSatisfy { AliasMove.decode($0.detail)?.from == v1.version && $0.actor == "bob" })
        #expect(history.last.map { "\($0.action)" } == "version_deleted")
    }

    /// Gate 7: local sources are checked whatever the scheme's case, and contained by path components.
    @Test(arguments: StoreFactory.allCases)
    func localSourcesAreCheckedCaseInsensitivelyAndByPathComponents(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let local = TrackingService(store: f.store, defaultArtifactRoot: "file://" + directory.file("art"))
        let experiment = try await local.createExperiment(name: "local", artifactLocation: nil, tags: [])
        let run = try await local.createRun(experimentId: experiment, userId: nil, runName: nil, startTime: nil, tags: [])
        _ = try await f.registry.createModel(name: "churn", description: nil, tags: [], userId: nil)
        let root = String(run.info.artifactUri.dropFirst("file://".count))
        #expect(root.hasPrefix("/"))
        func register(_ source: String, runId: String?) async throws {
            _ = try await f.registry.createVersion(name: "churn", source: source, runId: runId, modelId: nil, tags: [],
                                                   runLink: nil, description: nil, userId: nil, actor: "ann")
        }
        for bad in ["FILE:///etc/model", "File:///etc/model", "FILE:" + root + "/model"] {
            await #expect(throws: YardError.self, "\(bad) without run_id") { try await register(bad, runId: nil) }
        }
        for bad in ["FILE:///etc/model", "File:///etc/model", root + "2/model", "file://" + root + "-other/model"] {
            await #expect(throws: YardError.self, "\(bad)") { try await register(bad, runId: run.info.runId) }
        }
        try await register(root + "/model", runId: run.info.runId)
        try await register("file://" + root + "/model", runId: run.info.runId)
        try await register("FILE://" + root + "/model", runId: run.info.runId)
        try await register(root, runId: run.info.runId)
    }

    /// Gate 4: the migration gives existing history entries the id of the model they belonged to. SQLite only:
    /// PostgreSQL stores start at the final schema, so there is no v1 registry to migrate from.
    @Test func theModelIdMigrationReplaysRenamesAndDeletions() async throws {
        let path = directory.file("old.db")
        try SQLiteStore.createDatabase(at: path, migratedUpTo: "v1-registry", then: """
            INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp) VALUES ('b', 1, 1), ('c', 1, 1);
            INSERT INTO model_history (name, version, action, detail, actor, timestamp) VALUES
                ('a', 1, 'version_created', '{"source":"s3://x"}', 'ann', 1),
                ('b', NULL, 'renamed', '{"from":"a"}', 'ann', 2),
                ('c', 1, 'version_created', '{"source":"s3://y"}', 'bob', 3),
                ('c', NULL, 'model_deleted', '{}', 'bob', 4),
                ('c', NULL, 'policy_set', '{}', 'carol', 5);
            """)
        let store = try SQLiteStore(path: path)
        let promotion = PromotionService(registry: store, tracking: store)
        #expect(try await promotion.history(name: "b").map(\.action) == [.versionCreated, .renamed])
        #expect(try await promotion.history(name: "c").map(\.action) == [.policySet])
        let deleted = try await store.deletedModelIds(name: "c")
        #expect(deleted.count == 1)
        let old = try await promotion.history(modelId: try #require(deleted.first))
        #expect(old.map(\.action) == [.versionCreated, .modelDeleted] && old.allSatisfy { $0.actor == "bob" })
        #expect(try await store.registeredModelId(name: "c") != deleted.first)
        await #expect(throws: YardError.self) { _ = try await promotion.history(name: "a") }
        await #expect(throws: (any Error).self) {
            try await store.write { db in try db.execute(sql: "UPDATE model_history SET actor = 'mallory'") }
        }
    }

    /// Gate 7: legacy `runs/log-model` keeps its tag bounded and loses no concurrent append.
    @Test(arguments: StoreFactory.allCases)
    func legacyLogModelHistoryIsCappedAndConcurrentAppendsAllLand(_ factory: StoreFactory) async throws {
        let f = try await fixture(factory)
        let run = try await f.tracking.createRun(experimentId: "0", userId: nil, runName: nil, startTime: nil, tags: [])
        let runId = run.info.runId
        let logModel: @Sendable (String) async throws -> Void = { json in try await f.models.logLegacyModel(runId: runId, modelJSON: json) }
        func model(_ path: String, padding: Int = 0) -> String {
            "{\"artifact_path\":\"\(path)\",\"flavors\":{\"python_function\":{\"pad\":\"\(String(repeating: "x", count: padding))\"}},\"utc_time_created\":\"2026-01-01\",\"run_id\":\"\(runId)\"}"
        }
        func history() async throws -> [[String: Any]] {
            let value = try #require(try await f.tracking.run(id: runId).tags.first { $0.key == ReservedTags.logModelHistory }?.value)
            #expect(value.count <= Validation.maxTagValueLength)
            return try #require(try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [[String: Any]])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { try await logModel(model("m\(index)")) }
            }
            try await group.waitForAll()
        }
        #expect(Set(try await history().compactMap { $0["artifact_path"] as? String }) == Set((0..<20).map { "m\($0)" }))
        for index in 0..<40 {
            try await logModel(model("big\(index)", padding: 500))
        }
        let capped = try await history()
        #expect(capped.last?["artifact_path"] as? String == "big39")
        #expect(capped.count < 40)
    }

    /// Runs `sql` in one write transaction of the store, bypassing the protocol (for the append-only check).
    static func executeRaw(_ sql: String, on store: any RegistryStore) async throws {
        if let sqlite = store as? SQLiteStore {
            try await sqlite.write { db in try db.execute(sql: sql) }
        } else if let postgres = store as? PostgresStore {
            _ = try await postgres.write { pg in try await pg.execute(sql) }
        } else {
            Issue.record("no raw access to \(type(of: store))")
        }
    }

    static func moveAlias(_ store: any RegistryStore, _ alias: String, from: Int64, to: Int64) async throws {
        try await store.setAlias(name: "churn", alias: alias, version: to, expected: .holds(from), policy: .any, history: { _ in
            [HistoryRecord(version: to, action: .aliasSet, detail: AliasMove(alias: alias, from: from, to: to).json)]
        }, actor: "racer")
    }
}

/// A registry store that forwards to a real one but can fail alias reads, or run `interference` once right
/// after the first alias read (another writer acting between a read and the write that depends on it).
final class InterposedStore: RegistryStore, @unchecked Sendable {
    let base: any RegistryStore
    let failAliasReads: Bool
    /// Run `interference` after the first policy read instead of the first alias read.
    let interfereAfterPolicyRead: Bool
    let interference: (@Sendable (any RegistryStore) async throws -> Void)?
    private let lock = NSLock()
    private var interfered = false

    init(base: any RegistryStore, failAliasReads: Bool = false, interfereAfterPolicyRead: Bool = false,
         interference: (@Sendable (any RegistryStore) async throws -> Void)? = nil) {
        self.base = base
        self.failAliasReads = failAliasReads
        self.interfereAfterPolicyRead = interfereAfterPolicyRead
        self.interference = interference
    }

    private func afterAliasRead() async throws {
        if failAliasReads { throw YardError(.internalError, "disk I/O error (injected)") }
        if !interfereAfterPolicyRead { try await interfereOnce() }
    }

    private func interfereOnce() async throws {
        let first = lock.withLock { () -> Bool in
            defer { interfered = true }
            return !interfered
        }
        if first, let interference { try await interference(base) }
    }

    func version(name: String, alias: String) async throws -> ModelVersion {
        let found = try await base.version(name: name, alias: alias)
        try await afterAliasRead()
        return found
    }

    func aliasHolder(name: String, alias: String) async throws -> Int64? {
        let found = try await base.aliasHolder(name: name, alias: alias)
        try await afterAliasRead()
        return found
    }

    func createLoggedModel(_ model: LoggedModel) async throws { try await base.createLoggedModel(model) }
    func loggedModel(id: String, allowDeleted: Bool) async throws -> LoggedModel { try await base.loggedModel(id: id, allowDeleted: allowDeleted) }
    func updateLoggedModelStatus(id: String, status: LoggedModelStatus, message: String?) async throws -> LoggedModel {
        try await base.updateLoggedModelStatus(id: id, status: status, message: message)
    }
    func setLoggedModelTags(id: String, tags: [YardCore.Tag]) async throws { try await base.setLoggedModelTags(id: id, tags: tags) }
    func deleteLoggedModelTag(id: String, key: String) async throws { try await base.deleteLoggedModelTag(id: id, key: key) }
    func logLoggedModelParams(id: String, params: [Param]) async throws { try await base.logLoggedModelParams(id: id, params: params) }
    func deleteLoggedModel(id: String) async throws { try await base.deleteLoggedModel(id: id) }
    func searchLoggedModels(_ query: LoggedModelQuery) async throws -> Page<LoggedModel> { try await base.searchLoggedModels(query) }
    func updateRunTag(runId: String, key: String, _ update: @escaping @Sendable (String?) throws -> String) async throws {
        try await base.updateRunTag(runId: runId, key: key, update)
    }
    func createRegisteredModel(_ model: RegisteredModel) async throws { try await base.createRegisteredModel(model) }
    func registeredModel(name: String) async throws -> RegisteredModel { try await base.registeredModel(name: name) }
    func renameRegisteredModel(name: String, to newName: String, history: [HistoryRecord], actor: String) async throws {
        try await base.renameRegisteredModel(name: name, to: newName, history: history, actor: actor)
    }
    func updateRegisteredModelDescription(name: String, description: String) async throws {
        try await base.updateRegisteredModelDescription(name: name, description: description)
    }
    func deleteRegisteredModel(name: String, history: [HistoryRecord], actor: String) async throws {
        try await base.deleteRegisteredModel(name: name, history: history, actor: actor)
    }
    func searchRegisteredModels(_ query: RegistryQuery) async throws -> Page<RegisteredModel> { try await base.searchRegisteredModels(query) }
    func setRegisteredModelTag(name: String, tag: YardCore.Tag) async throws { try await base.setRegisteredModelTag(name: name, tag: tag) }
    func deleteRegisteredModelTag(name: String, key: String) async throws { try await base.deleteRegisteredModelTag(name: name, key: key) }
    func createModelVersion(_ version: ModelVersion, history: @escaping @Sendable (ModelVersion) -> [HistoryRecord], actor: String) async throws -> ModelVersion {
        try await base.createModelVersion(version, history: history, actor: actor)
    }
    func modelVersion(name: String, version: Int64) async throws -> ModelVersion { try await base.modelVersion(name: name, version: version) }
    func updateModelVersionDescription(name: String, version: Int64, description: String) async throws {
        try await base.updateModelVersionDescription(name: name, version: version, description: description)
    }
    func deleteModelVersion(name: String, version: Int64, policy: PolicyExpectation,
                            history: @escaping @Sendable ([String]) -> [HistoryRecord], actor: String) async throws {
        try await base.deleteModelVersion(name: name, version: version, policy: policy, history: history, actor: actor)
    }
    func transitionStage(name: String, version: Int64, to stage: ModelStage, archiveExisting: Bool,
                         history: @escaping @Sendable (StageTransition) -> [HistoryRecord], actor: String) async throws {
        try await base.transitionStage(name: name, version: version, to: stage, archiveExisting: archiveExisting, history: history, actor: actor)
    }
    func searchModelVersions(_ query: RegistryQuery) async throws -> Page<ModelVersion> { try await base.searchModelVersions(query) }
    func setModelVersionTag(name: String, version: Int64, tag: YardCore.Tag) async throws {
        try await base.setModelVersionTag(name: name, version: version, tag: tag)
    }
    func deleteModelVersionTag(name: String, version: Int64, key: String) async throws {
        try await base.deleteModelVersionTag(name: name, version: version, key: key)
    }
    func setAlias(name: String, alias: String, version: Int64, expected: AliasExpectation, policy: PolicyExpectation,
                  history: @escaping @Sendable (Int64?) -> [HistoryRecord], actor: String) async throws {
        try await base.setAlias(name: name, alias: alias, version: version, expected: expected, policy: policy, history: history, actor: actor)
    }
    func deleteAlias(name: String, alias: String, expected: AliasExpectation, policy: PolicyExpectation,
                     history: @escaping @Sendable (Int64) -> [HistoryRecord], actor: String) async throws {
        try await base.deleteAlias(name: name, alias: alias, expected: expected, policy: policy, history: history, actor: actor)
    }
    func setPolicy(name: String, document: String, history: [HistoryRecord], actor: String) async throws {
        try await base.setPolicy(name: name, document: document, history: history, actor: actor)
    }
    func policy(name: String) async throws -> String? {
        let document = try await base.policy(name: name)
        if interfereAfterPolicyRead { try await interfereOnce() }
        return document
    }
    func appendHistory(name: String, records: [HistoryRecord], actor: String) async throws {
        try await base.appendHistory(name: name, records: records, actor: actor)
    }
    func registeredModelId(name: String) async throws -> String? { try await base.registeredModelId(name: name) }
    func deletedModelIds(name: String) async throws -> [String] { try await base.deletedModelIds(name: name) }
    func history(modelId: String) async throws -> [ModelHistoryEntry] { try await base.history(modelId: modelId) }
}
