import ArgumentParser
import Foundation
import YardCore
import YardData

struct DataRemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "Add, list or remove remotes (folders or yard servers) in .yard/config.",
        discussion: """
            Examples:
              yard data remote add origin /mnt/share/yard --default
              yard data remote add server http://127.0.0.1:5000
              yard data remote list
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or replace a remote.",
            discussion: "Example:\n  yard data remote add origin /mnt/share/yard --default")

        @Argument(help: "Remote name.") var name: String
        @Argument(help: "A folder (absolute, or relative to the repository root) or http(s):// URL of a yard server.") var location: String
        @Flag(help: "Use it when push, pull and fetch name no remote.") var `default` = false

        func run() throws {
            try DataCLI.reportingErrors {
                let repository = try DataCLI.repository()
                var config = repository.config
                config.remotes = (config.remotes ?? [:]).merging([name: location]) { $1 }
                if `default` || config.defaultRemote == nil { config.defaultRemote = name }
                try config.save(repository.configPath)
                Console.line("Remote \(name) -> \(location)\(config.defaultRemote == name ? " (default)" : ""). Commit .yard/config to share it.")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List remotes.", discussion: "Example:\n  yard data remote list")

        func run() throws {
            try DataCLI.reportingErrors {
                let config = try DataCLI.repository().config
                for (name, location) in (config.remotes ?? [:]).sorted(by: { $0.key < $1.key }) {
                    Console.line("\(name)\t\(location)\(config.defaultRemote == name ? "\t(default)" : "")")
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a remote.", discussion: "Example:\n  yard data remote remove origin")

        @Argument(help: "Remote name.") var name: String

        func run() throws {
            try DataCLI.reportingErrors {
                let repository = try DataCLI.repository()
                var config = repository.config
                guard config.remotes?.removeValue(forKey: name) != nil else {
                    throw YardError.notFound("No remote named '\(name)'; see `yard data remote list`.")
                }
                if config.defaultRemote == name { config.defaultRemote = nil }
                try config.save(repository.configPath)
                Console.line("Removed remote \(name).")
            }
        }
    }
}
