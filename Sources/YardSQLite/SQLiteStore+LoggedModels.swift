import Foundation
import GRDB
import YardStore
import YardCore

extension SQLiteStore {
    public func createLoggedModel(_ model: LoggedModel) async throws {
        let experimentNumber = try Self.experimentNumber(model.experimentId)
        try await write { db in
            let experiment = try Self.requireExperiment(db, experimentNumber, model.experimentId)
            try Self.requireActive(experiment)
            try db.execute(
                sql: """
                    INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp,
                        last_updated_timestamp, status, status_message, lifecycle_stage, model_type, source_run_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [model.modelId, experimentNumber, model.name, model.artifactLocation, model.creationTimestamp,
                            model.lastUpdatedTimestamp, model.status.rawValue, model.statusMessage, LifecycleStage.active.rawValue,
                            model.modelType, model.sourceRunId])
            try Self.upsertLoggedModelRows(db, table: "logged_model_params", id: model.modelId, items: model.params)
            try Self.upsertLoggedModelRows(db, table: "logged_model_tags", id: model.modelId, items: model.tags)
        }
    }

    public func loggedModel(id: String, allowDeleted: Bool) async throws -> LoggedModel {
        try await read { db in
            guard let model = try Self.loadLoggedModels(db, ids: [id]).first,
                  allowDeleted || model.lifecycleStage == .active else {
                throw YardError.notFound("Logged model with ID '\(id)' not found.")
            }
            return model
        }
    }

    public func updateLoggedModelStatus(id: String, status: LoggedModelStatus, message: String?) async throws -> LoggedModel {
        try await write { db in
            try Self.requireLoggedModel(db, id)
            try db.execute(sql: "UPDATE logged_models SET status = ?, status_message = ?, last_updated_timestamp = ? WHERE model_id = ?",
                           arguments: [status.rawValue, message, Identifiers.nowMillis(), id])
            return try Self.loadLoggedModels(db, ids: [id])[0]
        }
    }

    public func setLoggedModelTags(id: String, tags: [Tag]) async throws {
        try await write { db in
            try Self.requireLoggedModel(db, id)
            try Self.upsertLoggedModelRows(db, table: "logged_model_tags", id: id, items: tags)
            try Self.touchLoggedModel(db, id)
        }
    }

    public func deleteLoggedModelTag(id: String, key: String) async throws {
        try await write { db in
            try Self.requireLoggedModel(db, id)
            try db.execute(sql: "DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?", arguments: [id, key])
            if db.changesCount == 0 {
                throw YardError.notFound("No tag with key '\(key)' found for logged model '\(id)'.")
            }
            try Self.touchLoggedModel(db, id)
        }
    }

    public func logLoggedModelParams(id: String, params: [Param]) async throws {
        try await write { db in
            try Self.requireLoggedModel(db, id)
            try Self.upsertLoggedModelRows(db, table: "logged_model_params", id: id, items: params)
            try Self.touchLoggedModel(db, id)
        }
    }

    public func deleteLoggedModel(id: String) async throws {
        try await write { db in
            try Self.requireLoggedModel(db, id)
            try db.execute(sql: "UPDATE logged_models SET lifecycle_stage = ?, last_updated_timestamp = ? WHERE model_id = ?",
                           arguments: [LifecycleStage.deleted.rawValue, Identifiers.nowMillis(), id])
        }
    }

    public func updateRunTag(runId: String, key: String, _ update: @escaping @Sendable (String?) throws -> String) async throws {
        try await write { db in
            _ = try Self.requireActiveRun(db, runId)
            let current = try String.fetchOne(db, sql: "SELECT value FROM tags WHERE run_uuid = ? AND key = ?", arguments: [runId, key])
            try Self.upsertTags(db, runId: runId, tags: [Tag(key: key, value: try update(current))])
        }
    }

    public func searchLoggedModels(_ query: LoggedModelQuery) async throws -> Page<LoggedModel> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxLoggedModelSearchResults)
        let experimentNumbers = query.experimentIds.compactMap { Int64($0) }
        guard !experimentNumbers.isEmpty else { return Page(items: [], nextPageToken: nil) }
        var condition = SQLFragment(
            "lm.experiment_id IN (\(experimentNumbers.map(String.init).joined(separator: ","))) AND lm.lifecycle_stage = 'active'")
        for clause in query.filter {
            condition.and(try LoggedModelSearchSQL.condition(for: clause))
        }
        var orderSQL: [String] = []
        var orderArguments: [DatabaseValue] = []
        for order in query.orderBy {
            let term = try LoggedModelSearchSQL.orderTerm(order)
            orderSQL.append(term.sql)
            orderArguments += term.arguments
        }
        if query.orderBy.isEmpty { orderSQL.append("lm.creation_timestamp DESC") }
        orderSQL.append("lm.model_id ASC")
        let statement = SQLFragment(
            "SELECT lm.model_id FROM logged_models lm WHERE \(condition.sql) ORDER BY \(orderSQL.joined(separator: ", ")) \(window.limitSQL)",
            values: condition.arguments + orderArguments)
        let models = try await read { db in
            let ids = try String.fetchAll(db, sql: statement.sql, arguments: StatementArguments(statement.arguments))
            return try Self.loadLoggedModels(db, ids: ids)
        }
        return window.page(models)
    }

    // MARK: Helpers

    static func requireLoggedModel(_ db: Database, _ id: String) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM logged_models WHERE model_id = ? AND lifecycle_stage = ?",
                                arguments: [id, LifecycleStage.active.rawValue]) == true else {
            throw YardError.notFound("Logged model with ID '\(id)' not found.")
        }
    }

    static func touchLoggedModel(_ db: Database, _ id: String) throws {
        try db.execute(sql: "UPDATE logged_models SET last_updated_timestamp = ? WHERE model_id = ?", arguments: [Identifiers.nowMillis(), id])
    }

    static func upsertLoggedModelRows(_ db: Database, table: String, id: String, items: [Tag]) throws {
        for item in items {
            try db.execute(sql: "INSERT OR REPLACE INTO \(table) (model_id, key, value) VALUES (?, ?, ?)", arguments: [id, item.key, item.value])
        }
    }

    /// Copies run metrics that name a logged model onto that model, as MLflow does.
    static func attachMetricsToLoggedModels(_ db: Database, runId: String, metrics: [Metric]) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO logged_model_metrics (model_id, key, timestamp, step, value, is_nan, run_id, dataset_name, dataset_digest)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM logged_models WHERE model_id = ?)
            """)
        for metric in metrics {
            guard let modelId = metric.modelId, !modelId.isEmpty else { continue }
            let isNaN = metric.value.isNaN
            try insert.execute(arguments: [modelId, metric.key, metric.timestamp, metric.step,
                                           isNaN ? 0 : Validation.clampedMetricValue(metric.value), isNaN ? 1 : 0,
                                           runId, metric.datasetName, metric.datasetDigest, modelId])
        }
    }

    static func loadLoggedModels(_ db: Database, ids: [String]) throws -> [LoggedModel] {
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let arguments = StatementArguments(ids)
        var byId: [String: LoggedModel] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT model_id, experiment_id, name, artifact_location, creation_timestamp, last_updated_timestamp, status,
                   status_message, lifecycle_stage, model_type, source_run_id
            FROM logged_models WHERE model_id IN (\(placeholders))
            """, arguments: arguments) {
            let model = LoggedModel(
                modelId: row[0], experimentId: String(row[1] as Int64), name: row[2], artifactLocation: row[3],
                creationTimestamp: row[4], lastUpdatedTimestamp: row[5],
                status: LoggedModelStatus(rawValue: row[6]) ?? .unspecified, statusMessage: row[7],
                lifecycleStage: LifecycleStage(rawValue: row[8]) ?? .active, modelType: row[9], sourceRunId: row[10])
            byId[model.modelId] = model
        }
        for (owner, param) in try keyValues(db, table: "logged_model_params", owner: "model_id", placeholders: placeholders, arguments: arguments) {
            byId[owner]?.params.append(param)
        }
        for (owner, tag) in try keyValues(db, table: "logged_model_tags", owner: "model_id", placeholders: placeholders, arguments: arguments) {
            byId[owner]?.tags.append(tag)
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest
            FROM logged_model_metrics WHERE model_id IN (\(placeholders)) ORDER BY key, timestamp, step
            """, arguments: arguments) {
            let isNaN: Bool = row[3]
            let runId: String = row[6]
            let metric = Metric(key: row[1], value: isNaN ? .nan : row[2], timestamp: row[4], step: row[5],
                                modelId: row[0], datasetName: row[7], datasetDigest: row[8])
            byId[row[0]]?.metrics.append(ModelMetric(metric: metric, runId: runId.isEmpty ? nil : runId))
        }
        return ids.compactMap { byId[$0] }
    }
}

/// Logged-model search over `logged_models lm`. Metric filters look at the model's newest value per key.
enum LoggedModelSearchSQL {
    static let latestMetric = """
        (SELECT CASE WHEN x.is_nan THEN NULL ELSE x.value END FROM logged_model_metrics x
         WHERE x.model_id = lm.model_id AND x.key = ? ORDER BY x.step DESC, x.timestamp DESC LIMIT 1)
        """

    static func condition(for clause: SearchClause) throws -> SQLFragment {
        switch clause.entity {
        case .attribute:
            return try SQLComparison.make(column: try column(clause.key), comparator: clause.comparator, value: clause.value)
        case .metric:
            let test = try SQLComparison.make(column: latestMetric, comparator: clause.comparator, value: clause.value)
            return SQLFragment(test.sql, values: [clause.key.databaseValue] + test.arguments)
        case .param:
            return try SQLComparison.exists(inner: "SELECT 1 FROM logged_model_params p WHERE p.model_id = lm.model_id AND p.key = ?",
                                            key: clause.key, valueColumn: "p.value", comparator: clause.comparator, value: clause.value)
        case .tag:
            return try SQLComparison.exists(inner: "SELECT 1 FROM logged_model_tags t WHERE t.model_id = lm.model_id AND t.key = ?",
                                            key: clause.key, valueColumn: "t.value", comparator: clause.comparator, value: clause.value)
        case .dataset:
            throw YardError.invalid("Logged models cannot be filtered by dataset.")
        }
    }

    static func column(_ key: String) throws -> String {
        switch key {
        case "name", "model_id", "model_type", "status", "source_run_id", "creation_timestamp", "last_updated_timestamp":
            return "lm.\(key)"
        default:
            throw YardError.invalid("Invalid attribute key '\(key)' for logged models.")
        }
    }

    static func orderTerm(_ order: SearchOrder) throws -> SQLFragment {
        let direction = order.ascending ? "ASC" : "DESC"
        switch order.entity {
        case .attribute:
            let column = try column(order.key)
            return SQLFragment("\(column) \(direction)")
        case .metric:
            return SQLFragment("(\(latestMetric) IS NULL), \(latestMetric) \(direction)", [order.key, order.key])
        case .param:
            let expression = "(SELECT p.value FROM logged_model_params p WHERE p.model_id = lm.model_id AND p.key = ?)"
            return SQLFragment("(\(expression) IS NULL), \(expression) \(direction)", [order.key, order.key])
        case .tag:
            let expression = "(SELECT t.value FROM logged_model_tags t WHERE t.model_id = lm.model_id AND t.key = ?)"
            return SQLFragment("(\(expression) IS NULL), \(expression) \(direction)", [order.key, order.key])
        case .dataset:
            throw YardError.invalid("Logged models cannot be ordered by dataset.")
        }
    }
}
