import Foundation
import Testing
import YardCore
@testable import YardPostgres

/// The PostgreSQL store's own plumbing: the URL, placeholders, migrations under the advisory lock, and the
/// errors an operator reads when the database is wrong or away. The store protocols' behaviour is the
/// shared suites' job (StoreSuite and friends, on every StoreFactory case).
@Suite("PostgreSQL foundation")
struct PostgresFoundationTests {
    @Test func urlOptionsAreReadAndThePasswordIsNeverShown() throws {
        let settings = try PostgresSettings(url: "postgresql://ml%40team:s3cret@db.example:6543/yard?schema=team_a&sslmode=require&pool_max=8&connect_timeout=2",
                                            environment: [:])
        #expect(settings.username == "ml@team")
        #expect(settings.password == "s3cret")
        #expect(settings.host == "db.example")
        #expect(settings.port == 6543)
        #expect(settings.database == "yard")
        #expect(settings.schema == "team_a")
        #expect(settings.sslMode == "require")
        #expect(settings.maximumConnections == 8)
        #expect(settings.connectTimeoutSeconds == 2)
        #expect(settings.displayName == "postgresql://ml@team@db.example:6543/yard?schema=team_a")
        #expect(!settings.displayName.contains("s3cret"))
    }

    @Test func thePasswordMayComeFromTheEnvironmentAndDefaultsApply() throws {
        let settings = try PostgresSettings(url: "postgres://yard@localhost", environment: ["PGPASSWORD": "from-env"])
        #expect(settings.password == "from-env")
        #expect(settings.port == 5432)
        #expect(settings.database == "yard")
        #expect(settings.schema == "public")
        #expect(settings.sslMode == "prefer")
    }

    @Test(arguments: [
        ("postgresql://u@h/db?schema=bad-name", "schema in the PostgreSQL URL must be a plain identifier (letters, digits, _), not 'bad-name'."),
        ("postgresql://u@h/db?sslmode=verify-full", "sslmode in the PostgreSQL URL must be disable, prefer or require, not 'verify-full'."),
        ("postgresql://u@h/db?pool_max=0", "pool_max in the PostgreSQL URL must be a whole number from 1 to 1000, not '0'."),
        ("postgresql://u@h/db?color=blue", "Unknown option 'color' in the PostgreSQL URL; known: sslmode, schema, pool_max, connect_timeout."),
        ("postgresql:///db", "The PostgreSQL URL names no host; expected postgresql://user:password@host:5432/database."),
    ])
    func badURLsAreRefusedNamingTheOption(_ url: String, _ message: String) {
        #expect(throws: YardError.invalid(message)) { try PostgresSettings(url: url, environment: [:]) }
    }

    @Test func placeholdersOutsideQuotesAreNumberedInOrder() throws {
        let statement = PGStatement("SELECT '?' AS q, \"a?b\" FROM t WHERE x = ? AND y IN (?, ?)", [.int(1), .text("a"), .text("b")])
        let query = try statement.postgresQuery()
        #expect(query.sql == "SELECT '?' AS q, \"a?b\" FROM t WHERE x = $1 AND y IN ($2, $3)")
        #expect(query.binds.count == 3)
        #expect(throws: YardError.self) { try PGStatement("SELECT ?", []).postgresQuery() }
    }

    @Test func serversStartingTogetherApplyEachMigrationOnce() async throws {
        guard PostgresTestCluster.isConfigured else { return }
        let directory = TemporaryDirectory()
        let url = try PostgresTestCluster.storeURL(for: directory)
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresStore(url: url) } }
            return try await group.reduce(into: [PostgresStore]()) { $0.append($1) }
        }
        let status = try await stores[0].schemaStatus()
        #expect(status.isCurrent)
        #expect(status.applied == PostgresStore.migrations.map(\.id))
        #expect(try await stores[1].upgradeSchema().isEmpty)
        for store in stores { store.close() }
    }

    @Test func aSchemaFromANewerBuildIsRefused() async throws {
        guard PostgresTestCluster.isConfigured else { return }
        let directory = TemporaryDirectory()
        let url = try PostgresTestCluster.storeURL(for: directory)
        let store = try await PostgresStore(url: url)
        _ = try await store.write { pg in
            try await pg.execute("INSERT INTO yard_migrations (id, applied_at) VALUES ('v99-from-the-future', 0)")
        }
        store.close()
        await #expect { _ = try await PostgresStore(url: url) } throws: { error in
            (error as? YardError)?.code == .invalidState && "\(error)".contains("v99-from-the-future")
        }
    }

    @Test func anUnreachableServerIsA503NamingIt() async throws {
        let settings = try PostgresSettings(url: "postgresql://yard@127.0.0.1:1/yard?connect_timeout=1&sslmode=disable", environment: [:])
        await #expect { _ = try await PostgresStore(settings: settings) } throws: { error in
            guard let error = error as? YardError else { return false }
            return error.code == .temporarilyUnavailable && error.message.contains("127.0.0.1:1") && error.message.contains("connection refused")
        }
    }

    @Test func anUnknownUserIsNamed() async throws {
        guard let base = PostgresTestCluster.url, let components = URLComponents(string: base),
              let host = components.host, let port = components.port else { return }
        let settings = try PostgresSettings(url: "postgresql://nobody_here@\(host):\(port)/yard?connect_timeout=2&sslmode=disable", environment: [:])
        await #expect { _ = try await PostgresStore(settings: settings) } throws: { error in
            guard let error = error as? YardError else { return false }
            return error.message.contains("refused user 'nobody_here'")
        }
    }
}
