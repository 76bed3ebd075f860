import Foundation
import YardStore
import YardCore

/// MLflow 3 logged models, and the legacy `runs/log-model` run-tag update, ported from the SQLite store.
extension PostgresStore {
    public func createLoggedModel(_ model: LoggedModel) async throws {
        guard let experimentNumber = Int64(model.experimentId), experimentNumber >= 0 else {
            throw TrackingStoreError.experimentNotFound(id: model.experimentId)
        }
        try await write { pg in
            try await Self.requireActiveExperimentForLoggedModel(pg, experimentNumber, model.experimentId)
            try await pg.execute("""
                INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp,
                    last_updated_timestamp, status, status_message, lifecycle_stage, model_type, source_run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(model.modelId), .int(experimentNumber), .text(model.name), .text(model.artifactLocation),
                      .int(model.creationTimestamp), .int(model.lastUpdatedTimestamp), .text(model.status.rawValue),
                      .text(model.statusMessage), .text(LifecycleStage.active.rawValue), .text(model.modelType), .text(model.sourceRunId)])
            try await Self.upsertLoggedModelRows(pg, table: "logged_model_params", id: model.modelId, items: model.params)
            try await Self.upsertLoggedModelRows(pg, table: "logged_model_tags", id: model.modelId, items: model.tags)
        }
    }

    public func loggedModel(id: String, allowDeleted: Bool) async throws -> LoggedModel {
        try await read { pg in
            guard let model = try await Self.loadLoggedModels(pg, ids: [id]).first,
                  allowDeleted || model.lifecycleStage == .active else {
                throw YardError.notFound("Logged model with ID '\(id)' not found.")
            }
            return model
        }
    }

    public func updateLoggedModelStatus(id: String, status: LoggedModelStatus, message: String?) async throws -> LoggedModel {
        try await write { pg in
            try await Self.requireLoggedModel(pg, id)
            try await pg.execute("UPDATE logged_models SET status = ?, status_message = ?, last_updated_timestamp = ? WHERE model_id = ?",
                                 [.text(status.rawValue), .text(message), .int(Identifiers.nowMillis()), .text(id)])
            return try await Self.loadLoggedModels(pg, ids: [id])[0]
        }
    }

    public func setLoggedModelTags(id: String, tags: [Tag]) async throws {
        try await write { pg in
            try await Self.requireLoggedModel(pg, id)
            try await Self.upsertLoggedModelRows(pg, table: "logged_model_tags", id: id, items: tags)
            try await Self.touchLoggedModel(pg, id)
        }
    }

    public func deleteLoggedModelTag(id: String, key: String) async throws {
        try await write { pg in
            try await Self.requireLoggedModel(pg, id)
            let deleted = try await pg.execute("DELETE FROM logged_model_tags WHERE model_id = ? AND key = ? RETURNING 1", [.text(id), .text(key)])
            if deleted == 0 {
                throw YardError.notFound("No tag with key '\(key)' found for logged model '\(id)'.")
            }
            try await Self.touchLoggedModel(pg, id)
        }
    }

    public func logLoggedModelParams(id: String, params: [Param]) async throws {
        try await write { pg in
            try await Self.requireLoggedModel(pg, id)
            try await Self.upsertLoggedModelRows(pg, table: "logged_model_params", id: id, items: params)
            try await Self.touchLoggedModel(pg, id)
        }
    }

    public func deleteLoggedModel(id: String) async throws {
        try await write { pg in
            try await Self.requireLoggedModel(pg, id)
            try await pg.execute("UPDATE logged_models SET lifecycle_stage = ?, last_updated_timestamp = ? WHERE model_id = ?",
                                 [.text(LifecycleStage.deleted.rawValue), .int(Identifiers.nowMillis()), .text(id)])
        }
    }

    public func updateRunTag(runId: String, key: String, _ update: @escaping @Sendable (String?) throws -> String) async throws {
        try await write { pg in
            guard let run = try await pg.first("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", [.text(runId)]) else {
                throw TrackingStoreError.runNotFound(id: runId)
            }
            let stage = LifecycleStage(rawValue: try run.string("lifecycle_stage")) ?? .active
            guard stage == .active else { throw TrackingStoreError.runNotActive(id: runId, stage: stage) }
            let current = try await pg.first("SELECT value FROM tags WHERE run_uuid = ? AND key = ?", [.text(runId), .text(key)])?
                .string("value")
            let value = try update(current)
            try await pg.execute("""
                INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)
                ON CONFLICT (run_uuid, key) DO UPDATE SET value = EXCLUDED.value
                """, [.text(runId), .text(key), .text(value)])
            if key == ReservedTags.runName {
                try await pg.execute("UPDATE runs SET name = ? WHERE run_uuid = ?", [.text(value), .text(runId)])
            }
        }
    }

    public func searchLoggedModels(_ query: LoggedModelQuery) async throws -> Page<LoggedModel> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxLoggedModelSearchResults)
        let experimentNumbers = query.experimentIds.compactMap { Int64($0) }
        guard !experimentNumbers.isEmpty else { return Page(items: [], nextPageToken: nil) }
        var statement = PGStatement("SELECT lm.model_id FROM logged_models lm WHERE lm.experiment_id = ANY(?::bigint[]) AND lm.lifecycle_stage = 'active'",
                                    [.intArray(experimentNumbers)])
        for clause in query.filter {
            statement.and(try PGLoggedModelSearch.condition(for: clause))
        }
        var order: [PGStatement] = try query.orderBy.map(PGLoggedModelSearch.orderTerm)
        if query.orderBy.isEmpty { order.append(PGStatement("lm.creation_timestamp DESC")) }
        order.append(PGStatement("lm.model_id ASC"))
        statement.append(PGStatement(" ORDER BY "))
        for (index, term) in order.enumerated() {
            if index > 0 { statement.append(PGStatement(", ")) }
            statement.append(term)
        }
        statement.append(PGStatement(" \(window.limitSQL)"))
        let models = try await read { [statement] pg in
            let ids = try await pg.query(statement).map { try $0.string("model_id") }
            return try await Self.loadLoggedModels(pg, ids: ids)
        }
        return window.page(models)
    }

    // MARK: Helpers

    /// The tracking store's experiment checks, typed the same way (`TrackingStoreError`).
    static func requireActiveExperimentForLoggedModel(_ pg: PGConnection, _ number: Int64, _ id: String) async throws {
        guard let row = try await pg.first("SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?", [.int(number)]) else {
            throw TrackingStoreError.experimentNotFound(id: id)
        }
        let stage = LifecycleStage(rawValue: try row.string("lifecycle_stage")) ?? .active
        if stage != .active {
            throw TrackingStoreError.experimentNotActive(id: String(number), stage: stage)
        }
    }

    static func requireLoggedModel(_ pg: PGConnection, _ id: String) async throws {
        guard try await pg.first("SELECT 1 FROM logged_models WHERE model_id = ? AND lifecycle_stage = ?",
                                 [.text(id), .text(LifecycleStage.active.rawValue)]) != nil else {
            throw YardError.notFound("Logged model with ID '\(id)' not found.")
        }
    }

    static func touchLoggedModel(_ pg: PGConnection, _ id: String) async throws {
        try await pg.execute("UPDATE logged_models SET last_updated_timestamp = ? WHERE model_id = ?", [.int(Identifiers.nowMillis()), .text(id)])
    }

    static func upsertLoggedModelRows(_ pg: PGConnection, table: String, id: String, items: [Tag]) async throws {
        for item in items {
            try await pg.execute("""
                INSERT INTO \(table) (model_id, key, value) VALUES (?, ?, ?)
                ON CONFLICT (model_id, key) DO UPDATE SET value = EXCLUDED.value
                """, [.text(id), .text(item.key), .text(item.value)])
        }
    }

    /// Copies run metrics that name a logged model onto that model, as MLflow does. For the tracking port's
    /// logBatch, in its transaction (the SQLite store's `attachMetricsToLoggedModels`).
    static func attachMetricsToLoggedModels(_ pg: PGConnection, runId: String, metrics: [Metric]) async throws {
        for metric in metrics {
            guard let modelId = metric.modelId, !modelId.isEmpty else { continue }
            let isNaN = metric.value.isNaN
            try await pg.execute("""
                INSERT INTO logged_model_metrics (model_id, key, timestamp, step, value, is_nan, run_id, dataset_name, dataset_digest)
                SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM logged_models WHERE model_id = ?)
                ON CONFLICT DO NOTHING
                """, [.text(modelId), .text(metric.key), .int(metric.timestamp), .int(metric.step),
                      .double(isNaN ? 0 : Validation.clampedMetricValue(metric.value)), .int(isNaN ? 1 : 0),
                      .text(runId), .text(metric.datasetName), .text(metric.datasetDigest), .text(modelId)])
        }
    }

    static func loadLoggedModels(_ pg: PGConnection, ids: [String]) async throws -> [LoggedModel] {
        guard !ids.isEmpty else { return [] }
        let wanted = PGValue.textArray(ids)
        var byId: [String: LoggedModel] = [:]
        for row in try await pg.query("""
            SELECT model_id, experiment_id, name, artifact_location, creation_timestamp, last_updated_timestamp, status,
                   status_message, lifecycle_stage, model_type, source_run_id
            FROM logged_models WHERE model_id = ANY(?::text[])
            """, [wanted]) {
            let model = LoggedModel(
                modelId: try row.string("model_id"), experimentId: String(try row.int64("experiment_id")), name: try row.string("name"),
                artifactLocation: try row.string("artifact_location"), creationTimestamp: try row.int64("creation_timestamp"),
                lastUpdatedTimestamp: try row.int64("last_updated_timestamp"),
                status: LoggedModelStatus(rawValue: try row.string("status")) ?? .unspecified,
                statusMessage: try row.optionalString("status_message"),
                lifecycleStage: LifecycleStage(rawValue: try row.string("lifecycle_stage")) ?? .active,
                modelType: try row.optionalString("model_type"), sourceRunId: try row.optionalString("source_run_id"))
            byId[model.modelId] = model
        }
        // Key order, as the SQLite store reads these rows off their (model_id, key) primary key.
        for row in try await pg.query("SELECT model_id, key, value FROM logged_model_params WHERE model_id = ANY(?::text[]) ORDER BY model_id, key", [wanted]) {
            byId[try row.string("model_id")]?.params.append(Param(key: try row.string("key"), value: try row.string("value")))
        }
        for row in try await pg.query("SELECT model_id, key, value FROM logged_model_tags WHERE model_id = ANY(?::text[]) ORDER BY model_id, key", [wanted]) {
            byId[try row.string("model_id")]?.tags.append(Tag(key: try row.string("key"), value: try row.string("value")))
        }
        for row in try await pg.query("""
            SELECT model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest
            FROM logged_model_metrics WHERE model_id = ANY(?::text[]) ORDER BY key, timestamp, step, run_id, value, is_nan
            """, [wanted]) {
            let modelId = try row.string("model_id")
            let isNaN = try row.int64("is_nan") != 0
            let runId = try row.string("run_id")
            let metric = Metric(key: try row.string("key"), value: isNaN ? .nan : try row.double("value"), timestamp: try row.int64("timestamp"),
                                step: try row.int64("step"), modelId: modelId, datasetName: try row.optionalString("dataset_name"),
                                datasetDigest: try row.optionalString("dataset_digest"))
            byId[modelId]?.metrics.append(ModelMetric(metric: metric, runId: runId.isEmpty ? nil : runId))
        }
        return ids.compactMap { byId[$0] }
    }
}
