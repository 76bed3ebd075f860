import Foundation
import Testing
import YardCore
import YardStore
@testable import YardPostgres

/// The run search's SQL on PostgreSQL keeps to its indexes at a realistic size: 20 experiments of 1,000
/// runs, each with three params, a tag and two metrics, analysed, then EXPLAIN of the statements the
/// store sends. A plan that falls back to reading a whole table fails here, before a team notices it in
/// production.
@Suite("PostgreSQL search plans", .enabled(if: PostgresTestCluster.isConfigured))
struct PostgresSearchPlanTests {
    static func populated() async throws -> (PostgresStore, TemporaryDirectory) {
        let directory = TemporaryDirectory()
        let store = try await PostgresTestCluster.store(for: directory)
        // Plain autocommit statements, not the store's SERIALIZABLE writes: 100,000 rows read through foreign
        // keys would take predicate locks enough to exhaust the lock table shared with concurrent tests.
        try await store.withConnection { connection in
            let pg = PGConnection(connection: connection, logger: store.logger)
            _ = try await pg.execute("""
                INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                SELECT e, 'plan-' || e, 'mlflow-artifacts:/' || e, 'active', 0, 0 FROM generate_series(1, 20) e
                """)
            _ = try await pg.execute("""
                INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
                SELECT md5(i::text), 1 + i % 20, 'run-' || i, 'ci', 'FINISHED', 1700000000000 + i, NULL, 'a', 'active'
                FROM generate_series(1, 20000) i
                """)
            _ = try await pg.execute("""
                INSERT INTO params (run_uuid, key, value)
                SELECT md5(i::text), k, (i % 1000)::text FROM generate_series(1, 20000) i, unnest(ARRAY['lr', 'depth', 'seed']) k
                """)
            _ = try await pg.execute("""
                INSERT INTO tags (run_uuid, key, value) SELECT md5(i::text), 'team', 'team-' || (i % 500) FROM generate_series(1, 20000) i
                """)
            _ = try await pg.execute("""
                INSERT INTO latest_metrics (run_uuid, key, timestamp, step, value, is_nan)
                SELECT md5(i::text), k, 0, 0, (i % 10007) / 10007.0, 0 FROM generate_series(1, 20000) i, unnest(ARRAY['acc', 'loss']) k
                """)
            _ = try await pg.execute("ANALYZE")
        }
        return (store, directory)
    }

    static func plan(_ store: PostgresStore, _ query: RunQuery) async throws -> String {
        var statement = PGStatement("EXPLAIN ")
        statement.append(try PGRunSearchSQL.selectIds(query, limit: 101, offset: 0))
        let explain = statement
        return try await store.read { pg in
            try await pg.query(explain).map { try $0.string("QUERY PLAN") }.joined(separator: "\n")
        }
    }

    static let everyExperiment = (1...20).map(String.init)

    @Test func searchesUseTheirIndexes() async throws {
        let (store, directory) = try await Self.populated()
        defer { store.close(); _ = directory }
        let cases: [(String, RunQuery, String)] = [
            ("the default listing of one experiment", RunQuery(experimentIds: ["7"], maxResults: 100), "runs_by_experiment"),
            ("a param equality across every experiment",
             RunQuery(experimentIds: Self.everyExperiment,
                      filter: [SearchClause(entity: .param, key: "lr", comparator: .equal, value: .string("7"))]),
             "params_by_key"),
            ("a tag equality across every experiment",
             RunQuery(experimentIds: Self.everyExperiment,
                      filter: [SearchClause(entity: .tag, key: "team", comparator: .equal, value: .string("team-3"))]),
             "tags_by_key"),
            ("a selective metric range across every experiment",
             RunQuery(experimentIds: Self.everyExperiment,
                      filter: [SearchClause(entity: .metric, key: "acc", comparator: .greater, value: .number(0.999))]),
             "latest_metrics_by_key"),
        ]
        for (label, query, index) in cases {
            let plan = try await Self.plan(store, query)
            #expect(plan.contains(index), "\(label) does not use \(index):\n\(plan)")
            #expect(!plan.contains("Seq Scan on runs"), "\(label) reads the whole runs table:\n\(plan)")
        }
    }
}
