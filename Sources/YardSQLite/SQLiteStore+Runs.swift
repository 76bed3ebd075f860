import Foundation
import GRDB
import YardStore
import YardCore

extension SQLiteStore {
    public func createRun(_ info: RunInfo, tags: [Tag]) async throws {
        guard let experimentNumber = Self.parseExperimentNumber(info.experimentId) else {
            throw TrackingStoreError.experimentNotFound(id: info.experimentId)
        }
        try await write { db in
            // Only the stage is needed here; cached statements, as creating runs is the ingest hot path.
            let stageQuery = try db.cachedStatement(sql: "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?")
            guard let stageName = try String.fetchOne(stageQuery, arguments: [experimentNumber]) else {
                throw TrackingStoreError.experimentNotFound(id: info.experimentId)
            }
            let stage = LifecycleStage(rawValue: stageName) ?? .active
            guard stage == .active else {
                throw TrackingStoreError.experimentNotActive(id: String(experimentNumber), stage: stage)
            }
            try db.cachedStatement(sql: """
                INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active')
                """).execute(arguments: [info.runId, experimentNumber, info.runName, info.userId, info.status.rawValue,
                                         info.startTime, info.endTime, info.artifactUri])
            try Self.upsertTags(db, runId: info.runId, tags: tags)
        }
    }

    public func run(id: String) async throws -> Run {
        try await read { db in
            guard let run = try Self.loadRuns(db, ids: [id]).first else {
                throw TrackingStoreError.runNotFound(id: id)
            }
            return run
        }
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) async throws -> RunInfo {
        try await write { db in
            var info = try Self.requireActiveRun(db, id)
            if let status { info.status = status }
            if let endTime { info.endTime = endTime }
            if let runName, !runName.isEmpty {
                info.runName = runName
                try Self.upsertTags(db, runId: id, tags: [Tag(key: ReservedTags.runName, value: runName)])
            }
            try db.cachedStatement(sql: "UPDATE runs SET status = ?, end_time = ?, name = ? WHERE run_uuid = ?")
                .execute(arguments: [info.status.rawValue, info.endTime, info.runName, id])
            return info
        }
    }

    public func setRunLifecycle(id: String, to stage: LifecycleStage) async throws {
        try await write { db in
            guard try Self.loadRunInfo(db, id) != nil else {
                throw TrackingStoreError.runNotFound(id: id)
            }
            try db.execute(sql: "UPDATE runs SET lifecycle_stage = ? WHERE run_uuid = ?", arguments: [stage.rawValue, id])
        }
    }

    public func logBatch(runId: String, metrics: [Metric], params: [Param], tags: [Tag]) async throws {
        try await write { db in
            _ = try Self.requireActiveRun(db, runId)
            try Self.insertParams(db, runId: runId, params: params)
            try Self.insertMetrics(db, runId: runId, metrics: metrics)
            try Self.attachMetricsToLoggedModels(db, runId: runId, metrics: metrics)
            try Self.upsertTags(db, runId: runId, tags: tags)
        }
    }

    public func deleteRunTag(runId: String, key: String) async throws {
        try await write { db in
            _ = try Self.requireActiveRun(db, runId)
            try db.execute(sql: "DELETE FROM tags WHERE run_uuid = ? AND key = ?", arguments: [runId, key])
            if db.changesCount == 0 {
                throw TrackingStoreError.runTagNotFound(runId: runId, key: key)
            }
        }
    }

    public func logInputs(runId: String, datasets: [DatasetInput], modelIds: [String]) async throws {
        try await write { db in
            let info = try Self.requireActiveRun(db, runId)
            let experimentNumber = Self.parseExperimentNumber(info.experimentId) ?? -1
            var position = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), -1) + 1 FROM run_dataset_inputs WHERE run_uuid = ?", arguments: [runId]) ?? 0
            for input in datasets {
                let dataset = input.dataset
                // Datasets are shared per experiment by (name, digest), as MLflow does.
                let datasetId: String
                if let existing = try String.fetchOne(db, sql: "SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?",
                                                      arguments: [experimentNumber, dataset.name, dataset.digest]) {
                    datasetId = existing
                } else {
                    datasetId = Identifiers.newRunId()
                    try db.execute(
                        sql: """
                            INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [datasetId, experimentNumber, dataset.name, dataset.digest, dataset.sourceType,
                                    dataset.source, dataset.schema, dataset.profile])
                }
                try db.execute(sql: "INSERT OR IGNORE INTO run_dataset_inputs (run_uuid, dataset_uuid, position) VALUES (?, ?, ?)",
                               arguments: [runId, datasetId, position])
                position += 1
                for tag in input.tags {
                    try db.execute(sql: "INSERT OR REPLACE INTO run_dataset_input_tags (run_uuid, dataset_uuid, key, value) VALUES (?, ?, ?, ?)",
                                   arguments: [runId, datasetId, tag.key, tag.value])
                }
            }
            for modelId in modelIds {
                try db.execute(sql: "INSERT OR IGNORE INTO run_model_inputs (run_uuid, model_id) VALUES (?, ?)", arguments: [runId, modelId])
            }
        }
    }

    public func logOutputs(runId: String, models: [ModelOutput]) async throws {
        try await write { db in
            _ = try Self.requireActiveRun(db, runId)
            for model in models {
                try db.execute(sql: "INSERT OR IGNORE INTO run_model_outputs (run_uuid, model_id, step) VALUES (?, ?, ?)",
                               arguments: [runId, model.modelId, model.step])
            }
        }
    }

    public func metricHistory(runId: String, key: String, maxResults: Int, pageToken: String?) async throws -> Page<Metric> {
        let window = try PageWindow(token: pageToken, requested: maxResults, cap: Validation.maxMetricHistoryResults)
        return try await read { db in
            guard try Self.loadRunInfo(db, runId) != nil else {
                throw TrackingStoreError.runNotFound(id: runId)
            }
            let sql = """
                SELECT key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest FROM metrics
                WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step, value LIMIT ? OFFSET ?
                """
            let metrics = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [runId, key, window.fetchLimit, window.offset]).map { Self.metric($0) }
            return window.page(metrics)
        }
    }

    // MARK: Writes inside a transaction

    static func requireActiveRun(_ db: Database, _ id: String) throws -> RunInfo {
        guard let info = try loadRunInfo(db, id) else {
            throw TrackingStoreError.runNotFound(id: id)
        }
        if info.lifecycleStage != .active {
            throw TrackingStoreError.runNotActive(id: id, stage: info.lifecycleStage)
        }
        return info
    }

    static func upsertTags(_ db: Database, runId: String, tags: [Tag]) throws {
        guard !tags.isEmpty else { return }
        let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (?, ?, ?)")
        for tag in tags {
            try statement.execute(arguments: [runId, tag.key, tag.value])
            if tag.key == ReservedTags.runName {
                try db.execute(sql: "UPDATE runs SET name = ? WHERE run_uuid = ?", arguments: [tag.value, runId])
            }
        }
    }

    /// Params are write-once: the same value again is a no-op, a different one is refused and the
    /// whole batch with it (the transaction rolls back).
    static func insertParams(_ db: Database, runId: String, params: [Param]) throws {
        guard !params.isEmpty else { return }
        let insert = try db.cachedStatement(sql: "INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        let existing = try db.cachedStatement(sql: "SELECT value FROM params WHERE run_uuid = ? AND key = ?")
        for param in params {
            try insert.execute(arguments: [runId, param.key, param.value])
            if db.changesCount == 0, let old = try String.fetchOne(existing, arguments: [runId, param.key]), old != param.value {
                throw TrackingStoreError.paramValueChanged(runId: runId, key: param.key, oldValue: old, newValue: param.value)
            }
        }
    }

    /// Rows per multi-row INSERT: 100 x 9 parameters stays under SQLite's oldest variable limit (999).
    static let metricRowsPerInsert = 100

    /// `INSERT OR IGNORE` of `count` metric rows in one statement, for counts 1...metricRowsPerInsert.
    /// OR IGNORE still applies row by row, so a duplicate point is skipped exactly as with one row per
    /// statement; the batch costs one statement execution per hundred points instead of one per point.
    private static let insertMetricRowsSQL: [String] = (0...metricRowsPerInsert).map { count in
        "INSERT OR IGNORE INTO metrics (run_uuid, key, timestamp, step, value, is_nan, model_id, dataset_name, dataset_digest) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
    }

    static func insertMetrics(_ db: Database, runId: String, metrics: [Metric]) throws {
        guard !metrics.isEmpty else { return }
        let runIdValue = runId.databaseValue
        for start in stride(from: 0, to: metrics.count, by: metricRowsPerInsert) {
            let rows = metrics[start..<min(start + metricRowsPerInsert, metrics.count)]
            var values: [DatabaseValue] = []
            values.reserveCapacity(rows.count * 9)
            for metric in rows { appendMetricRow(metric, runId: runIdValue, to: &values) }
            try db.cachedStatement(sql: insertMetricRowsSQL[rows.count]).execute(arguments: StatementArguments(values))
        }
        // Which point is a key's latest is the domain's rule (`Metric.supersedes`); the store only keeps
        // the winner, read and replaced inside this transaction.
        let current = try db.cachedStatement(sql: """
            SELECT key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest
            FROM latest_metrics WHERE run_uuid = ? AND key = ?
            """)
        let replace = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO latest_metrics (run_uuid, key, timestamp, step, value, is_nan, model_id, dataset_name, dataset_digest)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for metric in Metric.latestPerKey(metrics) {
            if let stored = try Row.fetchOne(current, arguments: [runId, metric.key]).map({ Self.metric($0) }),
               !metric.supersedes(stored) {
                continue
            }
            try replace.execute(arguments: metricArguments(runId, metric))
        }
    }

    /// A metric's row (`run_uuid` first): NaN is kept as value 0 with `is_nan`, infinities clamped.
    private static func appendMetricRow(_ metric: Metric, runId: DatabaseValue, to values: inout [DatabaseValue]) {
        let isNaN = metric.value.isNaN
        values.append(runId)
        values.append(metric.key.databaseValue)
        values.append(metric.timestamp.databaseValue)
        values.append(metric.step.databaseValue)
        values.append((isNaN ? 0 : Validation.clampedMetricValue(metric.value)).databaseValue)
        values.append((isNaN ? 1 : 0).databaseValue)
        values.append(metric.modelId.databaseValue)
        values.append(metric.datasetName.databaseValue)
        values.append(metric.datasetDigest.databaseValue)
    }

    private static func metricArguments(_ runId: String, _ metric: Metric) -> StatementArguments {
        var values: [DatabaseValue] = []
        values.reserveCapacity(9)
        appendMetricRow(metric, runId: runId.databaseValue, to: &values)
        return StatementArguments(values)
    }

    // MARK: Reads

    static let runColumns = "run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage"

    static func runInfo(_ row: Row) -> RunInfo {
        RunInfo(runId: row[0], runName: row[2], experimentId: String(row[1] as Int64), userId: row[3],
                status: RunStatus(rawValue: row[4]) ?? .running, startTime: row[5], endTime: row[6],
                artifactUri: row[7], lifecycleStage: LifecycleStage(rawValue: row[8]) ?? .active)
    }

    /// A metric from the columns `key, value, is_nan, timestamp, step, model_id, dataset_name,
    /// dataset_digest`, starting at column `first`.
    static func metric(_ row: Row, from first: Int = 0) -> Metric {
        let isNaN: Bool = row[first + 2]
        return Metric(key: row[first], value: isNaN ? .nan : row[first + 1], timestamp: row[first + 3], step: row[first + 4],
                      modelId: row[first + 5], datasetName: row[first + 6], datasetDigest: row[first + 7])
    }

    static func loadRunInfo(_ db: Database, _ id: String) throws -> RunInfo? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(runColumns) FROM runs WHERE run_uuid = ?"), arguments: [id]).map(runInfo)
    }
}

extension SQLiteStore: TrackingStore {}
