import Foundation
import GRDB
import YardStore
import YardCore

extension SQLiteStore {
    public func createExperiment(name: String, tags: [Tag], artifactLocation: @escaping @Sendable (String) -> String) async throws -> String {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM experiments WHERE name = ?", arguments: [name]) == true {
                throw TrackingStoreError.experimentAlreadyExists(name: name)
            }
            let now = Identifiers.nowMillis()
            let nextId = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(experiment_id), 0) + 1 FROM experiments") ?? 1
            let id = String(nextId)
            try db.execute(
                sql: """
                    INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                    VALUES (?, ?, ?, 'active', ?, ?)
                    """,
                arguments: [nextId, name, artifactLocation(id), now, now])
            for tag in tags {
                try db.execute(sql: "INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)",
                               arguments: [nextId, tag.key, tag.value])
            }
            return id
        }
    }

    public func experiment(id: String) async throws -> Experiment {
        let numericId = try Self.experimentNumber(id)
        return try await read { db in
            try Self.requireExperiment(db, numericId, id)
        }
    }

    public func experiment(named name: String) async throws -> Experiment? {
        try await read { db in
            try Self.loadExperiments(db, whereSQL: "name = ?", arguments: [name]).first
        }
    }

    public func searchExperiments(_ query: ExperimentQuery) async throws -> Page<Experiment> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxExperimentSearchResults)
        var sql = SQLFragment("e.lifecycle_stage IN (\(query.viewType.stages.map { "'\($0.rawValue)'" }.joined(separator: ",")))")
        for clause in query.filter {
            sql.and(try ExperimentSearchSQL.condition(for: clause))
        }
        var order = try query.orderBy.map(ExperimentSearchSQL.orderTerm)
        if query.orderBy.isEmpty { order.append("e.creation_time DESC") }
        order.append("e.experiment_id ASC")
        let whereSQL = sql
        let orderSQL = order.joined(separator: ", ")
        let experiments = try await read { db in
            try Self.loadExperiments(db, whereSQL: whereSQL.sql, arguments: StatementArguments(whereSQL.arguments),
                                     orderSQL: orderSQL, limit: window.fetchLimit, offset: window.offset)
        }
        return window.page(experiments)
    }

    public func renameExperiment(id: String, to newName: String) async throws {
        let numericId = try Self.experimentNumber(id)
        try await write { db in
            let current = try Self.requireExperiment(db, numericId, id)
            guard current.lifecycleStage == .active else {
                throw TrackingStoreError.renamingInactiveExperiment(id: id)
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM experiments WHERE name = ? AND experiment_id != ?", arguments: [newName, numericId]) == true {
                throw TrackingStoreError.experimentNameTaken(name: newName)
            }
            try db.execute(sql: "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                           arguments: [newName, Identifiers.nowMillis(), numericId])
        }
    }

    public func setExperimentLifecycle(id: String, to stage: LifecycleStage) async throws {
        let numericId = try Self.experimentNumber(id)
        try await write { db in
            let current = try Self.requireExperiment(db, numericId, id)
            if numericId == 0 && stage == .deleted {
                throw TrackingStoreError.deletingDefaultExperiment
            }
            if current.lifecycleStage == stage {
                throw TrackingStoreError.experimentLifecycleUnchanged(id: id, requested: stage, current: current.lifecycleStage)
            }
            try db.execute(sql: "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?",
                           arguments: [stage.rawValue, Identifiers.nowMillis(), numericId])
            try db.execute(sql: "UPDATE runs SET lifecycle_stage = ? WHERE experiment_id = ?",
                           arguments: [stage.rawValue, numericId])
        }
    }

    public func setExperimentTag(id: String, tag: Tag) async throws {
        let numericId = try Self.experimentNumber(id)
        try await write { db in
            try Self.requireActive(try Self.requireExperiment(db, numericId, id))
            try db.execute(sql: "INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)",
                           arguments: [numericId, tag.key, tag.value])
        }
    }

    public func deleteExperimentTag(id: String, key: String) async throws {
        let numericId = try Self.experimentNumber(id)
        try await write { db in
            try Self.requireActive(try Self.requireExperiment(db, numericId, id))
            try db.execute(sql: "DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?", arguments: [numericId, key])
            if db.changesCount == 0 {
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

    static func requireExperiment(_ db: Database, _ numericId: Int64, _ id: String) throws -> Experiment {
        guard let experiment = try loadExperiments(db, whereSQL: "experiment_id = ?", arguments: [numericId]).first else {
            throw TrackingStoreError.experimentNotFound(id: id)
        }
        return experiment
    }

    static func requireActive(_ experiment: Experiment) throws(TrackingStoreError) {
        if experiment.lifecycleStage != .active {
            throw .experimentNotActive(id: experiment.experimentId, stage: experiment.lifecycleStage)
        }
    }

    static func loadExperiments(_ db: Database, whereSQL: String, arguments: StatementArguments,
                                orderSQL: String = "e.experiment_id", limit: Int? = nil, offset: Int = 0) throws -> [Experiment] {
        var sql = """
            SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time
            FROM experiments e WHERE \(whereSQL) ORDER BY \(orderSQL)
            """
        if let limit { sql += " LIMIT \(limit) OFFSET \(offset)" }
        var experiments = try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            Experiment(
                experimentId: String(row[0] as Int64), name: row[1], artifactLocation: row[2],
                lifecycleStage: LifecycleStage(rawValue: row[3]) ?? .active,
                creationTime: row[4], lastUpdateTime: row[5], tags: [])
        }
        guard !experiments.isEmpty else { return [] }
        let ids = experiments.map(\.experimentId).joined(separator: ",")
        var tagsById: [String: [Tag]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (\(ids)) ORDER BY key") {
            tagsById[String(row[0] as Int64), default: []].append(Tag(key: row[1], value: row[2]))
        }
        for index in experiments.indices {
            experiments[index].tags = tagsById[experiments[index].experimentId] ?? []
        }
        return experiments
    }
}

/// Translation of experiment-search clauses into SQL over the `experiments e` alias.
enum ExperimentSearchSQL {
    static func condition(for clause: SearchClause) throws -> SQLFragment {
        switch clause.entity {
        case .attribute:
            let column = try ExperimentSearchColumns.attribute(clause.key)
            if column == "e.experiment_id" {
                return try SQLComparison.make(column: column, comparator: clause.comparator,
                                             value: ExperimentSearchColumns.numericId(clause.value), numericList: true)
            }
            return try SQLComparison.make(column: column, comparator: clause.comparator, value: clause.value)
        case .tag:
            let inner = "SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ?"
            return try SQLComparison.exists(inner: inner, key: clause.key, valueColumn: "t.value",
                                            comparator: clause.comparator, value: clause.value)
        default:
            throw YardError.invalid("Invalid search expression type '\(clause.entity.rawValue)' for experiments.")
        }
    }

    static func orderTerm(_ order: SearchOrder) throws -> String {
        try ExperimentSearchColumns.orderTerm(order)
    }
}
