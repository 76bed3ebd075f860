import Foundation
import Logging
import PostgresNIO
import YardCore

/// One versioned schema change: its statements run in order, in the upgrade's transaction. Never edit a
/// shipped one; add the next.
struct PostgresMigration: Sendable {
    let id: String
    let statements: [String]
}

/// What `yard db status` reports.
public struct PostgresSchemaStatus: Sendable, Equatable {
    /// Applied migrations, oldest first.
    public var applied: [String]
    /// Known to this build and not yet applied.
    public var pending: [String]
    /// Applied by a newer build this one does not know (it must not serve that schema).
    public var unknown: [String]
    public var isCurrent: Bool { pending.isEmpty && unknown.isEmpty }
}

extension PostgresStore {
    /// Every domain's migrations in the order they apply; each domain keeps its own in its own file, and a
    /// later change goes after everything shipped before it.
    static var migrations: [PostgresMigration] {
        trackingMigrations + registryMigrations + datasetMigrations + servingMigrations + monitoringMigrations
            + trackingSearchIndexMigrations
    }

    /// Applies what is pending and returns the ids it applied (empty when the schema was current).
    @discardableResult
    public func upgradeSchema() async throws -> [String] { try await PostgresMigrator(store: self).upgrade() }

    public func schemaStatus() async throws -> PostgresSchemaStatus { try await PostgresMigrator(store: self).status() }

    /// `yard db status`: reads the version without changing anything.
    public static func schemaStatus(settings: PostgresSettings, logger: Logger) async throws -> PostgresSchemaStatus {
        let store = try await PostgresStore(settings: settings, schema: .leaveAlone, logger: logger)
        defer { store.close() }
        return try await store.schemaStatus()
    }

    /// `yard db upgrade`: applies what is pending and returns the ids applied.
    public static func upgradeSchema(settings: PostgresSettings, logger: Logger) async throws -> [String] {
        let store = try await PostgresStore(settings: settings, schema: .leaveAlone, logger: logger)
        defer { store.close() }
        return try await store.upgradeSchema()
    }
}

/// Runs migrations in one transaction under a PostgreSQL advisory lock keyed by the schema, so replicas
/// starting together wait for the first to finish instead of racing to create the same tables; the
/// others then find nothing pending. DDL is transactional in PostgreSQL, so a failed upgrade leaves the
/// schema as it was.
struct PostgresMigrator {
    let store: PostgresStore

    func upgrade() async throws -> [String] {
        let schema = store.settings.schema
        let known = PostgresStore.migrations
        return try await store.withConnection { connection in
            let pg = PGConnection(connection: connection, logger: store.logger)
            try await pg.execute("BEGIN")
            do {
                try await pg.execute("SELECT pg_advisory_xact_lock(hashtext('yard-migrations'), hashtext(?))", [.text(schema)])
                try await pg.execute("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"")
                try await pg.execute("""
                    CREATE TABLE IF NOT EXISTS "\(schema)".yard_migrations (
                        id TEXT COLLATE "C" PRIMARY KEY, applied_at BIGINT NOT NULL)
                    """)
                let applied = Set(try await pg.query("SELECT id FROM \"\(schema)\".yard_migrations").map { try $0.string("id") })
                let unknown = applied.subtracting(known.map(\.id))
                guard unknown.isEmpty else { throw Self.newerSchema(unknown) }
                var ran: [String] = []
                for migration in known where !applied.contains(migration.id) {
                    for statement in migration.statements {
                        try await pg.execute("SET LOCAL search_path TO \"\(schema)\"")
                        do {
                            try await pg.execute(statement)
                        } catch {
                            throw YardError(.internalError, "PostgreSQL migration \(migration.id) failed: \(PostgresStore.describe(error))")
                        }
                    }
                    try await pg.execute("INSERT INTO \"\(schema)\".yard_migrations (id, applied_at) VALUES (?, ?)",
                                         [.text(migration.id), .int(Identifiers.nowMillis())])
                    ran.append(migration.id)
                }
                try await pg.execute("COMMIT")
                if !ran.isEmpty {
                    store.logger.info("PostgreSQL schema upgraded", metadata: ["schema": "\(schema)", "applied": "\(ran.joined(separator: ", "))"])
                }
                return ran
            } catch {
                _ = try? await pg.execute("ROLLBACK")
                throw store.mapped(error)
            }
        }
    }

    func status() async throws -> PostgresSchemaStatus {
        let schema = store.settings.schema
        let known = PostgresStore.migrations.map(\.id)
        let applied: [String] = try await store.withConnection { connection in
            let pg = PGConnection(connection: connection, logger: store.logger)
            let exists = try await pg.first("SELECT to_regclass(?) IS NOT NULL AS present", [.text("\"\(schema)\".yard_migrations")])
            guard try exists?.bool("present") == true else { return [] }
            return try await pg.query("SELECT id FROM \"\(schema)\".yard_migrations ORDER BY applied_at, id").map { try $0.string("id") }
        }
        let appliedSet = Set(applied)
        return PostgresSchemaStatus(applied: applied,
                                    pending: known.filter { !appliedSet.contains($0) },
                                    unknown: applied.filter { !known.contains($0) })
    }

    /// For a server started with migrations off: refuse a schema that is behind or ahead of this build.
    func checkCurrent() async throws {
        let status = try await status()
        if !status.unknown.isEmpty { throw Self.newerSchema(Set(status.unknown)) }
        if !status.pending.isEmpty {
            throw YardError(.invalidState, "The PostgreSQL schema is behind this yard build (\(status.pending.count) migrations pending); run `yard db upgrade --store <url>`.")
        }
    }

    static func newerSchema(_ unknown: Set<String>) -> YardError {
        YardError(.invalidState, "The PostgreSQL schema was upgraded by a newer yard (migrations \(unknown.sorted().joined(separator: ", ")) are unknown to this build); run the newer yard, or restore a backup.")
    }
}
