import ArgumentParser
import Foundation
import Logging
import YardCore
import YardPostgres
import YardSQLite
import YardServer
import YardStore

/// `yard db`: the metadata store's schema, for operators who upgrade before rolling replicas.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect and upgrade the metadata store's schema (PostgreSQL), or copy a SQLite store to PostgreSQL.",
        discussion: """
            Servers upgrade the schema themselves when they start (under an advisory lock, so replicas starting together do not race). Run `yard db upgrade` to do it ahead of a rolling restart, and `yard db status` to see the version.

            Examples:
              yard db status --store postgresql://yard@db:5432/yard
              PGPASSWORD=… yard db upgrade --store postgresql://yard@db:5432/yard?schema=team_a
              yard db copy --from ./yard-data --to postgresql://yard@db:5432/yard
            """,
        subcommands: [DatabaseStatusCommand.self, DatabaseUpgradeCommand.self, DatabaseCopyCommand.self])
}

struct DatabaseStoreOption: ParsableArguments {
    @Option(help: "The PostgreSQL store: postgresql://user@host:5432/database[?schema=…&sslmode=…] (password from the URL or PGPASSWORD).")
    var store: String

    func settings() throws -> PostgresSettings {
        guard PostgresSettings.isPostgresURL(store) else {
            throw ValidationError("--store must be a postgresql:// URL; a SQLite store upgrades itself when it is opened.")
        }
        do {
            return try PostgresSettings(url: store)
        } catch let error as YardError {
            throw ValidationError(error.message)
        }
    }

}

struct DatabaseStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which schema migrations are applied and which are pending.",
        discussion: """
            Exits with status 1 when the schema is not current (pending migrations, or ones from a newer yard).

            Example:
              yard db status --store postgresql://yard@db:5432/yard
            """)

    @OptionGroup var options: DatabaseStoreOption

    func run() async throws {
        let settings = try options.settings()
        var logger = Logger(label: "yard.db")
        logger.logLevel = .warning
        let status: PostgresSchemaStatus
        do {
            status = try await PostgresStore.schemaStatus(settings: settings, logger: logger)
        } catch let error as YardError {
            Console.error(error.message)
            throw ExitCode(2)
        }
        Console.line("store:    \(settings.displayName)")
        Console.line("version:  \(status.applied.last ?? "(empty: no yard schema yet)")")
        Console.line("applied:  \(status.applied.count)")
        for id in status.pending { Console.line("pending:  \(id)") }
        for id in status.unknown { Console.line("unknown:  \(id) (applied by a newer yard)") }
        if status.isCurrent {
            Console.line("The schema is current.")
        } else if !status.unknown.isEmpty {
            Console.line("This yard is older than the schema: run the newer yard.")
            throw ExitCode(1)
        } else {
            Console.line("Run `yard db upgrade --store …` (or start a server) to apply the pending migrations.")
            throw ExitCode(1)
        }
    }
}

struct DatabaseUpgradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Apply pending schema migrations (safe to run while servers are up, and concurrently).",
        discussion: """
            Example:
              yard db upgrade --store postgresql://yard@db:5432/yard
            """)

    @OptionGroup var options: DatabaseStoreOption

    func run() async throws {
        let settings = try options.settings()
        var logger = Logger(label: "yard.db")
        logger.logLevel = .warning
        let applied: [String]
        do {
            applied = try await PostgresStore.upgradeSchema(settings: settings, logger: logger)
        } catch let error as YardError {
            Console.error(error.message)
            throw ExitCode(2)
        }
        if applied.isEmpty {
            Console.line("\(settings.displayName): the schema was already current.")
        } else {
            Console.line("\(settings.displayName): applied \(applied.count) migrations:")
            for id in applied { Console.line("  \(id)") }
        }
    }
}

struct DatabaseCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy an embedded (SQLite) installation into an empty PostgreSQL store, and verify it.",
        discussion: """
            Every row of every table is copied with its ids and times (experiments, runs, params, metric points, tags, inputs and outputs, models, versions, aliases, promotion history, datasets, serving and monitoring rows) in one PostgreSQL transaction; sequences move past the copied ids. Before committing, each table is read back and its row count and content digest compared with the source's; any difference commits nothing.

            The source is opened read-only and read from one consistent snapshot, so a server may keep running on it; writes it makes after the snapshot are not copied (the command says so). The target must be empty (a fresh schema, or one holding only a server's default experiment). Artifacts are not moved: point the PostgreSQL servers at the same artifact root.

            Example:
              yard db copy --from ./yard-data --to postgresql://yard@db:5432/yard?schema=main
            """)

    @Option(help: "The source: a yard data directory (its yard.db) or the path of a SQLite store file.")
    var from: String

    @Option(help: "The target: postgresql://user@host:5432/database[?schema=…] (password from the URL or PGPASSWORD).")
    var to: String

    func run() async throws {
        guard PostgresSettings.isPostgresURL(to) else {
            throw ValidationError("--to must be a postgresql:// URL.")
        }
        let settings: PostgresSettings
        do { settings = try PostgresSettings(url: to) } catch let error as YardError { throw ValidationError(error.message) }
        var isDirectory: ObjCBool = false
        let sourcePath = FileManager.default.fileExists(atPath: from, isDirectory: &isDirectory) && isDirectory.boolValue
            ? (from as NSString).appendingPathComponent("yard.db") : from
        var logger = Logger(label: "yard.db")
        logger.logLevel = .warning
        let started = ContinuousClock.now
        let tables: [StoreCopyTable]
        do {
            let source = try SQLiteTableExport.openReadOnly(path: sourcePath)
            let store = try await PostgresStore(settings: settings, logger: logger)
            defer { store.close() }
            Console.error("Copying \(sourcePath) to \(settings.displayName)…")
            tables = try await store.importTables(from: source) { event in
                switch event {
                case .copied(let table, let rows): Console.error("  copied   \(table): \(rows) rows")
                case .verified(let table): Console.error("  verified \(table.name): \(table.rows) rows, digest \(table.digest)")
                case .sourceChangedAfterSnapshot(let names):
                    Console.error("warning: \(sourcePath) was written to after the snapshot (\(names.joined(separator: ", "))); those writes are not in the copy. Stop the server and copy into a fresh schema to include them.")
                }
            }
        } catch let error as YardError {
            Console.error(error.message)
            throw ExitCode(2)
        }
        var combined = StoreTableDigest(columnCount: 2)
        for table in tables { combined.add([.text(table.name), .text(table.digest)]) }
        Console.line(Console.table(["table", "rows", "digest"], tables.map { [$0.name, "\($0.rows)", $0.digest] }))
        let seconds = (ContinuousClock.now - started).components
        Console.line("total:  \(tables.reduce(0) { $0 + $1.rows }) rows in \(tables.count) tables, digest \(combined.hex) (\(seconds.seconds) s)")
        Console.line("Verified: every table's row count and content digest in \(settings.displayName) equal the source's. Start servers with --store \(settings.displayName).")
    }
}
