import Foundation
import Testing
import YardCore
@testable import YardPostgres
@testable import YardRegistry
@testable import YardSQLite
@testable import YardStore
@testable import YardTracking

/// `yard db copy`: a SQLite store with real content copied into a fresh PostgreSQL schema, then read back
/// through the PostgreSQL store's own protocols and compared with what SQLite answers.
@Suite(.enabled(if: PostgresTestCluster.isConfigured, "needs YARD_TEST_POSTGRES_URL"))
struct DatabaseCopyTests {
    let sourceDirectory = TemporaryDirectory()
    let targetDirectory = TemporaryDirectory()

    struct Content {
        let runIds: [String]
        let deletedExperimentId: String
    }

    /// Experiments (one deleted), runs with params, tags and many metric points (NaN, ±inf, -0.0), a
    /// registered model with versions, an alias and promotion history.
    func fill(_ store: SQLiteStore) async throws -> Content {
        try store.ensureDefaultExperiment(artifactLocation: "mlflow-artifacts:/0")
        let tracking = TrackingService(store: store, defaultArtifactRoot: "mlflow-artifacts:/")
        let registry = RegistryService(registry: store, tracking: store)
        let kept = try await tracking.createExperiment(name: "kept", artifactLocation: nil, tags: [Tag(key: "team", value: "a")])
        let deleted = try await tracking.createExperiment(name: "gone", artifactLocation: nil, tags: [])
        var runIds: [String] = []
        for index in 0..<3 {
            let run = try await tracking.createRun(experimentId: index == 2 ? deleted : kept, userId: "ann", runName: "run-\(index)",
                                                   startTime: 1000 + Int64(index), tags: [Tag(key: "kind", value: "k\(index)")])
            var metrics = (0..<700).map { Metric(key: "loss", value: 1.0 / Double($0 + 1), timestamp: Int64($0), step: Int64($0)) }
            metrics += [.nan, .infinity, -.infinity, -0.0].enumerated().map {
                Metric(key: "odd", value: $0.element, timestamp: 5, step: Int64($0.offset))
            }
            try await tracking.logBatch(runId: run.info.runId, metrics: metrics,
                                        params: [Param(key: "lr", value: "0.\(index)")], tags: [Tag(key: "note", value: "é \(index)")])
            runIds.append(run.info.runId)
        }
        try await tracking.deleteExperiment(id: deleted)
        _ = try await registry.createModel(name: "churn", description: "d", tags: [], userId: nil)
        for runId in runIds.prefix(2) {
            _ = try await registry.createVersion(name: "churn", source: "runs:/\(runId)/model", runId: runId, modelId: nil,
                                                 tags: [Tag(key: "v", value: runId)], runLink: nil, description: nil, userId: nil, actor: "ci")
        }
        try await registry.setAlias(name: "churn", alias: "champion", version: "1", actor: "ci")
        try await registry.setAlias(name: "churn", alias: "champion", version: "2", actor: "ci")
        return Content(runIds: runIds, deletedExperimentId: deleted)
    }

    func target() async throws -> PostgresStore {
        try await PostgresStore(url: try PostgresTestCluster.storeURL(for: targetDirectory))
    }

    static func bits(_ page: Page<Metric>) -> [String] {
        page.items.map { "\($0.key) \($0.step) \($0.timestamp) \($0.value.bitPattern)" }
    }

    @Test func copiedStoreAnswersLikeTheSource() async throws {
        let source = try SQLiteStore(path: sourceDirectory.file("yard.db"))
        let content = try await fill(source)
        let target = try await target()
        defer { target.close() }
        // A server's start-up default experiment in the target is tolerated and replaced by the source's.
        try await target.ensureDefaultExperiment(artifactLocation: "elsewhere:/0")

        let export = try SQLiteTableExport.openReadOnly(path: sourceDirectory.file("yard.db"))
        let tables = try await target.importTables(from: export)
        let counts = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0.rows) })
        #expect(counts["metrics"] == 3 * 704)
        #expect(counts["experiments"] == 3)
        #expect(counts["model_versions"] == 2)
        #expect((counts["model_history"] ?? 0) >= 2)
        // The planner knows what arrived: statistics were gathered in the copy, not left to autovacuum.
        let estimated = try await target.read { pg in
            try await pg.first("SELECT reltuples::bigint AS n FROM pg_class WHERE oid = to_regclass('metrics')")?.int64("n")
        }
        #expect(estimated == Int64(counts["metrics"] ?? -1), "planner's row count for metrics: \(String(describing: estimated))")

        let sourceTracking = TrackingService(store: source, defaultArtifactRoot: "mlflow-artifacts:/")
        let targetTracking = TrackingService(store: target, defaultArtifactRoot: "mlflow-artifacts:/")
        for viewType in [ViewType.activeOnly, .all] {
            let query = { (t: TrackingService) in
                try await t.searchRuns(experimentIds: ["1", content.deletedExperimentId], filter: nil, orderBy: ["params.lr DESC"],
                                       viewType: viewType, maxResults: 100, pageToken: nil)
            }
            let expected = try await query(sourceTracking)
            let copied = try await query(targetTracking)
            #expect(copied.items.map(\.info) == expected.items.map(\.info))
            #expect(copied.items.map(\.params) == expected.items.map(\.params))
            #expect(copied.items.map(\.tags) == expected.items.map(\.tags))
        }
        for runId in content.runIds {
            for key in ["loss", "odd"] {
                let expected = try await sourceTracking.metricHistory(runId: runId, key: key, maxResults: nil, pageToken: nil)
                let copied = try await targetTracking.metricHistory(runId: runId, key: key, maxResults: nil, pageToken: nil)
                #expect(Self.bits(copied) == Self.bits(expected))
                #expect(!copied.items.isEmpty)
            }
        }
        let sourceRegistry = RegistryService(registry: source, tracking: source)
        let targetRegistry = RegistryService(registry: target, tracking: target)
        for version in ["1", "2"] {
            #expect(try await targetRegistry.version(name: "churn", version: version) == sourceRegistry.version(name: "churn", version: version))
        }
        #expect(try await targetRegistry.version(name: "churn", alias: "champion").version == 2)
        let sourceHistory = try await PromotionService(registry: source, tracking: source).history(name: "churn")
        let targetHistory = try await PromotionService(registry: target, tracking: target).history(name: "churn")
        #expect(targetHistory == sourceHistory)

        // Sequences moved past the copied ids: new writes get fresh ones.
        let newExperiment = try await targetTracking.createExperiment(name: "after-copy", artifactLocation: nil, tags: [])
        #expect(Int(newExperiment)! > Int(content.deletedExperimentId)!)
        let newVersion = try await targetRegistry.createVersion(name: "churn", source: "runs:/\(content.runIds[2])/model", runId: content.runIds[2],
                                                                modelId: nil, tags: [], runLink: nil, description: nil, userId: nil, actor: "ci")
        #expect(newVersion.version == 3)
        try await targetRegistry.setAlias(name: "churn", alias: "champion", version: "3", actor: "ci")
        #expect(try await PromotionService(registry: target, tracking: target).history(name: "churn").count > targetHistory.count)

        // A second copy into the now non-empty target is refused and leaves it as it is.
        let again = try SQLiteTableExport.openReadOnly(path: sourceDirectory.file("yard.db"))
        let error = await #expect(throws: YardError.self) { _ = try await target.importTables(from: again) }
        #expect(error?.message.contains("already holds data") == true)
        #expect(try await targetRegistry.version(name: "churn", version: "3").version == 3)
    }

    @Test func aRowChangedOnTheWayInFailsTheDigestAndCommitsNothing() async throws {
        let source = try SQLiteStore(path: sourceDirectory.file("yard.db"))
        _ = try await fill(source)
        let target = try await target()
        defer { target.close() }
        // Stands in for a lossy conversion: PostgreSQL alters one param as it is stored.
        try await target.write { pg in
            try await pg.execute("""
                CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.value := NEW.value || '!'; RETURN NEW; END $$
                """)
            try await pg.execute("CREATE TRIGGER tamper BEFORE INSERT ON params FOR EACH ROW EXECUTE FUNCTION tamper()")
        }
        let export = try source.tableExport()
        let error = await #expect(throws: YardError.self) { _ = try await target.importTables(from: export) }
        #expect(error?.message.contains("Table params differs") == true)
        #expect(error?.message.contains("value") == true)
        let runs = try await target.read { pg in try await pg.first("SELECT count(*) AS n FROM runs")?.int64("n") }
        #expect(runs == 0)
    }
}
