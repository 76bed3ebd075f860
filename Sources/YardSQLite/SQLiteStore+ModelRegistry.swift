import Foundation
import GRDB
import YardStore
import YardCore

extension SQLiteStore {
    // MARK: Registered models

    public func createRegisteredModel(_ model: RegisteredModel) async throws {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM registered_models WHERE name = ?", arguments: [model.name]) == true {
                throw YardError(.resourceAlreadyExists, "Registered Model (name=\(model.name)) already exists.")
            }
            try db.execute(
                sql: "INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp, user_id, description, model_id) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [model.name, model.creationTimestamp, model.lastUpdatedTimestamp, model.userId, model.description, Self.newRegisteredModelId()])
            for tag in model.tags {
                try db.execute(sql: "INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)",
                               arguments: [model.name, tag.key, tag.value])
            }
        }
    }

    public func registeredModel(name: String) async throws -> RegisteredModel {
        try await read { db in
            guard let model = try Self.loadRegisteredModels(db, names: [name]).first else {
                throw YardError.notFound("Registered Model with name=\(name) not found")
            }
            return model
        }
    }

    public func renameRegisteredModel(name: String, to newName: String, history: [HistoryRecord], actor: String) async throws {
        try await write { db in
            try Self.requireRegisteredModel(db, name)
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM registered_models WHERE name = ?", arguments: [newName]) == true {
                throw YardError(.resourceAlreadyExists, "Registered Model (name=\(newName)) already exists.")
            }
            // Child rows follow through ON UPDATE CASCADE; the history follows the model's id.
            try db.execute(sql: "UPDATE registered_models SET name = ?, last_updated_timestamp = ? WHERE name = ?",
                           arguments: [newName, Identifiers.nowMillis(), name])
            try Self.appendHistory(db, name: newName, records: history, actor: actor)
        }
    }

    public func updateRegisteredModelDescription(name: String, description: String) async throws {
        try await write { db in
            try Self.requireRegisteredModel(db, name)
            try db.execute(sql: "UPDATE registered_models SET description = ?, last_updated_timestamp = ? WHERE name = ?",
                           arguments: [description, Identifiers.nowMillis(), name])
        }
    }

    public func deleteRegisteredModel(name: String, history: [HistoryRecord], actor: String) async throws {
        try await write { db in
            let modelId = try Self.requireRegisteredModelId(db, name)
            try db.execute(sql: "DELETE FROM registered_models WHERE name = ?", arguments: [name])
            try Self.appendHistory(db, modelId: modelId, name: name, records: history, actor: actor)
        }
    }

    public func searchRegisteredModels(_ query: RegistryQuery) async throws -> Page<RegisteredModel> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxRegisteredModelSearchResults)
        var condition = SQLFragment("1")
        if !query.includePrompts {
            condition.and(SQLFragment("NOT EXISTS (SELECT 1 FROM registered_model_tags pt WHERE pt.name = rm.name AND pt.key = '\(ReservedTags.isPrompt)' AND lower(pt.value) = 'true')"))
        }
        for clause in query.filter {
            condition.and(try RegistrySearchSQL.registeredModelCondition(for: clause))
        }
        var order = try query.orderBy.map { try RegistrySearchSQL.orderTerm($0, alias: "rm") }
        order.append("rm.name ASC")
        let sql = "SELECT rm.name FROM registered_models rm WHERE \(condition.sql) ORDER BY \(order.joined(separator: ", ")) \(window.limitSQL)"
        let arguments = condition.arguments
        let models = try await read { db in
            try Self.loadRegisteredModels(db, names: try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)))
        }
        return window.page(models)
    }

    public func setRegisteredModelTag(name: String, tag: Tag) async throws {
        try await write { db in
            try Self.requireRegisteredModel(db, name)
            try db.execute(sql: "INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)", arguments: [name, tag.key, tag.value])
            try Self.touchRegisteredModel(db, name)
        }
    }

    public func deleteRegisteredModelTag(name: String, key: String) async throws {
        try await write { db in
            try Self.requireRegisteredModel(db, name)
            try db.execute(sql: "DELETE FROM registered_model_tags WHERE name = ? AND key = ?", arguments: [name, key])
            try Self.touchRegisteredModel(db, name)
        }
    }

    // MARK: Model versions

    public func createModelVersion(_ version: ModelVersion, history: @escaping @Sendable (ModelVersion) -> [HistoryRecord], actor: String) async throws -> ModelVersion {
        try await write { db in
            try Self.requireRegisteredModel(db, version.name)
            let next = (try Int64.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE name = ?", arguments: [version.name]) ?? 0) + 1
            try db.execute(
                sql: """
                    INSERT INTO model_versions (name, version, creation_timestamp, last_updated_timestamp, user_id, current_stage,
                        description, source, run_id, run_link, model_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [version.name, next, version.creationTimestamp, version.lastUpdatedTimestamp, version.userId,
                            version.currentStage.rawValue, version.description, version.source, version.runId, version.runLink, version.modelId])
            for tag in version.tags {
                try db.execute(sql: "INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)",
                               arguments: [version.name, next, tag.key, tag.value])
            }
            try Self.touchRegisteredModel(db, version.name)
            let stored = try Self.loadVersions(db, whereSQL: "mv.name = ? AND mv.version = ?", arguments: [version.name, next])[0]
            try Self.appendHistory(db, name: version.name, records: history(stored), actor: actor)
            return stored
        }
    }

    public func modelVersion(name: String, version: Int64) async throws -> ModelVersion {
        try await read { db in try Self.requireVersion(db, name, version) }
    }

    public func updateModelVersionDescription(name: String, version: Int64, description: String) async throws {
        try await write { db in
            _ = try Self.requireVersion(db, name, version)
            try db.execute(sql: "UPDATE model_versions SET description = ?, last_updated_timestamp = ? WHERE name = ? AND version = ?",
                           arguments: [description, Identifiers.nowMillis(), name, version])
        }
    }

    public func deleteModelVersion(name: String, version: Int64, policy: PolicyExpectation,
                                   history: @escaping @Sendable ([String]) -> [HistoryRecord], actor: String) async throws {
        try await write { db in
            _ = try Self.requireVersion(db, name, version)
            try Self.require(db, policy, name: name)
            // The version's aliases go with it (ON DELETE CASCADE); the history says which.
            let aliases = try String.fetchAll(db, sql: "SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? ORDER BY alias",
                                              arguments: [name, version])
            try db.execute(sql: "DELETE FROM model_versions WHERE name = ? AND version = ?", arguments: [name, version])
            try Self.touchRegisteredModel(db, name)
            try Self.appendHistory(db, name: name, records: history(aliases), actor: actor)
        }
    }

    public func transitionStage(name: String, version: Int64, to stage: ModelStage, archiveExisting: Bool,
                                history: @escaping @Sendable (StageTransition) -> [HistoryRecord], actor: String) async throws {
        try await write { db in
            let current = try Self.requireVersion(db, name, version)
            let now = Identifiers.nowMillis()
            var archived: [Int64] = []
            if archiveExisting && (stage == .staging || stage == .production) {
                archived = try Int64.fetchAll(db, sql: "SELECT version FROM model_versions WHERE name = ? AND current_stage = ? AND version != ? ORDER BY version",
                                              arguments: [name, stage.rawValue, version])
                for other in archived {
                    try db.execute(sql: "UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? WHERE name = ? AND version = ?",
                                   arguments: [ModelStage.archived.rawValue, now, name, other])
                }
            }
            try db.execute(sql: "UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? WHERE name = ? AND version = ?",
                           arguments: [stage.rawValue, now, name, version])
            try Self.touchRegisteredModel(db, name)
            let transition = StageTransition(version: version, from: current.currentStage, to: stage, archived: archived)
            try Self.appendHistory(db, name: name, records: history(transition), actor: actor)
        }
    }

    public func searchModelVersions(_ query: RegistryQuery) async throws -> Page<ModelVersion> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxModelVersionSearchResults)
        var condition = SQLFragment("1")
        if !query.includePrompts {
            condition.and(SQLFragment("NOT EXISTS (SELECT 1 FROM registered_model_tags pt WHERE pt.name = mv.name AND pt.key = '\(ReservedTags.isPrompt)' AND lower(pt.value) = 'true')"))
        }
        for clause in query.filter {
            condition.and(try RegistrySearchSQL.modelVersionCondition(for: clause))
        }
        var order = try query.orderBy.map { try RegistrySearchSQL.orderTerm($0, alias: "mv") }
        order += ["mv.name ASC", "mv.version DESC"]
        let whereSQL = condition.sql + " ORDER BY " + order.joined(separator: ", ") + " " + window.limitSQL
        let arguments = condition.arguments
        let versions = try await read { db in
            try Self.loadVersions(db, whereSQL: whereSQL, arguments: StatementArguments(arguments))
        }
        return window.page(versions)
    }

    public func setModelVersionTag(name: String, version: Int64, tag: Tag) async throws {
        try await write { db in
            _ = try Self.requireVersion(db, name, version)
            try db.execute(sql: "INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)",
                           arguments: [name, version, tag.key, tag.value])
        }
    }

    public func deleteModelVersionTag(name: String, version: Int64, key: String) async throws {
        try await write { db in
            _ = try Self.requireVersion(db, name, version)
            try db.execute(sql: "DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?", arguments: [name, version, key])
        }
    }

    // MARK: Aliases

    public func setAlias(name: String, alias: String, version: Int64, expected: AliasExpectation, policy: PolicyExpectation,
                         history: @escaping @Sendable (Int64?) -> [HistoryRecord], actor: String) async throws {
        try await write { db in
            _ = try Self.requireVersion(db, name, version)
            try Self.require(db, policy, name: name)
            let previous = try Self.aliasHolder(db, name, alias)
            try Self.require(expected, previous, name: name, alias: alias)
            try db.execute(sql: "INSERT OR REPLACE INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?)",
                           arguments: [name, alias, version])
            try Self.touchRegisteredModel(db, name)
            try Self.appendHistory(db, name: name, records: history(previous), actor: actor)
        }
    }

    public func deleteAlias(name: String, alias: String, expected: AliasExpectation, policy: PolicyExpectation,
                            history: @escaping @Sendable (Int64) -> [HistoryRecord], actor: String) async throws {
        try await write { db in
            try Self.requireRegisteredModel(db, name)
            try Self.require(db, policy, name: name)
            let previous = try Self.aliasHolder(db, name, alias)
            try Self.require(expected, previous, name: name, alias: alias)
            try db.execute(sql: "DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?", arguments: [name, alias])
            if let previous {
                try Self.appendHistory(db, name: name, records: history(previous), actor: actor)
            }
        }
    }

    public func version(name: String, alias: String) async throws -> ModelVersion {
        try await read { db in
            try Self.requireRegisteredModel(db, name)
            guard let version = try Self.aliasHolder(db, name, alias) else {
                throw YardError.notFound("Registered model alias \(alias) not found.")
            }
            return try Self.requireVersion(db, name, version)
        }
    }

    public func aliasHolder(name: String, alias: String) async throws -> Int64? {
        try await read { db in
            try Self.requireRegisteredModel(db, name)
            return try Self.aliasHolder(db, name, alias)
        }
    }

    // MARK: Policies and history

    public func setPolicy(name: String, document: String, history: [HistoryRecord], actor: String) async throws {
        try await write { db in
            try Self.requireRegisteredModel(db, name)
            try db.execute(sql: "INSERT OR REPLACE INTO promotion_policies (name, document, updated_by, updated_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, document, actor, Identifiers.nowMillis()])
            try Self.appendHistory(db, name: name, records: history, actor: actor)
        }
    }

    public func policy(name: String) async throws -> String? {
        try await read { db in
            try Self.requireRegisteredModel(db, name)
            return try String.fetchOne(db, sql: "SELECT document FROM promotion_policies WHERE name = ?", arguments: [name])
        }
    }

    public func appendHistory(name: String, records: [HistoryRecord], actor: String) async throws {
        try await write { db in
            try Self.appendHistory(db, name: name, records: records, actor: actor)
        }
    }

    public func registeredModelId(name: String) async throws -> String? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT model_id FROM registered_models WHERE name = ?", arguments: [name])
        }
    }

    public func deletedModelIds(name: String) async throws -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT model_id FROM model_history WHERE name = ? AND action = ? ORDER BY sequence DESC",
                                arguments: [name, HistoryAction.modelDeleted.rawValue])
        }
    }

    public func history(modelId: String) async throws -> [ModelHistoryEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT sequence, model_id, name, version, action, detail, actor, timestamp FROM model_history
                WHERE model_id = ? ORDER BY sequence
                """, arguments: [modelId]).map { row in
                let actionName: String = row[4]
                guard let action = HistoryAction(rawValue: actionName) else {
                    throw YardError(.internalError, "Model history entry \(row[0] as Int64) has an unknown action '\(actionName)'")
                }
                return ModelHistoryEntry(sequence: row[0], modelId: row[1], modelName: row[2], version: row[3], action: action,
                                         detail: row[5], actor: row[6], timestamp: row[7])
            }
        }
    }

    // MARK: Helpers

    /// Appends `records` to the history of the live model called `name`.
    static func appendHistory(_ db: Database, name: String, records: [HistoryRecord], actor: String) throws {
        guard !records.isEmpty else { return }
        try appendHistory(db, modelId: try requireRegisteredModelId(db, name), name: name, records: records, actor: actor)
    }

    static func appendHistory(_ db: Database, modelId: String, name: String, records: [HistoryRecord], actor: String) throws {
        let now = Identifiers.nowMillis()
        for record in records {
            try db.execute(sql: "INSERT INTO model_history (model_id, name, version, action, detail, actor, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [modelId, name, record.version, record.action.rawValue, record.detail, actor, now])
        }
    }

    static func aliasHolder(_ db: Database, _ name: String, _ alias: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?", arguments: [name, alias])
    }

    /// The compare of compare-and-set: refuses the write when the alias moved since the caller read it.
    static func require(_ expected: AliasExpectation, _ current: Int64?, name: String, alias: String) throws {
        guard !expected.matches(current) else { return }
        let now = current.map { "points at version \($0)" } ?? "is not set"
        let was: String
        switch expected {
        case .any: was = "anything"
        case .absent: was = "not set"
        case .holds(let version): was = "at version \(version)"
        }
        throw YardError(.resourceConflict,
                        "Alias '\(alias)' of registered model '\(name)' changed meanwhile: it \(now), but was \(was) when the decision was made; nothing was changed.")
    }

    /// Refuses the write when the model's promotion policy changed since the decision was made.
    static func require(_ db: Database, _ expected: PolicyExpectation, name: String) throws {
        guard expected != .any else { return }
        let current = try String.fetchOne(db, sql: "SELECT document FROM promotion_policies WHERE name = ?", arguments: [name])
        guard !expected.matches(current) else { return }
        throw YardError(.resourceConflict, "The promotion policy of registered model '\(name)' changed meanwhile; nothing was changed.")
    }

    static func newRegisteredModelId() -> String {
        "rm-" + Identifiers.newRunId()
    }

    static func requireRegisteredModelId(_ db: Database, _ name: String) throws -> String {
        guard let id = try String.fetchOne(db, sql: "SELECT model_id FROM registered_models WHERE name = ?", arguments: [name]) else {
            throw YardError.notFound("Registered Model with name=\(name) not found")
        }
        return id
    }

    static func requireRegisteredModel(_ db: Database, _ name: String) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM registered_models WHERE name = ?", arguments: [name]) == true else {
            throw YardError.notFound("Registered Model with name=\(name) not found")
        }
    }

    static func touchRegisteredModel(_ db: Database, _ name: String) throws {
        try db.execute(sql: "UPDATE registered_models SET last_updated_timestamp = ? WHERE name = ?", arguments: [Identifiers.nowMillis(), name])
    }

    static func requireVersion(_ db: Database, _ name: String, _ version: Int64) throws -> ModelVersion {
        guard let found = try loadVersions(db, whereSQL: "mv.name = ? AND mv.version = ?", arguments: [name, version]).first else {
            try requireRegisteredModel(db, name)
            throw YardError.notFound("Model Version (name=\(name), version=\(version)) not found")
        }
        return found
    }

    static func loadVersions(_ db: Database, whereSQL: String, arguments: StatementArguments) throws -> [ModelVersion] {
        var versions = try Row.fetchAll(db, sql: """
            SELECT mv.name, mv.version, mv.creation_timestamp, mv.last_updated_timestamp, mv.user_id, mv.current_stage,
                   mv.description, mv.source, mv.run_id, mv.run_link, mv.model_id
            FROM model_versions mv WHERE \(whereSQL)
            """, arguments: arguments).map { row in
            ModelVersion(name: row[0], version: row[1], creationTimestamp: row[2], lastUpdatedTimestamp: row[3], userId: row[4],
                         currentStage: ModelStage(rawValue: row[5]) ?? .none, description: row[6], source: row[7],
                         runId: row[8], runLink: row[9], modelId: row[10])
        }
        guard !versions.isEmpty else { return [] }
        let names = Array(Set(versions.map(\.name)))
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ",")
        var tags: [String: [Tag]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, version, key, value FROM model_version_tags WHERE name IN (\(placeholders)) ORDER BY key",
                                    arguments: StatementArguments(names)) {
            tags["\(row[0] as String)\u{0}\(row[1] as Int64)", default: []].append(Tag(key: row[2], value: row[3]))
        }
        var aliases: [String: [String]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, version, alias FROM registered_model_aliases WHERE name IN (\(placeholders)) ORDER BY alias",
                                    arguments: StatementArguments(names)) {
            aliases["\(row[0] as String)\u{0}\(row[1] as Int64)", default: []].append(row[2])
        }
        for index in versions.indices {
            let key = "\(versions[index].name)\u{0}\(versions[index].version)"
            versions[index].tags = tags[key] ?? []
            versions[index].aliases = aliases[key] ?? []
        }
        return versions
    }

    static func loadRegisteredModels(_ db: Database, names: [String]) throws -> [RegisteredModel] {
        guard !names.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ",")
        let arguments = StatementArguments(names)
        var byName: [String: RegisteredModel] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, creation_timestamp, last_updated_timestamp, user_id, description FROM registered_models WHERE name IN (\(placeholders))", arguments: arguments) {
            byName[row[0]] = RegisteredModel(name: row[0], creationTimestamp: row[1], lastUpdatedTimestamp: row[2], userId: row[3], description: row[4])
        }
        for row in try Row.fetchAll(db, sql: "SELECT name, key, value FROM registered_model_tags WHERE name IN (\(placeholders)) ORDER BY key", arguments: arguments) {
            byName[row[0]]?.tags.append(Tag(key: row[1], value: row[2]))
        }
        for row in try Row.fetchAll(db, sql: "SELECT name, alias, version FROM registered_model_aliases WHERE name IN (\(placeholders)) ORDER BY alias", arguments: arguments) {
            byName[row[0]]?.aliases.append(ModelAlias(alias: row[1], version: row[2]))
        }
        // Latest version per stage.
        let latest = try loadVersions(db, whereSQL: """
            mv.name IN (\(placeholders)) AND mv.version = (SELECT MAX(o.version) FROM model_versions o WHERE o.name = mv.name AND o.current_stage = mv.current_stage)
            ORDER BY mv.version
            """, arguments: arguments)
        for version in latest {
            byName[version.name]?.latestVersions.append(version)
        }
        return names.compactMap { byName[$0] }
    }
}

extension SQLiteStore: RegistryStore {}

/// Registry search translation. Tag `!=` matches models without the tag, which is what makes the
/// client's ever-present ``tag.`mlflow.prompt.is_prompt` != 'true'`` clause keep untagged models.
enum RegistrySearchSQL {
    static func registeredModelCondition(for clause: SearchClause) throws -> SQLFragment {
        switch clause.entity {
        case .attribute where clause.key == "name":
            return try SQLComparison.make(column: "rm.name", comparator: clause.comparator, value: clause.value)
        case .tag:
            return try tagCondition(table: "registered_model_tags", join: "t.name = rm.name", clause: clause)
        default:
            throw YardError.invalid("Invalid filter '\(clause.entity.rawValue).\(clause.key)' for registered models.")
        }
    }

    static func modelVersionCondition(for clause: SearchClause) throws -> SQLFragment {
        switch (clause.entity, clause.key) {
        case (.attribute, "name"):
            return try SQLComparison.make(column: "mv.name", comparator: clause.comparator, value: clause.value)
        case (.attribute, "run_id"):
            return try SQLComparison.make(column: "mv.run_id", comparator: clause.comparator, value: clause.value)
        case (.attribute, "source_path"):
            return try SQLComparison.make(column: "mv.source", comparator: clause.comparator, value: clause.value)
        case (.attribute, "version_number"):
            return try SQLComparison.make(column: "mv.version", comparator: clause.comparator, value: clause.value)
        case (.tag, _):
            return try tagCondition(table: "model_version_tags", join: "t.name = mv.name AND t.version = mv.version", clause: clause)
        default:
            throw YardError.invalid("Invalid filter '\(clause.entity.rawValue).\(clause.key)' for model versions.")
        }
    }

    private static func tagCondition(table: String, join: String, clause: SearchClause) throws -> SQLFragment {
        let inner = "SELECT 1 FROM \(table) t WHERE \(join) AND t.key = ?"
        if clause.comparator == .notEqual {
            let equal = try SQLComparison.make(column: "t.value", comparator: .equal, value: clause.value)
            return SQLFragment("NOT EXISTS (\(inner) AND \(equal.sql))", values: [clause.key.databaseValue] + equal.arguments)
        }
        return try SQLComparison.exists(inner: inner, key: clause.key, valueColumn: "t.value", comparator: clause.comparator, value: clause.value)
    }

    static func orderTerm(_ order: SearchOrder, alias: String) throws -> String {
        let direction = order.ascending ? "ASC" : "DESC"
        switch order.key {
        case "name": return "\(alias).name \(direction)"
        case "version_number": return "\(alias).version \(direction)"
        case "creation_timestamp": return "\(alias).creation_timestamp \(direction)"
        case "last_updated_timestamp": return "\(alias).last_updated_timestamp \(direction)"
        default: throw YardError.invalid("Invalid order_by key '\(order.key)'.")
        }
    }
}
