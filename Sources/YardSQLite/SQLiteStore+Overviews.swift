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

    /// Two plans, chosen by how much of the store the experiments hold. When they hold at least half of the
    /// runs (the usual case: one big experiment), the distinct keys are walked straight off each table's
    /// key index (one index seek per distinct key, 12,000 keys in milliseconds) and each key is kept if one
    /// of its rows belongs to the experiments; a key only other experiments use costs at most their rows,
    /// which are then fewer than ours. Otherwise every row of the experiments' runs is read, which for a
    /// small experiment is the cheaper side.
    public func runColumnKeys(experimentIds: [String]) async throws -> RunColumnKeys {
        let ids = experimentIds.compactMap { Int64($0) }
        guard !ids.isEmpty else { return RunColumnKeys(params: [], metrics: [], tags: []) }
        return try await read { db in
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let arguments = StatementArguments(ids)
            let ours = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE experiment_id IN (\(placeholders))", arguments: arguments) ?? 0
            let all = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs") ?? 0
            let walkKeyIndex = ours * 2 >= all
            func keys(_ table: String) throws -> [String] {
                if walkKeyIndex {
                    // A recursive "next key after this one" walk: SQLite has no loose index scan of its own.
                    return try String.fetchAll(db, sql: """
                        WITH RECURSIVE k(key) AS (
                            SELECT (SELECT MIN(key) FROM \(table))
                            UNION ALL
                            SELECT (SELECT MIN(key) FROM \(table) WHERE key > k.key) FROM k WHERE k.key IS NOT NULL
                        )
                        SELECT key FROM k WHERE key IS NOT NULL AND EXISTS (
                            SELECT 1 FROM \(table) c CROSS JOIN runs r
                            WHERE c.key = k.key AND r.run_uuid = c.run_uuid AND r.experiment_id IN (\(placeholders)))
                        """, arguments: arguments)
                }
                return try String.fetchAll(db, sql: """
                    SELECT DISTINCT c.key FROM runs r JOIN \(table) c ON c.run_uuid = r.run_uuid
                    WHERE r.experiment_id IN (\(placeholders)) ORDER BY c.key
                    """, arguments: arguments)
            }
            return RunColumnKeys(params: try keys("params"), metrics: try keys("latest_metrics"), tags: try keys("tags"))
        }
    }

    /// Tags had no index by key; `runColumnKeys` walks one (params and latest metrics have theirs).
    static func registerOverviewMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-tracking-tags-by-key") { db in
            try db.execute(sql: "CREATE INDEX tags_by_key ON tags(key)")
        }
    }

    public func metricSeries(runIds: [String], key: String) async throws -> [String: [Metric]] {
        guard !runIds.isEmpty else { return [:] }
        return try await read { db in
            var series: [String: [Metric]] = [:]
            // One primary-key range per run: (run_uuid, key) leads the metrics key. A run page may read
            // 100,000 points of one key, so rows go through a cursor read column by column, the key
            // string is shared rather than decoded per row, and the sort runs only when timestamps
            // disagree with steps.
            let statement = try db.cachedStatement(sql: """
                SELECT value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest FROM metrics
                WHERE run_uuid = ? AND key = ?
                """)
            for runId in Set(runIds) {
                var points: [Metric] = []
                var ordered = true
                let rows = try Row.fetchCursor(statement, arguments: [runId, key])
                while let row = try rows.next() {
                    let isNaN: Bool = row[1]
                    let timestamp: Int64 = row[2]
                    let step: Int64 = row[3]
                    let point = Metric(
                        key: key, value: isNaN ? .nan : row[0], timestamp: timestamp, step: step,
                        modelId: row.hasNull(atIndex: 4) ? nil : row[4],
                        datasetName: row.hasNull(atIndex: 5) ? nil : row[5],
                        datasetDigest: row.hasNull(atIndex: 6) ? nil : row[6])
                    if let last = points.last, (last.step, last.timestamp) > (step, timestamp) { ordered = false }
                    points.append(point)
                }
                guard !points.isEmpty else { continue }
                if !ordered { points.sort { ($0.step, $0.timestamp) < ($1.step, $1.timestamp) } }
                series[runId] = points
            }
            return series
        }
    }
}
