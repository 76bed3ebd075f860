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
    /// `analyse: false` leaves the tables as a bulk load does until autovacuum comes round (a minute later).
    static func populated(analyse: Bool = true) async throws -> (PostgresStore, TemporaryDirectory) {
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
                SELECT md5(i::text), k, CASE k WHEN 'depth' THEN (i % 5)::text ELSE (i % 1000)::text END
                FROM generate_series(1, 20000) i, unnest(ARRAY['lr', 'depth', 'seed']) k
                """)
            _ = try await pg.execute("""
                INSERT INTO tags (run_uuid, key, value) SELECT md5(i::text), 'team', 'team-' || (i % 500) FROM generate_series(1, 20000) i
                """)
            _ = try await pg.execute("""
                INSERT INTO latest_metrics (run_uuid, key, timestamp, step, value, is_nan)
                SELECT md5(i::text), k, 0, 0, (i % 10007) / 10007.0, 0 FROM generate_series(1, 20000) i, unnest(ARRAY['acc', 'loss']) k
                """)
            if analyse {
                _ = try await pg.execute("ANALYZE")
            } else {
                // Autovacuum would analyse them within a minute, sometimes during the test: keep them blind.
                for table in PlannerStatistics.searchTables {
                    _ = try await pg.execute("ALTER TABLE \(table) SET (autovacuum_enabled = false)")
                }
            }
        }
        return (store, directory)
    }

    /// EXPLAIN of the page's id query; `executed` runs it too (EXPLAIN ANALYZE), with the rows each step read.
    static func plan(_ store: PostgresStore, _ query: RunQuery, executed: Bool = false) async throws -> String {
        var statement = PGStatement(executed ? "EXPLAIN ANALYZE " : "EXPLAIN ")
        statement.append(try PGRunSearchSQL.selectIds(query, limit: query.maxResults + 1, offset: 0))
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

    /// A common value (a fifth of all runs) searched right after a bulk load, before any statistics: the
    /// plan once joined each run to every param row with that value (millions of rows filtered, seconds).
    /// The store's search analyses such tables first (`PlannerStatistics`), so the plan that follows is sane.
    @Test func aSearchBeforeStatisticsDoesNotJoinEveryRunToEveryMatch() async throws {
        let (store, directory) = try await Self.populated(analyse: false)
        defer { store.close(); _ = directory }
        let query = RunQuery(experimentIds: ["7"],
                             filter: [SearchClause(entity: .metric, key: "loss", comparator: .less, value: .number(0.5)),
                                      SearchClause(entity: .param, key: "depth", comparator: .equal, value: .string("1"))],
                             orderBy: [SearchOrder(entity: .metric, key: "loss", ascending: false)], maxResults: 1000)
        // Experiment 7 holds the runs i with i % 20 == 6, whose depth (i % 5) is 1: all of them, and 4,000 runs
        // in all have depth 1. The fixture's formulas say which have a loss under 0.5.
        let expected = (1...20_000).filter { $0 % 20 == 6 && Double($0 % 10_007) / 10_007.0 < 0.5 }.count
        #expect(try await store.searchRuns(query).items.count == expected)
        let plan = try await Self.plan(store, query, executed: true)
        let filtered = plan.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "Rows Removed by Join Filter: ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(filtered.allSatisfy { $0 < 100_000 }, "a join filters \(filtered.max() ?? 0) rows:\n\(plan)")
        #expect(!plan.contains("Seq Scan on runs"), "reads the whole runs table:\n\(plan)")
    }
}
