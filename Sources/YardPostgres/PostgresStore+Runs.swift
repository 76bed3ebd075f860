import Foundation
import YardStore
import YardCore

/// Runs and what is logged to them, ported from the SQLite store. The write-once params and the refusal of
/// writes to deleted runs are checked inside the SERIALIZABLE write, so a refused batch changes nothing.
extension PostgresStore {
    public func createRun(_ info: RunInfo, tags: [Tag]) async throws {
        guard let experimentNumber = Self.parseExperimentNumber(info.experimentId) else {
            throw TrackingStoreError.experimentNotFound(id: info.experimentId)
        }
        try await write { pg in
            guard let row = try await pg.first("SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?", [.int(experimentNumber)]) else {
                throw TrackingStoreError.experimentNotFound(id: info.experimentId)
            }
            let stage = LifecycleStage(rawValue: try row.string("lifecycle_stage")) ?? .active
            guard stage == .active else {
                throw TrackingStoreError.experimentNotActive(id: String(experimentNumber), stage: stage)
            }
            try await pg.execute("""
                INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active')
                """, [.text(info.runId), .int(experimentNumber), .text(info.runName), .text(info.userId), .text(info.status.rawValue),
                      .int(info.startTime), .int(info.endTime), .text(info.artifactUri)])
            try await Self.upsertTags(pg, runId: info.runId, tags: tags)
        }
    }

    public func run(id: String) async throws -> Run {
        try await read { pg in
            guard let run = try await Self.loadRuns(pg, ids: [id]).first else {
                throw TrackingStoreError.runNotFound(id: id)
            }
            return run
        }
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) async throws -> RunInfo {
        try await write { pg in
            var info = try await Self.requireActiveRun(pg, id)
            if let status { info.status = status }
            if let endTime { info.endTime = endTime }
            if let runName, !runName.isEmpty {
                info.runName = runName
                try await Self.upsertTags(pg, runId: id, tags: [Tag(key: ReservedTags.runName, value: runName)])
            }
            try await pg.execute("UPDATE runs SET status = ?, end_time = ?, name = ? WHERE run_uuid = ?",
                                 [.text(info.status.rawValue), .int(info.endTime), .text(info.runName), .text(id)])
            return info
        }
    }

    public func setRunLifecycle(id: String, to stage: LifecycleStage) async throws {
        try await write { pg in
            let updated = try await pg.execute("UPDATE runs SET lifecycle_stage = ? WHERE run_uuid = ? RETURNING 1",
                                               [.text(stage.rawValue), .text(id)])
            if updated == 0 {
                throw TrackingStoreError.runNotFound(id: id)
            }
        }
    }

    public func logBatch(runId: String, metrics: [Metric], params: [Param], tags: [Tag]) async throws {
        try await write { pg in
            _ = try await Self.requireActiveRun(pg, runId)
            try await Self.insertParams(pg, runId: runId, params: params)
            try await Self.insertMetrics(pg, runId: runId, metrics: metrics)
            try await Self.attachMetricsToLoggedModels(pg, runId: runId, metrics: metrics)
            try await Self.upsertTags(pg, runId: runId, tags: tags)
        }
    }

    public func deleteRunTag(runId: String, key: String) async throws {
        try await write { pg in
            _ = try await Self.requireActiveRun(pg, runId)
            let deleted = try await pg.execute("DELETE FROM tags WHERE run_uuid = ? AND key = ? RETURNING 1", [.text(runId), .text(key)])
            if deleted == 0 {
                throw TrackingStoreError.runTagNotFound(runId: runId, key: key)
            }
        }
    }

    public func logInputs(runId: String, datasets: [DatasetInput], modelIds: [String]) async throws {
        try await write { pg in
            let info = try await Self.requireActiveRun(pg, runId)
            let experimentNumber = Self.parseExperimentNumber(info.experimentId) ?? -1
            var position = try await pg.first("SELECT COALESCE(MAX(position), -1) + 1 AS next FROM run_dataset_inputs WHERE run_uuid = ?",
                                              [.text(runId)])?.int64("next") ?? 0
            for input in datasets {
                let dataset = input.dataset
                // Datasets are shared per experiment by (name, digest), as MLflow does.
                let datasetId: String
                if let existing = try await pg.first("SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?",
                                                     [.int(experimentNumber), .text(dataset.name), .text(dataset.digest)]) {
                    datasetId = try existing.string("dataset_uuid")
                } else {
                    datasetId = Identifiers.newRunId()
                    try await pg.execute("""
                        INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, [.text(datasetId), .int(experimentNumber), .text(dataset.name), .text(dataset.digest), .text(dataset.sourceType),
                              .text(dataset.source), .text(dataset.schema), .text(dataset.profile)])
                }
                try await pg.execute("INSERT INTO run_dataset_inputs (run_uuid, dataset_uuid, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                     [.text(runId), .text(datasetId), .int(position)])
                position += 1
                for tag in input.tags {
                    try await pg.execute("""
                        INSERT INTO run_dataset_input_tags (run_uuid, dataset_uuid, key, value) VALUES (?, ?, ?, ?)
                        ON CONFLICT (run_uuid, dataset_uuid, key) DO UPDATE SET value = EXCLUDED.value
                        """, [.text(runId), .text(datasetId), .text(tag.key), .text(tag.value)])
                }
            }
            for modelId in modelIds {
                try await pg.execute("INSERT INTO run_model_inputs (run_uuid, model_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                     [.text(runId), .text(modelId)])
            }
        }
    }

    public func logOutputs(runId: String, models: [ModelOutput]) async throws {
        try await write { pg in
            _ = try await Self.requireActiveRun(pg, runId)
            for model in models {
                try await pg.execute("INSERT INTO run_model_outputs (run_uuid, model_id, step) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                     [.text(runId), .text(model.modelId), .int(model.step)])
            }
        }
    }

    public func metricHistory(runId: String, key: String, maxResults: Int, pageToken: String?) async throws -> Page<Metric> {
        let window = try PageWindow(token: pageToken, requested: maxResults, cap: Validation.maxMetricHistoryResults)
        return try await read { pg in
            guard try await Self.loadRunInfo(pg, runId) != nil else {
                throw TrackingStoreError.runNotFound(id: runId)
            }
            // is_nan last: the SQLite store reads these rows in primary-key order, where it follows value.
            let metrics = try await pg.query("""
                SELECT \(Self.metricColumns) FROM metrics
                WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step, value, is_nan \(window.limitSQL)
                """, [.text(runId), .text(key)]).map { try Self.metric($0) }
            return window.page(metrics)
        }
    }

    // MARK: Writes inside a transaction

    static func requireActiveRun(_ pg: PGConnection, _ id: String) async throws -> RunInfo {
        guard let info = try await loadRunInfo(pg, id) else {
            throw TrackingStoreError.runNotFound(id: id)
        }
        if info.lifecycleStage != .active {
            throw TrackingStoreError.runNotActive(id: id, stage: info.lifecycleStage)
        }
        return info
    }

    /// Tags replace earlier values of their key; the last of a key in `tags` wins, as SQLite's INSERT OR
    /// REPLACE row by row gives (one multi-row upsert may not touch a key twice, hence the de-duplication).
    static func upsertTags(_ pg: PGConnection, runId: String, tags: [Tag]) async throws {
        guard !tags.isEmpty else { return }
        // Keyed by bytes: Swift's String equality merges canonically equivalent spellings (U+00C5 and
        // U+212B) that the byte-collated key column, like SQLite, keeps apart.
        var lastValue: [[UInt8]: String] = [:]
        var keys: [String] = []
        for tag in tags {
            if lastValue.updateValue(tag.value, forKey: Array(tag.key.utf8)) == nil { keys.append(tag.key) }
        }
        for start in stride(from: 0, to: keys.count, by: rowsPerInsert) {
            let chunk = keys[start..<min(start + rowsPerInsert, keys.count)]
            var values: [PGValue] = []
            values.reserveCapacity(chunk.count * 3)
            for key in chunk { values += [.text(runId), .text(key), .text(lastValue[Array(key.utf8)] ?? "")] }
            try await pg.execute("INSERT INTO tags (run_uuid, key, value) VALUES "
                                 + Array(repeating: "(?, ?, ?)", count: chunk.count).joined(separator: ", ")
                                 + " ON CONFLICT (run_uuid, key) DO UPDATE SET value = EXCLUDED.value", values)
        }
        if let runName = lastValue[Array(ReservedTags.runName.utf8)] {
            try await pg.execute("UPDATE runs SET name = ? WHERE run_uuid = ?", [.text(runName), .text(runId)])
        }
    }

    /// Params are write-once: the same value again is a no-op, a different one is refused and the whole
    /// batch with it (the transaction rolls back). A key repeated within the batch counts as logged by its
    /// first occurrence, as one insert per row does.
    static func insertParams(_ pg: PGConnection, runId: String, params: [Param]) async throws {
        guard !params.isEmpty else { return }
        var known: [String: String] = [:]
        for row in try await pg.query("SELECT key, value FROM params WHERE run_uuid = ? AND key = ANY(?::text[])",
                                      [.text(runId), .textArray(params.map(\.key))]) {
            known[try row.string("key")] = try row.string("value")
        }
        var fresh: [Param] = []
        for param in params {
            if let old = known[param.key] {
                if old != param.value {
                    throw TrackingStoreError.paramValueChanged(runId: runId, key: param.key, oldValue: old, newValue: param.value)
                }
                continue
            }
            known[param.key] = param.value
            fresh.append(param)
        }
        for start in stride(from: 0, to: fresh.count, by: rowsPerInsert) {
            let chunk = fresh[start..<min(start + rowsPerInsert, fresh.count)]
            var values: [PGValue] = []
            values.reserveCapacity(chunk.count * 3)
            for param in chunk { values += [.text(runId), .text(param.key), .text(param.value)] }
            // A replica logging the same key concurrently is not in our snapshot: SERIALIZABLE reports the
            // conflict and the rerun compares against its value.
            try await pg.execute("INSERT INTO params (run_uuid, key, value) VALUES "
                                 + Array(repeating: "(?, ?, ?)", count: chunk.count).joined(separator: ", ")
                                 + " ON CONFLICT DO NOTHING", values)
        }
    }

    /// Rows per multi-row INSERT (9 binds a metric row: 900 of PostgreSQL's 65,535).
    static let rowsPerInsert = 100

    static let metricColumns = "key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest"

    /// Metric points, a duplicate skipped (ON CONFLICT DO NOTHING applies row by row), then each key's
    /// latest point kept by the domain's rule (`Metric.supersedes`), read and replaced in this transaction.
    static func insertMetrics(_ pg: PGConnection, runId: String, metrics: [Metric]) async throws {
        guard !metrics.isEmpty else { return }
        for start in stride(from: 0, to: metrics.count, by: rowsPerInsert) {
            let rows = metrics[start..<min(start + rowsPerInsert, metrics.count)]
            var values: [PGValue] = []
            values.reserveCapacity(rows.count * 9)
            for metric in rows { appendMetricRow(metric, runId: runId, to: &values) }
            try await pg.execute("""
                INSERT INTO metrics (run_uuid, key, timestamp, step, value, is_nan, model_id, dataset_name, dataset_digest) VALUES
                """ + " " + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows.count).joined(separator: ", ")
                                 + " ON CONFLICT DO NOTHING", values)
        }
        let candidates = Metric.latestPerKey(metrics)
        var stored: [String: Metric] = [:]
        for row in try await pg.query("SELECT \(metricColumns) FROM latest_metrics WHERE run_uuid = ? AND key = ANY(?::text[])",
                                      [.text(runId), .textArray(candidates.map(\.key))]) {
            let metric = try metric(row)
            stored[metric.key] = metric
        }
        let winners = candidates.filter { candidate in stored[candidate.key].map { candidate.supersedes($0) } ?? true }
        for start in stride(from: 0, to: winners.count, by: rowsPerInsert) {
            let rows = winners[start..<min(start + rowsPerInsert, winners.count)]
            var values: [PGValue] = []
            values.reserveCapacity(rows.count * 9)
            for metric in rows { appendMetricRow(metric, runId: runId, to: &values) }
            try await pg.execute("""
                INSERT INTO latest_metrics (run_uuid, key, timestamp, step, value, is_nan, model_id, dataset_name, dataset_digest) VALUES
                """ + " " + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows.count).joined(separator: ", ") + """
                 ON CONFLICT (run_uuid, key) DO UPDATE SET timestamp = EXCLUDED.timestamp, step = EXCLUDED.step,
                    value = EXCLUDED.value, is_nan = EXCLUDED.is_nan, model_id = EXCLUDED.model_id,
                    dataset_name = EXCLUDED.dataset_name, dataset_digest = EXCLUDED.dataset_digest
                """, values)
        }
    }

    /// A metric's row (`run_uuid` first): NaN is kept as value 0 with `is_nan`, infinities clamped.
    private static func appendMetricRow(_ metric: Metric, runId: String, to values: inout [PGValue]) {
        let isNaN = metric.value.isNaN
        values.append(.text(runId))
        values.append(.text(metric.key))
        values.append(.int(metric.timestamp))
        values.append(.int(metric.step))
        values.append(.double(isNaN ? 0 : Validation.clampedMetricValue(metric.value)))
        values.append(.int(isNaN ? 1 : 0))
        values.append(.text(metric.modelId))
        values.append(.text(metric.datasetName))
        values.append(.text(metric.datasetDigest))
    }

    // MARK: Reads

    static let runColumns = "run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage"

    static func runInfo(_ row: PGRow) throws -> RunInfo {
        RunInfo(runId: try row.string("run_uuid"), runName: try row.string("name"), experimentId: String(try row.int64("experiment_id")),
                userId: try row.string("user_id"), status: RunStatus(rawValue: try row.string("status")) ?? .running,
                startTime: try row.optionalInt64("start_time"), endTime: try row.optionalInt64("end_time"),
                artifactUri: try row.string("artifact_uri"), lifecycleStage: LifecycleStage(rawValue: try row.string("lifecycle_stage")) ?? .active)
    }

    /// A metric from the columns of `metricColumns`.
    static func metric(_ row: PGRow) throws -> Metric {
        let isNaN = try row.int64("is_nan") != 0
        return Metric(key: try row.string("key"), value: isNaN ? .nan : try row.double("value"), timestamp: try row.int64("timestamp"),
                      step: try row.int64("step"), modelId: try row.optionalString("model_id"),
                      datasetName: try row.optionalString("dataset_name"), datasetDigest: try row.optionalString("dataset_digest"))
    }

    static func loadRunInfo(_ pg: PGConnection, _ id: String) async throws -> RunInfo? {
        try await pg.first("SELECT \(runColumns) FROM runs WHERE run_uuid = ?", [.text(id)]).map(runInfo)
    }
}

extension PostgresStore: TrackingStore {}
