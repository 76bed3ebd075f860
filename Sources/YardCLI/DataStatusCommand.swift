import ArgumentParser
import Foundation
import YardData

struct DataStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show tracked data that differs from its pointer file.",
        discussion: """
            Only files whose inode, size or mtime changed are hashed, so a no-op status is a stat per file.

            Examples:
              yard data status
              yard data status data/images
            """)

    @Argument(help: "Tracked paths (default: all).")
    var targets: [String] = []

    @OptionGroup var common: DataCommonOptions

    func run() async throws {
        try DataCLI.reportingErrors {
            let repository = try DataCLI.repository()
            let statuses = try repository.status(targets, from: DataCLI.workingDirectory, progress: ProgressBar.make(quiet: common.quiet))
            if statuses.isEmpty {
                Console.line("No tracked data. Track some with `yard data add <path>`.")
                return
            }
            var clean = true
            for status in statuses {
                var notes: [String] = []
                switch status.state {
                case .unchanged: break
                case .modified:
                    if let changes = status.changes {
                        notes.append("modified (\(changes.added.count) added, \(changes.deleted.count) deleted, \(changes.modified.count) modified)")
                    } else {
                        notes.append("modified")
                    }
                    notes.append("run `yard data add \(status.targetPath)` to record it, or `yard data checkout \(status.targetPath)` to undo")
                case .missing:
                    notes.append("missing from the work tree; run `yard data checkout`")
                }
                if !status.inCache { notes.append("not in cache; run `yard data pull`") }
                if !notes.isEmpty {
                    clean = false
                    Console.line("\(status.targetPath): " + notes.joined(separator: "; "))
                }
            }
            if clean { Console.line("Data and pointers are up to date (\(statuses.count) tracked).") }
        }
    }
}
