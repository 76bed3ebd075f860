import ArgumentParser
import Foundation
import YardClient
import YardCore

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Gate, promote, roll back and audit registered models on a yard server.",
        discussion: """
            Examples:
              yard model policy set churn policy.yaml
              yard model promote churn 3 --alias production --dry-run
              yard model promote churn 3 --alias production
              yard model rollback churn --alias production
              yard model history churn
            """,
        subcommands: [PolicyCommand.self, PromoteCommand.self, RollbackCommand.self, HistoryCommand.self])
}

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Set or show a model's promotion policy.",
        discussion: """
            A policy is a YAML file:

              metrics:
                - accuracy >= 0.9
                - f1 >= champion.f1 - 0.01
              require:
                tags: [owner]
                description: true
                datasets: [churn-train]

            Examples:
              yard model policy set churn policy.yaml
              yard model policy show churn
            """,
        subcommands: [PolicySetCommand.self, PolicyShowCommand.self])
}

struct PolicySetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Store a promotion policy from a YAML file.",
        discussion: "Example:\n  yard model policy set churn policy.yaml")

    @Argument(help: "Registered model name.") var model: String
    @Argument(help: "Policy YAML file.") var file: String
    @OptionGroup var server: ServerOptions

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("Cannot read policy file '\(file)'. Check the path and try again.")
        }
        let policy = try await cliCall { try await ModelsClient(connection: server.connection).setPolicy(model: model, document: String(decoding: data, as: UTF8.self)) }
        Console.line("Policy for \(model) stored: \(policy.metricGates.count) metric gate(s), \(policy.requiredTags.count) required tag(s), "
                     + "description \(policy.requireDescription ? "required" : "optional"), \(policy.requiredDatasets.count) required dataset(s).")
    }
}

struct PolicyShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print a model's promotion policy.", discussion: "Example:\n  yard model policy show churn")

    @Argument(help: "Registered model name.") var model: String
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let policy = try await cliCall { try await ModelsClient(connection: server.connection).policy(model: model) }
        Console.line(policy.document)
    }
}

struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Evaluate every gate of the model's policy and move the alias only if all pass.",
        discussion: """
            Prints each gate with its numbers and verdict. Exits 1 when a gate fails (the alias is unchanged).

            Examples:
              yard model promote churn 3 --alias production
              yard model promote churn 3 --alias production --dry-run
            """)

    @Argument(help: "Registered model name.") var model: String
    @Argument(help: "Version to promote.") var version: Int64
    @Option(help: "Alias to move, e.g. production or champion.") var alias: String
    @Flag(name: .customLong("dry-run"), help: "Only evaluate and report; change nothing.") var dryRun = false
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let decision = try await cliCall {
            try await ModelsClient(connection: server.connection).promote(model: model, version: version, alias: alias, dryRun: dryRun)
        }
        let champion = decision.championVersion.map { "current holder: v\($0)" } ?? "no current holder"
        Console.line("Promotion of \(model) v\(version) to '\(alias)' (\(champion))\(dryRun ? " — dry run" : "")")
        if decision.gates.isEmpty { Console.line("  (the model has no policy: no gates to pass)") }
        let width = decision.gates.map(\.gate.count).max() ?? 0
        for gate in decision.gates {
            Console.line("  \(gate.passed ? "PASS" : "FAIL")  \(gate.gate.padding(toLength: width, withPad: " ", startingAt: 0))  \(gate.detail)")
        }
        let failed = decision.gates.filter { !$0.passed }.count
        if decision.applied {
            Console.line("Promoted: '\(alias)' now points at v\(version).")
        } else if decision.dryRun {
            Console.line(failed == 0 ? "Dry run: all gates pass; nothing changed." : "Dry run: \(failed) of \(decision.gates.count) gate(s) fail; nothing changed.")
            if failed > 0 { throw ExitCode(1) }
        } else {
            Console.error("Refused: \(failed) of \(decision.gates.count) gate(s) failed; '\(alias)' is unchanged.")
            throw ExitCode(1)
        }
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Give an alias back to the version that held it before.",
        discussion: "Example:\n  yard model rollback churn --alias production")

    @Argument(help: "Registered model name.") var model: String
    @Option(help: "Alias to roll back.") var alias: String
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let moved = try await cliCall { try await ModelsClient(connection: server.connection).rollback(model: model, alias: alias) }
        Console.line("Rolled back '\(alias)' of \(model): v\(moved.from) → v\(moved.to).")
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show a model's append-only history: alias moves, stage changes, promotion decisions, deletions.",
        discussion: "Examples:\n  yard model history churn\n  yard model history churn --json")

    @Argument(help: "Registered model name.") var model: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let history = try await cliCall { try await ModelsClient(connection: server.connection).history(model: model) }
        if json {
            let entries = history.entries.map { entry -> [String: Any] in
                var object: [String: Any] = ["sequence": entry.sequence, "action": entry.action, "actor": entry.actor, "timestamp": entry.timestamp,
                                             "detail": (try? JSONSerialization.jsonObject(with: Data(entry.detail.utf8))) ?? entry.detail]
                if let version = entry.version { object["version"] = version }
                return object
            }
            let data = try JSONSerialization.data(withJSONObject: ["model": history.model, "entries": entries], options: [.prettyPrinted, .sortedKeys])
            Console.line(String(decoding: data, as: UTF8.self))
            return
        }
        if history.entries.isEmpty { Console.line("No history for \(model) yet.") }
        let formatter = ISO8601DateFormatter()
        for entry in history.entries {
            let time = formatter.string(from: Date(timeIntervalSince1970: Double(entry.timestamp) / 1000))
            let version = entry.version.map { "v\($0)" } ?? "-"
            Console.line("\(time)  \(entry.action.padding(toLength: 18, withPad: " ", startingAt: 0)) \(version.padding(toLength: 5, withPad: " ", startingAt: 0)) by \(Console.printable(entry.actor))  \(Console.printable(entry.detail))")
        }
    }
}

/// Runs a client call, turning server and connection errors into a clean CLI error.
func cliCall<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as YardError {
        throw CLIError(error.message)
    }
}

/// An error the CLI reports as `Error: <message>` with exit code 1, without the usage text that
/// ArgumentParser adds to validation errors (the arguments were fine; the work failed).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
