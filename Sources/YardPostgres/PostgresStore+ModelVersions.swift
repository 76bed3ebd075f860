import Foundation
import YardStore
import YardCore

/// Model versions and aliases. Numbering (max + 1) and alias compare-and-set decide and write in one
/// SERIALIZABLE transaction: a replica that decided on a stale read gets a serialization failure and the
/// whole closure runs again on fresh data, so no number is handed out twice and no alias move is lost.
extension PostgresStore {
    // MARK: Model versions

    public func createModelVersion(_ version: ModelVersion, history: @escaping @Sendable (ModelVersion) -> [HistoryRecord],
                                   actor: String) async throws -> ModelVersion {
        try await write { pg in
            try await Self.requireRegisteredModel(pg, version.name)
            let newest = try await pg.first("SELECT MAX(version) AS newest FROM model_versions WHERE name = ?", [.text(version.name)])
            let next = (try newest?.optionalInt64("newest") ?? 0) + 1
            // A racing replica that took `next` first makes this a serialization failure (its row is not in our
            // snapshot), and the closure runs again with a fresh MAX; never a duplicate or a skipped number.
            let inserted = try await pg.execute("""
                INSERT INTO model_versions (name, version, creation_timestamp, last_updated_timestamp, user_id, current_stage,
                    description, source, run_id, run_link, model_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name, version) DO NOTHING RETURNING 1
                """, [.text(version.name), .int(next), .int(version.creationTimestamp), .int(version.lastUpdatedTimestamp),
                      .text(version.userId), .text(version.currentStage.rawValue), .text(version.description), .text(version.source),
                      .text(version.runId), .text(version.runLink), .text(version.modelId)])
            guard inserted == 1 else {
                throw YardError(.internalError, "Model Version (name=\(version.name), version=\(next)) exists although it was the next number.")
            }
            for tag in version.tags {
                try await Self.upsertModelVersionTag(pg, name: version.name, version: next, tag: tag)
            }
            try await Self.touchRegisteredModel(pg, version.name)
            let stored = try await Self.requireVersion(pg, version.name, next)
            try await Self.appendHistory(pg, name: version.name, records: history(stored), actor: actor)
            return stored
        }
    }

    public func modelVersion(name: String, version: Int64) async throws -> ModelVersion {
        try await read { pg in try await Self.requireVersion(pg, name, version) }
    }

    public func updateModelVersionDescription(name: String, version: Int64, description: String) async throws {
        try await write { pg in
            _ = try await Self.requireVersion(pg, name, version)
            try await pg.execute("UPDATE model_versions SET description = ?, last_updated_timestamp = ? WHERE name = ? AND version = ?",
                                 [.text(description), .int(Identifiers.nowMillis()), .text(name), .int(version)])
        }
    }

    public func deleteModelVersion(name: String, version: Int64, policy: PolicyExpectation,
                                   history: @escaping @Sendable ([String]) -> [HistoryRecord], actor: String) async throws {
        try await write { pg in
            _ = try await Self.requireVersion(pg, name, version)
            try await Self.require(pg, policy, name: name)
            // The version's aliases go with it (ON DELETE CASCADE); the history says which.
            let aliases = try await pg.query("SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? ORDER BY alias",
                                             [.text(name), .int(version)]).map { try $0.string("alias") }
            try await pg.execute("DELETE FROM model_versions WHERE name = ? AND version = ?", [.text(name), .int(version)])
            try await Self.touchRegisteredModel(pg, name)
            try await Self.appendHistory(pg, name: name, records: history(aliases), actor: actor)
        }
    }

    public func transitionStage(name: String, version: Int64, to stage: ModelStage, archiveExisting: Bool,
                                history: @escaping @Sendable (StageTransition) -> [HistoryRecord], actor: String) async throws {
        try await write { pg in
            let current = try await Self.requireVersion(pg, name, version)
            let now = Identifiers.nowMillis()
            var archived: [Int64] = []
            if archiveExisting && (stage == .staging || stage == .production) {
                archived = try await pg.query("""
                    SELECT version FROM model_versions WHERE name = ? AND current_stage = ? AND version != ? ORDER BY version
                    """, [.text(name), .text(stage.rawValue), .int(version)]).map { try $0.int64("version") }
                if !archived.isEmpty {
                    try await pg.execute("""
                        UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ?
                        WHERE name = ? AND version = ANY(?::bigint[])
                        """, [.text(ModelStage.archived.rawValue), .int(now), .text(name), .intArray(archived)])
                }
            }
            try await pg.execute("UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? WHERE name = ? AND version = ?",
                                 [.text(stage.rawValue), .int(now), .text(name), .int(version)])
            try await Self.touchRegisteredModel(pg, name)
            let transition = StageTransition(version: version, from: current.currentStage, to: stage, archived: archived)
            try await Self.appendHistory(pg, name: name, records: history(transition), actor: actor)
        }
    }

    public func searchModelVersions(_ query: RegistryQuery) async throws -> Page<ModelVersion> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxModelVersionSearchResults)
        var condition = PGStatement("TRUE")
        if !query.includePrompts {
            condition.and(PGRegistrySearch.notPrompt(nameColumn: "mv.name"))
        }
        for clause in query.filter {
            condition.and(try PGRegistrySearch.modelVersionCondition(for: clause))
        }
        var order = try query.orderBy.map { try PGRegistrySearch.orderTerm($0, alias: "mv") }
        order += ["mv.name ASC", "mv.version DESC"]
        condition.append(PGStatement(" ORDER BY " + order.joined(separator: ", ") + " " + window.limitSQL))
        let versions = try await read { [condition] pg in try await Self.loadVersions(pg, condition) }
        return window.page(versions)
    }

    public func setModelVersionTag(name: String, version: Int64, tag: Tag) async throws {
        try await write { pg in
            _ = try await Self.requireVersion(pg, name, version)
            try await Self.upsertModelVersionTag(pg, name: name, version: version, tag: tag)
        }
    }

    public func deleteModelVersionTag(name: String, version: Int64, key: String) async throws {
        try await write { pg in
            _ = try await Self.requireVersion(pg, name, version)
            try await pg.execute("DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?",
                                 [.text(name), .int(version), .text(key)])
        }
    }

    // MARK: Aliases

    public func setAlias(name: String, alias: String, version: Int64, expected: AliasExpectation, policy: PolicyExpectation,
                         history: @escaping @Sendable (Int64?) -> [HistoryRecord], actor: String) async throws {
        try await write { pg in
            _ = try await Self.requireVersion(pg, name, version)
            try await Self.require(pg, policy, name: name)
            let previous = try await Self.aliasHolder(pg, name, alias)
            try Self.require(expected, previous, name: name, alias: alias)
            try await pg.execute("""
                INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?)
                ON CONFLICT (name, alias) DO UPDATE SET version = EXCLUDED.version
                """, [.text(name), .text(alias), .int(version)])
            try await Self.touchRegisteredModel(pg, name)
            try await Self.appendHistory(pg, name: name, records: history(previous), actor: actor)
        }
    }

    public func deleteAlias(name: String, alias: String, expected: AliasExpectation, policy: PolicyExpectation,
                            history: @escaping @Sendable (Int64) -> [HistoryRecord], actor: String) async throws {
        try await write { pg in
            try await Self.requireRegisteredModel(pg, name)
            try await Self.require(pg, policy, name: name)
            let previous = try await Self.aliasHolder(pg, name, alias)
            try Self.require(expected, previous, name: name, alias: alias)
            try await pg.execute("DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?", [.text(name), .text(alias)])
            if let previous {
                try await Self.appendHistory(pg, name: name, records: history(previous), actor: actor)
            }
        }
    }

    public func version(name: String, alias: String) async throws -> ModelVersion {
        try await read { pg in
            try await Self.requireRegisteredModel(pg, name)
            guard let version = try await Self.aliasHolder(pg, name, alias) else {
                throw YardError.notFound("Registered model alias \(alias) not found.")
            }
            return try await Self.requireVersion(pg, name, version)
        }
    }

    public func aliasHolder(name: String, alias: String) async throws -> Int64? {
        try await read { pg in
            try await Self.requireRegisteredModel(pg, name)
            return try await Self.aliasHolder(pg, name, alias)
        }
    }

    // MARK: Helpers

    static func aliasHolder(_ pg: PGConnection, _ name: String, _ alias: String) async throws -> Int64? {
        try await pg.first("SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?", [.text(name), .text(alias)])?
            .int64("version")
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

    static func upsertModelVersionTag(_ pg: PGConnection, name: String, version: Int64, tag: Tag) async throws {
        try await pg.execute("""
            INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)
            ON CONFLICT (name, version, key) DO UPDATE SET value = EXCLUDED.value
            """, [.text(name), .int(version), .text(tag.key), .text(tag.value)])
    }

    static func requireVersion(_ pg: PGConnection, _ name: String, _ version: Int64) async throws -> ModelVersion {
        guard let found = try await loadVersions(pg, PGStatement("mv.name = ? AND mv.version = ?", [.text(name), .int(version)])).first else {
            try await requireRegisteredModel(pg, name)
            throw YardError.notFound("Model Version (name=\(name), version=\(version)) not found")
        }
        return found
    }

    /// Versions matching `condition` (a WHERE clause, optionally followed by ORDER BY and LIMIT), in its
    /// order, with their tags and aliases.
    static func loadVersions(_ pg: PGConnection, _ condition: PGStatement) async throws -> [ModelVersion] {
        var statement = PGStatement("""
            SELECT mv.name, mv.version, mv.creation_timestamp, mv.last_updated_timestamp, mv.user_id, mv.current_stage,
                   mv.description, mv.source, mv.run_id, mv.run_link, mv.model_id
            FROM model_versions mv WHERE
            """)
        statement.append(PGStatement(" "))
        statement.append(condition)
        var versions = try await pg.query(statement).map { row in
            ModelVersion(name: try row.string("name"), version: try row.int64("version"),
                         creationTimestamp: try row.int64("creation_timestamp"), lastUpdatedTimestamp: try row.int64("last_updated_timestamp"),
                         userId: try row.optionalString("user_id"),
                         currentStage: ModelStage(rawValue: try row.string("current_stage")) ?? .none,
                         description: try row.string("description"), source: try row.string("source"),
                         runId: try row.optionalString("run_id"), runLink: try row.optionalString("run_link"),
                         modelId: try row.optionalString("model_id"))
        }
        guard !versions.isEmpty else { return [] }
        let names = PGValue.textArray(Array(Set(versions.map(\.name))))
        var tags: [String: [Tag]] = [:]
        for row in try await pg.query("SELECT name, version, key, value FROM model_version_tags WHERE name = ANY(?::text[]) ORDER BY key", [names]) {
            tags[versionKey(try row.string("name"), try row.int64("version")), default: []]
                .append(Tag(key: try row.string("key"), value: try row.string("value")))
        }
        var aliases: [String: [String]] = [:]
        for row in try await pg.query("SELECT name, version, alias FROM registered_model_aliases WHERE name = ANY(?::text[]) ORDER BY alias", [names]) {
            aliases[versionKey(try row.string("name"), try row.int64("version")), default: []].append(try row.string("alias"))
        }
        for index in versions.indices {
            let key = versionKey(versions[index].name, versions[index].version)
            versions[index].tags = tags[key] ?? []
            versions[index].aliases = aliases[key] ?? []
        }
        return versions
    }

    private static func versionKey(_ name: String, _ version: Int64) -> String { "\(name)\u{0}\(version)" }
}
