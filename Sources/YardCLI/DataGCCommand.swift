import ArgumentParser
import Foundation
import YardData

struct DataGCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete cache objects no pointer refers to, and temporary files of interrupted commands.",
        discussion: """
            By default only the work tree's pointers are kept; --all-commits keeps every version in git history.
            Use --dry-run first to see what would go. Do not run it while another yard command runs.

            Examples:
              yard data gc --dry-run
              yard data gc --all-commits
            """)

    @Flag(name: .customLong("all-commits"), help: "Keep data referenced by any commit of any branch or tag.")
    var allCommits = false

    @Flag(name: .customLong("dry-run"), help: "Report what would be removed, remove nothing.")
    var dryRun = false

    func run() async throws {
        try DataCLI.reportingErrors {
            let repository = try DataCLI.repository()
            let result = try repository.collectGarbage(allCommits: allCommits, dryRun: dryRun, temporaryAge: 60,
                                                       from: DataCLI.workingDirectory)
            let verb = dryRun ? "Would remove" : "Removed"
            Console.line("\(verb) \(result.removedObjects) objects (\(DataCLI.size(result.removedBytes))), kept \(result.keptObjects); \(result.removedTemporaries) stale temporary files removed.")
        }
    }
}
