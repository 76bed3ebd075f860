import Foundation
import YardStore
import YardCore

/// Experiments, ported from the SQLite store. Ids are numbered MAX + 1 inside the SERIALIZABLE write, so two
/// replicas creating experiments at once conflict and one of them reruns with the next number.
extension PostgresStore {
    public func createExperiment(name: String, tags: [Tag], artifactLocation: @escaping @Sendable (String) -> String) async throws -> String {
        try await write { pg in
            if try await pg.first("SELECT 1 FROM experiments WHERE name = ?", [.text(name)]) != nil {
                throw TrackingStoreError.experimentAlreadyExists(name: name)
            }
            let now = Identifiers.nowMillis()
            let nextId = try await pg.first("SELECT COALESCE(MAX(experiment_id), 0) + 1 AS next FROM experiments")?.int64("next") ?? 1
            let id = String(nextId)
            try await pg.execute("""
                INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                VALUES (?, ?, ?, 'active', ?, ?)
                """, [.int(nextId), .text(name), .text(artifactLocation(id)), .int(now), .int(now)])
            for tag in tags {
                try await Self.upsertExperimentTag(pg, nextId, tag)
            }
            return id
        }
    }

    public func experiment(id: String) async throws -> Experiment {
        let numericId = try Self.experimentNumber(id)
        return try await read { pg in
            try await Self.requireExperiment(pg, numericId, id)
        }
    }

    public func experiment(named name: String) async throws -> Experiment? {
        try await read { pg in
            try await Self.loadExperiments(pg, where: PGStatement("e.name = ?", [.text(name)])).first
        }
    }

    public func searchExperiments(_ query: ExperimentQuery) async throws -> Page<Experiment> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxExperimentSearchResults)
        var condition = PGStatement("e.lifecycle_stage = ANY(?::text[])", [.textArray(query.viewType.stages.map(\.rawValue))])
        for clause in query.filter {
            condition.and(try PGExperimentSearch.condition(for: clause))
        }
        var order = try query.orderBy.map(PGExperimentSearch.orderTerm)
        if query.orderBy.isEmpty { order.append("e.creation_time DESC") }
        order.append("e.experiment_id ASC")
        let orderSQL = order.joined(separator: ", ")
        let experiments = try await read { [condition] pg in
            try await Self.loadExperiments(pg, where: condition, orderSQL: orderSQL, limitSQL: window.limitSQL)
        }
        return window.page(experiments)
    }

    public func renameExperiment(id: String, to newName: String) async throws {
        let numericId = try Self.experimentNumber(id)
        try await write { pg in
            let current = try await Self.requireExperiment(pg, numericId, id)
            guard current.lifecycleStage == .active else {
                throw TrackingStoreError.renamingInactiveExperiment(id: id)
            }
            if try await pg.first("SELECT 1 FROM experiments WHERE name = ? AND experiment_id <> ?", [.text(newName), .int(numericId)]) != nil {
                throw TrackingStoreError.experimentNameTaken(name: newName)
            }
            try await pg.execute("UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                                 [.text(newName), .int(Identifiers.nowMillis()), .int(numericId)])
        }
    }

    public func setExperimentLifecycle(id: String, to stage: LifecycleStage) async throws {
        let numericId = try Self.experimentNumber(id)
        try await write { pg in
            let current = try await Self.requireExperiment(pg, numericId, id)
            if numericId == 0 && stage == .deleted {
                throw TrackingStoreError.deletingDefaultExperiment
            }
            if current.lifecycleStage == stage {
                throw TrackingStoreError.experimentLifecycleUnchanged(id: id, requested: stage, current: current.lifecycleStage)
            }
            try await pg.execute("UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?",
                                 [.text(stage.rawValue), .int(Identifiers.nowMillis()), .int(numericId)])
            try await pg.execute("UPDATE runs SET lifecycle_stage = ? WHERE experiment_id = ?", [.text(stage.rawValue), .int(numericId)])
        }
    }

    public func setExperimentTag(id: String, tag: Tag) async throws {
        let numericId = try Self.experimentNumber(id)
        try await write { pg in
            try Self.requireActive(try await Self.requireExperiment(pg, numericId, id))
            try await Self.upsertExperimentTag(pg, numericId, tag)
        }
    }

    public func deleteExperimentTag(id: String, key: String) async throws {
        let numericId = try Self.experimentNumber(id)
        try await write { pg in
            try Self.requireActive(try await Self.requireExperiment(pg, numericId, id))
            let deleted = try await pg.execute("DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ? RETURNING 1",
                                               [.int(numericId), .text(key)])
            if deleted == 0 {
                throw TrackingStoreError.experimentTagNotFound(experimentId: id, key: key)
            }
        }
    }

    // MARK: Helpers

    static func parseExperimentNumber(_ id: String) -> Int64? {
        guard let number = Int64(id), number >= 0 else { return nil }
        return number
    }

    static func experimentNumber(_ id: String) throws(TrackingStoreError) -> Int64 {
        guard let number = parseExperimentNumber(id) else { throw .experimentNotFound(id: id) }
        return number
    }

    static func requireExperiment(_ pg: PGConnection, _ numericId: Int64, _ id: String) async throws -> Experiment {
        guard let experiment = try await loadExperiments(pg, where: PGStatement("e.experiment_id = ?", [.int(numericId)])).first else {
            throw TrackingStoreError.experimentNotFound(id: id)
        }
        return experiment
    }

    static func requireActive(_ experiment: Experiment) throws(TrackingStoreError) {
        if experiment.lifecycleStage != .active {
            throw .experimentNotActive(id: experiment.experimentId, stage: experiment.lifecycleStage)
        }
    }

    static func upsertExperimentTag(_ pg: PGConnection, _ numericId: Int64, _ tag: Tag) async throws {
        try await pg.execute("""
            INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)
            ON CONFLICT (experiment_id, key) DO UPDATE SET value = EXCLUDED.value
            """, [.int(numericId), .text(tag.key), .text(tag.value)])
    }

    static func loadExperiments(_ pg: PGConnection, where condition: PGStatement, orderSQL: String = "e.experiment_id",
                                limitSQL: String = "") async throws -> [Experiment] {
        var statement = PGStatement("""
            SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time
            FROM experiments e WHERE
            """)
        statement.append(PGStatement(" "))
        statement.append(condition)
        statement.append(PGStatement(" ORDER BY \(orderSQL) \(limitSQL)"))
        var experiments = try await pg.query(statement).map { row in
            Experiment(
                experimentId: String(try row.int64("experiment_id")), name: try row.string("name"),
                artifactLocation: try row.string("artifact_location"),
                lifecycleStage: LifecycleStage(rawValue: try row.string("lifecycle_stage")) ?? .active,
                creationTime: try row.int64("creation_time"), lastUpdateTime: try row.int64("last_update_time"), tags: [])
        }
        guard !experiments.isEmpty else { return [] }
        let numbers = experiments.compactMap { Int64($0.experimentId) }
        var tagsById: [String: [Tag]] = [:]
        for row in try await pg.query("SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id = ANY(?::bigint[]) ORDER BY key",
                                      [.intArray(numbers)]) {
            tagsById[String(try row.int64("experiment_id")), default: []].append(Tag(key: try row.string("key"), value: try row.string("value")))
        }
        for index in experiments.indices {
            experiments[index].tags = tagsById[experiments[index].experimentId] ?? []
        }
        return experiments
    }
}

/// Experiment-search clauses over the `experiments e` alias, as the SQLite store's `ExperimentSearchSQL`.
enum PGExperimentSearch {
    static func condition(for clause: SearchClause) throws -> PGStatement {
        switch clause.entity {
        case .attribute:
            let column = try ExperimentSearchColumns.attribute(clause.key)
            if column == "e.experiment_id" {
                return try PGComparison.make(column: column, comparator: clause.comparator,
                                             value: ExperimentSearchColumns.numericId(clause.value), numericList: true)
            }
            return try PGComparison.make(column: column, comparator: clause.comparator, value: clause.value)
        case .tag:
            let inner = "SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ?"
            return try PGComparison.exists(inner: inner, key: clause.key, valueColumn: "t.value",
                                           comparator: clause.comparator, value: clause.value)
        default:
            throw YardError.invalid("Invalid search expression type '\(clause.entity.rawValue)' for experiments.")
        }
    }

    static func orderTerm(_ order: SearchOrder) throws -> String {
        try ExperimentSearchColumns.orderTerm(order)
    }
}
