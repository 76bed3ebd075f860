import Foundation
import Synchronization
import Logging
import PostgresNIO
import YardCore
import YardStore

/// The scale-out metadata store: PostgreSQL through PostgresNIO's connection pool, shared by any number of
/// `yard server` processes. Nothing that must be serialised lives in process memory: every write runs in
/// a SERIALIZABLE transaction, retried from the start when it loses a race, so two replicas moving the
/// same alias or numbering versions behave as the single SQLite writer does.
///
/// When the server is away, calls fail with TEMPORARILY_UNAVAILABLE (503) after the connect timeout and
/// succeed again once it is back; the pool reconnects on its own.
public final class PostgresStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    public let settings: PostgresSettings
    private let runner: Task<Void, Never>
    /// Run search asks it first, so a search right after a bulk load is not planned blind.
    let plannerStatistics = PlannerStatistics()

    /// Opens the pool and brings the schema up to date (under an advisory lock; see `PostgresMigrator`).
    public convenience init(url: String, logger: Logger = Logger(label: "yard.postgres")) async throws {
        try await self.init(settings: PostgresSettings(url: url), logger: logger)
    }

    /// What opening the store does to the schema.
    public enum SchemaHandling: Sendable {
        /// Apply pending migrations (a server's start-up).
        case upgrade
        /// Refuse a schema that is behind or ahead of this build.
        case requireCurrent
        /// Touch nothing (`yard db status`).
        case leaveAlone
    }

    public init(settings: PostgresSettings, schema: SchemaHandling = .upgrade, logger: Logger = Logger(label: "yard.postgres")) async throws {
        self.settings = settings
        self.logger = logger
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        self.client = client
        self.runner = Task { await client.run() }
        do {
            switch schema {
            case .upgrade: _ = try await PostgresMigrator(store: self).upgrade()
            case .requireCurrent: try await PostgresMigrator(store: self).checkCurrent()
            case .leaveAlone: break
            }
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit { runner.cancel() }

    /// Closes the pool's connections; calls after this fail.
    public func close() { runner.cancel() }

    /// One write transaction: SERIALIZABLE, committed when `body` returns, rolled back when it throws, and run
    /// again from the start (up to a limit) when PostgreSQL reports a serialization failure or deadlock.
    /// `body` must therefore only touch the database.
    func write<T: Sendable>(_ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T {
        try await transaction("BEGIN ISOLATION LEVEL SERIALIZABLE", body)
    }

    /// One read-only transaction on a consistent snapshot, as a SQLite WAL reader sees.
    func read<T: Sendable>(_ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T {
        try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    private func transaction<T: Sendable>(_ begin: String, _ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withConnection { connection in
                    let pg = PGConnection(connection: connection, logger: self.logger)
                    try await pg.execute(begin)
                    let value: T
                    do {
                        value = try await body(pg)
                    } catch {
                        _ = try? await pg.execute("ROLLBACK")
                        throw error
                    }
                    do {
                        try await pg.execute("COMMIT")
                    } catch {
                        _ = try? await pg.execute("ROLLBACK")
                        throw error
                    }
                    return value
                }
            } catch where PGErrors.isRetryable(error) && attempt < 30 {
                // Jittered backoff so racing replicas do not collide again in lockstep.
                let millis = UInt64.random(in: 1...UInt64(min(2 << min(attempt, 6), 100)))
                try await Task.sleep(nanoseconds: millis * 1_000_000)
            } catch {
                throw mapped(error)
            }
        }
    }

    /// A pooled connection, or TEMPORARILY_UNAVAILABLE when none comes within the connect timeout (the pool
    /// otherwise waits for the server indefinitely).
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let timeout = Duration.seconds(settings.connectTimeoutSeconds)
        let leased = LeaseFlag()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    leased.set()
                    return try await body(connection)
                }
            }
            group.addTask {
                var waited = Duration.zero
                while true {
                    try await Task.sleep(for: timeout)
                    waited += timeout
                    if leased.isSet { return nil }
                    if let cause = await self.diagnoseUnreachable() { throw cause }
                    // PostgreSQL answers, so every pooled connection is busy: a queue under load, not an
                    // outage, and worth waiting for a while longer.
                    if waited >= Self.busyPoolPatience {
                        throw self.unavailable("all \(self.settings.maximumConnections) pooled connections stayed busy for \(waited)")
                    }
                }
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw self.unavailable("the connection closed")
        }
    }

    /// How long a request waits for a pooled connection while PostgreSQL itself answers.
    static let busyPoolPatience = Duration.seconds(60)

    /// Why no connection came: the pool keeps retrying and does not say, so one direct connection attempt
    /// names the cause (nothing listening, an unknown user, a wrong password, a missing database); nil when
    /// that attempt succeeds, i.e. the server is there and the pool's connections are merely all in use.
    func diagnoseUnreachable() async -> YardError? {
        let fallback = unavailable("no connection within \(settings.connectTimeoutSeconds) s")
        guard settings.sslMode != "require" else { return fallback }
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username,
            password: settings.password, database: settings.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(Int64(settings.connectTimeoutSeconds))
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
            return nil
        } catch {
            return mapped(error) as? YardError ?? fallback
        }
    }

    func unavailable(_ reason: String) -> YardError {
        YardError(.temporarilyUnavailable,
                  "The PostgreSQL store at \(settings.host):\(settings.port) is unavailable (\(reason)); retry once it is reachable.")
    }

    func mapped(_ error: any Error) -> any Error {
        if error is YardError || error is TrackingStoreError { return error }
        if PGErrors.isUnavailable(error) {
            return unavailable(Self.describe(error))
        }
        if PGErrors.isRetryable(error) {
            // Every retry lost its race: the data is fine and the request may be sent again.
            return YardError(.temporarilyUnavailable, "The PostgreSQL store kept losing races with concurrent writes to the same rows; retry the request.")
        }
        if let psql = error as? PSQLError, let message = psql.serverInfo?[.message] {
            switch psql.serverInfo?[.sqlState] {
            case "22021", "22P05":
                // SQLite stores what PostgreSQL's text type refuses (a NUL character): the caller's value, not a fault here.
                return YardError.invalid("PostgreSQL cannot store this text (\(message)); remove NUL (\\u0000) characters from names, keys and values.")
            case "54000":
                return YardError.invalid("A value is too long for PostgreSQL to index (\(message)); shorten the name, key or id.")
            case "28P01":
                return YardError(.temporarilyUnavailable, "PostgreSQL refused the password for user '\(settings.username)' (\(message)): check the password in the store URL or PGPASSWORD.")
            case "28000":
                return YardError(.temporarilyUnavailable, "PostgreSQL refused user '\(settings.username)' (\(message)): check the user in the store URL (or PGUSER) and pg_hba.conf.")
            default:
                break
            }
            if psql.serverInfo?[.sqlState] == "3D000" {
                return YardError(.temporarilyUnavailable, "PostgreSQL has no database '\(settings.database)': \(message). Create it (createdb \(settings.database)) or name another in the store URL.")
            }
            logger.error("PostgreSQL error", metadata: ["sqlstate": "\(psql.serverInfo?[.sqlState] ?? "")", "message": "\(message)"])
            return YardError(.internalError, "The PostgreSQL store failed: \(message)")
        }
        return error
    }

    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            if let underlying = psql.underlying {
                let text = "\(underlying)"
                if text.contains("Connection refused") { return "connection refused: is PostgreSQL running and listening there?" }
                if text.contains("timed out") || text.contains("Timeout") { return "the connection attempt timed out" }
                return "\(psql.code): \(text)"
            }
            return "\(psql.code)"
        }
        return "\(error)"
    }
}

/// Set once the lease succeeded, so the timeout never fires on a slow query, only on a missing connection.
private final class LeaseFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
