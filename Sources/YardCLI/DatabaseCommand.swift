import ArgumentParser
import Foundation
import Logging
import YardCore
import YardPostgres
import YardServer

/// `yard db`: the metadata store's schema, for operators who upgrade before rolling replicas.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect and upgrade the metadata store's schema (PostgreSQL).",
        discussion: """
            Servers upgrade the schema themselves when they start (under an advisory lock, so replicas starting together do not race). Run `yard db upgrade` to do it ahead of a rolling restart, and `yard db status` to see the version.

            Examples:
              yard db status --store postgresql://yard@db:5432/yard
              PGPASSWORD=… yard db upgrade --store postgresql://yard@db:5432/yard?schema=team_a
            """,
        subcommands: [DatabaseStatusCommand.self, DatabaseUpgradeCommand.self])
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
