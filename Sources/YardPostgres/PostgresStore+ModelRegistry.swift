import Foundation
import YardStore
import YardCore

/// Registered models, policies and the history, ported from the SQLite store. Each write, and the history
/// entries describing it, is one SERIALIZABLE transaction, so racing replicas see the same outcomes the single
/// SQLite writer gives.
extension PostgresStore {
    // MARK: Registered models

    public func createRegisteredModel(_ model: RegisteredModel) async throws {
        try await write { pg in
            if try await pg.first("SELECT 1 FROM registered_models WHERE name = ?", [.text(model.name)]) != nil {
                throw YardError(.resourceAlreadyExists, "Registered Model (name=\(model.name)) already exists.")
            }
            // A concurrent creation of the same name is not in our snapshot: ON CONFLICT then reports a
            // serialization failure, and the rerun finds the model and answers RESOURCE_ALREADY_EXISTS.
            try await pg.execute("""
                INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp, user_id, description, model_id)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING
                """, [.text(model.name), .int(model.creationTimestamp), .int(model.lastUpdatedTimestamp), .text(model.userId),
                 .text(model.description), .text(Self.newRegisteredModelId())])
            for tag in model.tags {
                try await Self.upsertRegisteredModelTag(pg, name: model.name, tag: tag)
            }
        }
    }

    public func registeredModel(name: String) async throws -> RegisteredModel {
        try await read { pg in
            guard let model = try await Self.loadRegisteredModels(pg, names: [name]).first else {
                throw YardError.notFound("Registered Model with name=\(name) not found")
            }
            return model
        }
    }

    public func renameRegisteredModel(name: String, to newName: String, history: [HistoryRecord], actor: String) async throws {
        try await write { pg in
            try await Self.requireRegisteredModel(pg, name)
            if try await pg.first("SELECT 1 FROM registered_models WHERE name = ?", [.text(newName)]) != nil {
                throw YardError(.resourceAlreadyExists, "Registered Model (name=\(newName)) already exists.")
            }
            // Child rows follow through ON UPDATE CASCADE; the history follows the model's id.
            try await pg.execute("UPDATE registered_models SET name = ?, last_updated_timestamp = ? WHERE name = ?",
                                 [.text(newName), .int(Identifiers.nowMillis()), .text(name)])
            try await Self.appendHistory(pg, name: newName, records: history, actor: actor)
        }
    }

    public func updateRegisteredModelDescription(name: String, description: String) async throws {
        try await write { pg in
            try await Self.requireRegisteredModel(pg, name)
            try await pg.execute("UPDATE registered_models SET description = ?, last_updated_timestamp = ? WHERE name = ?",
                                 [.text(description), .int(Identifiers.nowMillis()), .text(name)])
        }
    }

    public func deleteRegisteredModel(name: String, history: [HistoryRecord], actor: String) async throws {
        try await write { pg in
            let modelId = try await Self.requireRegisteredModelId(pg, name)
            try await pg.execute("DELETE FROM registered_models WHERE name = ?", [.text(name)])
            try await Self.appendHistory(pg, modelId: modelId, name: name, records: history, actor: actor)
        }
    }

    public func searchRegisteredModels(_ query: RegistryQuery) async throws -> Page<RegisteredModel> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxRegisteredModelSearchResults)
        var statement = PGStatement("SELECT rm.name FROM registered_models rm WHERE TRUE")
        if !query.includePrompts {
            statement.and(PGRegistrySearch.notPrompt(nameColumn: "rm.name"))
        }
        for clause in query.filter {
            statement.and(try PGRegistrySearch.registeredModelCondition(for: clause))
        }
        var order = try query.orderBy.map { try PGRegistrySearch.orderTerm($0, alias: "rm") }
        order.append("rm.name ASC")
        statement.append(PGStatement(" ORDER BY \(order.joined(separator: ", ")) \(window.limitSQL)"))
        let search = statement
        let models = try await read { pg in
            let names = try await pg.query(search).map { try $0.string("name") }
            return try await Self.loadRegisteredModels(pg, names: names)
        }
        return window.page(models)
    }

    public func setRegisteredModelTag(name: String, tag: Tag) async throws {
        try await write { pg in
            try await Self.requireRegisteredModel(pg, name)
            try await Self.upsertRegisteredModelTag(pg, name: name, tag: tag)
            try await Self.touchRegisteredModel(pg, name)
        }
    }

    public func deleteRegisteredModelTag(name: String, key: String) async throws {
        try await write { pg in
            try await Self.requireRegisteredModel(pg, name)
            try await pg.execute("DELETE FROM registered_model_tags WHERE name = ? AND key = ?", [.text(name), .text(key)])
            try await Self.touchRegisteredModel(pg, name)
        }
    }

    // MARK: Policies and history

    public func setPolicy(name: String, document: String, history: [HistoryRecord], actor: String) async throws {
        try await write { pg in
            try await Self.requireRegisteredModel(pg, name)
            try await pg.execute("""
                INSERT INTO promotion_policies (name, document, updated_by, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET document = EXCLUDED.document, updated_by = EXCLUDED.updated_by,
                    updated_at = EXCLUDED.updated_at
                """, [.text(name), .text(document), .text(actor), .int(Identifiers.nowMillis())])
            try await Self.appendHistory(pg, name: name, records: history, actor: actor)
        }
    }

    public func policy(name: String) async throws -> String? {
        try await read { pg in
            try await Self.requireRegisteredModel(pg, name)
            return try await Self.currentPolicy(pg, name)
        }
    }

    public func appendHistory(name: String, records: [HistoryRecord], actor: String) async throws {
        try await write { pg in
            try await Self.appendHistory(pg, name: name, records: records, actor: actor)
        }
    }

    public func registeredModelId(name: String) async throws -> String? {
        try await read { pg in
            try await pg.first("SELECT model_id FROM registered_models WHERE name = ?", [.text(name)])?.string("model_id")
        }
    }

    public func deletedModelIds(name: String) async throws -> [String] {
        try await read { pg in
            try await pg.query("SELECT model_id FROM model_history WHERE name = ? AND action = ? ORDER BY sequence DESC",
                               [.text(name), .text(HistoryAction.modelDeleted.rawValue)]).map { try $0.string("model_id") }
        }
    }

    public func history(modelId: String) async throws -> [ModelHistoryEntry] {
        try await read { pg in
            try await pg.query("""
                SELECT sequence, model_id, name, version, action, detail, actor, timestamp FROM model_history
                WHERE model_id = ? ORDER BY sequence
                """, [.text(modelId)]).map { row in
                let sequence = try row.int64("sequence")
                let actionName = try row.string("action")
                guard let action = HistoryAction(rawValue: actionName) else {
                    throw YardError(.internalError, "Model history entry \(sequence) has an unknown action '\(actionName)'")
                }
                return ModelHistoryEntry(sequence: sequence, modelId: try row.string("model_id"), modelName: try row.string("name"),
                                         version: try row.optionalInt64("version"), action: action, detail: try row.string("detail"),
                                         actor: try row.string("actor"), timestamp: try row.int64("timestamp"))
            }
        }
    }

    // MARK: Helpers

    /// Appends `records` to the history of the live model called `name`.
    static func appendHistory(_ pg: PGConnection, name: String, records: [HistoryRecord], actor: String) async throws {
        guard !records.isEmpty else { return }
        try await appendHistory(pg, modelId: try await requireRegisteredModelId(pg, name), name: name, records: records, actor: actor)
    }

    static func appendHistory(_ pg: PGConnection, modelId: String, name: String, records: [HistoryRecord], actor: String) async throws {
        let now = Identifiers.nowMillis()
        for record in records {
            try await pg.execute("INSERT INTO model_history (model_id, name, version, action, detail, actor, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 [.text(modelId), .text(name), .int(record.version), .text(record.action.rawValue), .text(record.detail),
                                  .text(actor), .int(now)])
        }
    }

    static func upsertRegisteredModelTag(_ pg: PGConnection, name: String, tag: Tag) async throws {
        try await pg.execute("""
            INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)
            ON CONFLICT (name, key) DO UPDATE SET value = EXCLUDED.value
            """, [.text(name), .text(tag.key), .text(tag.value)])
    }

    static func currentPolicy(_ pg: PGConnection, _ name: String) async throws -> String? {
        try await pg.first("SELECT document FROM promotion_policies WHERE name = ?", [.text(name)])?.string("document")
    }

    /// Refuses the write when the model's promotion policy changed since the decision was made.
    static func require(_ pg: PGConnection, _ expected: PolicyExpectation, name: String) async throws {
        guard expected != .any else { return }
        guard !expected.matches(try await currentPolicy(pg, name)) else { return }
        throw YardError(.resourceConflict, "The promotion policy of registered model '\(name)' changed meanwhile; nothing was changed.")
    }

    static func newRegisteredModelId() -> String {
        "rm-" + Identifiers.newRunId()
    }

    static func requireRegisteredModelId(_ pg: PGConnection, _ name: String) async throws -> String {
        guard let row = try await pg.first("SELECT model_id FROM registered_models WHERE name = ?", [.text(name)]) else {
            throw YardError.notFound("Registered Model with name=\(name) not found")
        }
        return try row.string("model_id")
    }

    static func requireRegisteredModel(_ pg: PGConnection, _ name: String) async throws {
        _ = try await requireRegisteredModelId(pg, name)
    }

    static func touchRegisteredModel(_ pg: PGConnection, _ name: String) async throws {
        try await pg.execute("UPDATE registered_models SET last_updated_timestamp = ? WHERE name = ?", [.int(Identifiers.nowMillis()), .text(name)])
    }

    static func loadRegisteredModels(_ pg: PGConnection, names: [String]) async throws -> [RegisteredModel] {
        guard !names.isEmpty else { return [] }
        let wanted = PGValue.textArray(names)
        var byName: [String: RegisteredModel] = [:]
        for row in try await pg.query("""
            SELECT name, creation_timestamp, last_updated_timestamp, user_id, description FROM registered_models
            WHERE name = ANY(?::text[])
            """, [wanted]) {
            let name = try row.string("name")
            byName[name] = RegisteredModel(name: name, creationTimestamp: try row.int64("creation_timestamp"),
                                           lastUpdatedTimestamp: try row.int64("last_updated_timestamp"),
                                           userId: try row.optionalString("user_id"), description: try row.string("description"))
        }
        for row in try await pg.query("SELECT name, key, value FROM registered_model_tags WHERE name = ANY(?::text[]) ORDER BY key", [wanted]) {
            byName[try row.string("name")]?.tags.append(Tag(key: try row.string("key"), value: try row.string("value")))
        }
        for row in try await pg.query("SELECT name, alias, version FROM registered_model_aliases WHERE name = ANY(?::text[]) ORDER BY alias", [wanted]) {
            byName[try row.string("name")]?.aliases.append(ModelAlias(alias: try row.string("alias"), version: try row.int64("version")))
        }
        // Latest version per stage.
        let latest = try await loadVersions(pg, PGStatement("""
            mv.name = ANY(?::text[]) AND mv.version = (SELECT MAX(o.version) FROM model_versions o WHERE o.name = mv.name AND o.current_stage = mv.current_stage)
            ORDER BY mv.version
            """, [wanted]))
        for version in latest {
            byName[version.name]?.latestVersions.append(version)
        }
        return names.compactMap { byName[$0] }
    }
}

extension PostgresStore: RegistryStore {}
