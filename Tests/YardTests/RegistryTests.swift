import Foundation
import Testing
import YardCore
@testable import YardRegistry
@testable import YardSQLite
@testable import YardStore
@testable import YardTracking

/// The registry domain on a real SQLite store: versions, aliases, gates, rollback, history, lineage.
@Suite("Model registry and promotion")
struct RegistryTests {
    let directory = TemporaryDirectory()

    struct Fixture {
        let tracking: TrackingService
        let registry: RegistryService
        let promotion: PromotionService
        let lineage: LineageService
        let models: LoggedModelService
    }

    func fixture() throws -> Fixture {
        let store = try makeStore(directory)
        return Fixture(
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

    @Test func allGatesPassMovesTheAlias() async throws {
        let f = try fixture()
        let v1 = try await version(f, metrics: ["accuracy": 0.92, "f1": 0.80])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.policy, actor: "ann")
        let decision = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: false, actor: "ann")
        #expect(decision.passed && decision.applied)
        #expect(decision.championVersion == nil)
        #expect(decision.gates.count == 2)
        #expect(decision.gates[1].detail.contains("no champion"))
        #expect(try await f.registry.version(name: "churn", alias: "production").version == v1.version)
    }

    @Test func aFailingGateRefusesAndLeavesTheAliasAlone() async throws {
        let f = try fixture()
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

    @Test func aMissingMetricIsARefusalNamingIt() async throws {
        let f = try fixture()
        let v1 = try await version(f, metrics: ["f1": 0.9])
        _ = try await f.promotion.setPolicy(name: "churn", document: Self.policy, actor: "ann")
        let decision = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: false, actor: "ann")
        #expect(!decision.applied)
        #expect(decision.gates.contains { !$0.passed && $0.detail.contains("metric 'accuracy' is missing") })
        await #expect(throws: YardError.self) { _ = try await f.registry.version(name: "churn", alias: "production") }
    }

    @Test func dryRunChangesNothing() async throws {
        let f = try fixture()
        let v1 = try await version(f, metrics: ["accuracy": 0.99, "f1": 0.9])
        let before = try await f.promotion.history(name: "churn").count
        let decision = try await f.promotion.promote(name: "churn", version: v1.version, alias: "production", dryRun: true, actor: "ann")
        #expect(decision.passed && !decision.applied)
        #expect(try await f.promotion.history(name: "churn").count == before)
        await #expect(throws: YardError.self) { _ = try await f.registry.version(name: "churn", alias: "production") }
    }

    @Test func requiredTagsDescriptionAndDatasets() async throws {
        let f = try fixture()
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

    @Test func rollbackWalksBackThroughAliasMoves() async throws {
        let f = try fixture()
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

    @Test func historyIsAppendOnlyAndOrdered() async throws {
        let f = try fixture()
        let v1 = try await version(f, metrics: [:])
        try await f.registry.setAlias(name: "churn", alias: "champion", version: String(v1.version), actor: "ann")
        _ = try await f.registry.transitionStage(name: "churn", version: String(v1.version), stage: "production", archiveExisting: false, actor: "ann")
        try await f.registry.deleteVersion(name: "churn", version: String(v1.version), actor: "ann")
        let actions = try await f.promotion.history(name: "churn").map(\.action)
        #expect(actions == ["version_created", "alias_set", "stage_changed", "version_deleted"])
        let sequences = try await f.promotion.history(name: "churn").map(\.sequence)
        #expect(sequences == sequences.sorted())

        let store = try SQLiteStore(path: directory.file("yard.db"))
        await #expect(throws: (any Error).self) {
            try await store.write { db in try db.execute(sql: "DELETE FROM model_history") }
        }
        await #expect(throws: (any Error).self) {
            try await store.write { db in try db.execute(sql: "UPDATE model_history SET actor = 'mallory'") }
        }
    }

    @Test func policyErrorsNameTheLineAndKeepTheOldPolicy() async throws {
        let f = try fixture()
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

    @Test func aliasRulesAndUnknownNames() async throws {
        let f = try fixture()
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

    @Test func lineageFollowsVersionToRunAndDatasets() async throws {
        let f = try fixture()
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

    @Test func loggedModelsAreFoundByNameAndCollectTheirMetrics() async throws {
        let f = try fixture()
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
}
