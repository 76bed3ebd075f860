import GRDB
import YardCore
import YardStore

/// Reads the web UI's overview pages need: run counts per experiment, the column keys of an experiment's
/// runs, and whole metric histories for charts. Reads only; each is one statement per kind.
extension SQLiteStore {
    public func experimentActivity() async throws -> [ExperimentActivity] {
        try await read { db in
            // Walks runs_by_experiment; 10,000 runs are a few milliseconds.
            let sql = """
                SELECT experiment_id,
                       SUM(lifecycle_stage = 'active'), SUM(lifecycle_stage != 'active'),
                       MAX(MAX(COALESCE(start_time, 0), COALESCE(end_time, 0)))
                FROM runs GROUP BY experiment_id
                """
            return try Row.fetchAll(db, sql: sql).map { row in
                let last: Int64 = row[3] ?? 0
                return ExperimentActivity(experimentId: String(row[0] as Int64), activeRuns: row[1], deletedRuns: row[2],
                                          lastActivity: last > 0 ? last : nil)
            }
        }
    }

    public func runColumnKeys(experimentIds: [String]) async throws -> RunColumnKeys {
        let ids = experimentIds.compactMap { Int64($0) }
        guard !ids.isEmpty else { return RunColumnKeys(params: [], metrics: [], tags: []) }
        return try await read { db in
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            func keys(_ table: String) throws -> [String] {
                try String.fetchAll(db, sql: """
                    SELECT DISTINCT c.key FROM runs r JOIN \(table) c ON c.run_uuid = r.run_uuid
                    WHERE r.experiment_id IN (\(placeholders)) ORDER BY c.key
                    """, arguments: StatementArguments(ids))
            }
            return RunColumnKeys(params: try keys("params"), metrics: try keys("latest_metrics"), tags: try keys("tags"))
        }
    }

    public func metricSeries(runIds: [String], key: String) async throws -> [String: [Metric]] {
        guard !runIds.isEmpty else { return [:] }
        return try await read { db in
            var series: [String: [Metric]] = [:]
            // One primary-key range per run: (run_uuid, key) leads the metrics key.
            let statement = try db.cachedStatement(sql: """
                SELECT key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest FROM metrics
                WHERE run_uuid = ? AND key = ?
                """)
            for runId in Set(runIds) {
                var points = try Row.fetchAll(statement, arguments: [runId, key]).map { Self.metric($0) }
                guard !points.isEmpty else { continue }
                points.sort { ($0.step, $0.timestamp) < ($1.step, $1.timestamp) }
                series[runId] = points
            }
            return series
        }
    }
}
