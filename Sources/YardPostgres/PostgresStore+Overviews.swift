import YardCore
import YardStore

/// Reads the web UI's overview pages need: run counts per experiment, the column keys of an experiment's
/// runs, and whole metric histories for charts, as the SQLite store answers them.
extension PostgresStore {
    public func experimentActivity() async throws -> [ExperimentActivity] {
        try await read { pg in
            try await pg.query("""
                SELECT experiment_id,
                       COUNT(*) FILTER (WHERE lifecycle_stage = 'active') AS active_runs,
                       COUNT(*) FILTER (WHERE lifecycle_stage <> 'active') AS deleted_runs,
                       MAX(GREATEST(COALESCE(start_time, 0), COALESCE(end_time, 0))) AS last_activity
                FROM runs GROUP BY experiment_id ORDER BY experiment_id
                """).map { row in
                let last = try row.optionalInt64("last_activity") ?? 0
                return ExperimentActivity(experimentId: String(try row.int64("experiment_id")), activeRuns: try row.int("active_runs"),
                                          deletedRuns: try row.int("deleted_runs"), lastActivity: last > 0 ? last : nil)
            }
        }
    }

    /// Two plans, chosen as the SQLite store chooses: when the experiments hold at least half of the runs,
    /// the distinct keys are walked off each table's key index (a loose index scan written as a recursive
    /// "next key after this one", one index seek per distinct key), each kept if one of its rows belongs to
    /// the experiments; otherwise every row of the experiments' runs is read, the cheaper side then.
    public func runColumnKeys(experimentIds: [String]) async throws -> RunColumnKeys {
        let ids = experimentIds.compactMap { Int64($0) }
        guard !ids.isEmpty else { return RunColumnKeys(params: [], metrics: [], tags: []) }
        return try await read { pg in
            let experiments = PGValue.intArray(ids)
            let ours = try await pg.first("SELECT COUNT(*) AS n FROM runs WHERE experiment_id = ANY(?::bigint[])", [experiments])?.int64("n") ?? 0
            let all = try await pg.first("SELECT COUNT(*) AS n FROM runs")?.int64("n") ?? 0
            let walkKeyIndex = ours * 2 >= all
            func keys(_ table: String) async throws -> [String] {
                if walkKeyIndex {
                    return try await pg.query("""
                        WITH RECURSIVE k(key) AS (
                            SELECT (SELECT MIN(key) FROM \(table))
                            UNION ALL
                            SELECT (SELECT MIN(c.key) FROM \(table) c WHERE c.key > k.key) FROM k WHERE k.key IS NOT NULL
                        )
                        SELECT k.key FROM k WHERE k.key IS NOT NULL AND EXISTS (
                            SELECT 1 FROM \(table) c JOIN runs r ON r.run_uuid = c.run_uuid
                            WHERE c.key = k.key AND r.experiment_id = ANY(?::bigint[]))
                        ORDER BY k.key
                        """, [experiments]).map { try $0.string("key") }
                }
                return try await pg.query("""
                    SELECT DISTINCT c.key FROM runs r JOIN \(table) c ON c.run_uuid = r.run_uuid
                    WHERE r.experiment_id = ANY(?::bigint[]) ORDER BY c.key
                    """, [experiments]).map { try $0.string("key") }
            }
            return RunColumnKeys(params: try await keys("params"), metrics: try await keys("latest_metrics"), tags: try await keys("tags"))
        }
    }

    public func metricSeries(runIds: [String], key: String) async throws -> [String: [Metric]] {
        guard !runIds.isEmpty else { return [:] }
        return try await read { pg in
            var series: [String: [Metric]] = [:]
            // (step, timestamp, value, is_nan): the SQLite store's order, a stable sort by (step, timestamp)
            // of rows read in its primary-key order (timestamp, step, value, is_nan).
            for row in try await pg.query("""
                SELECT run_uuid, \(Self.metricColumns) FROM metrics WHERE run_uuid = ANY(?::text[]) AND key = ?
                ORDER BY run_uuid, step, timestamp, value, is_nan
                """, [.textArray(Array(Set(runIds))), .text(key)]) {
                series[try row.string("run_uuid"), default: []].append(try Self.metric(row))
            }
            return series
        }
    }
}
