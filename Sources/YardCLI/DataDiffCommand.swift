import ArgumentParser
import Foundation
import YardData

struct DataDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "List tracked files added, deleted or modified between two git revisions or the work tree.",
        discussion: """
            With no revision, compares HEAD with the work tree; with one, that revision with the work tree.
            Folder manifests of a revision must be in the cache (fetch them first).

            Examples:
              yard data diff
              yard data diff v1.0
              yard data diff v1.0 v2.0 --json
            """)

    @Argument(help: "Old revision (default: HEAD).")
    var old: String?

    @Argument(help: "New revision (default: the work tree).")
    var new: String?

    @Flag(help: "Print JSON: {\"added\":[...],\"deleted\":[...],\"modified\":[...]}.")
    var json = false

    func run() async throws {
        try DataCLI.reportingErrors {
            let repository = try DataCLI.repository()
            let diff = try repository.diff(from: .git(old ?? "HEAD"), to: new.map { .git($0) } ?? .workspace,
                                           from: DataCLI.workingDirectory)
            if json {
                let object = ["added": diff.added, "deleted": diff.deleted, "modified": diff.modified]
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
                Console.line(String(decoding: data, as: UTF8.self))
                return
            }
            if diff.isEmpty {
                Console.line("No differences.")
                return
            }
            for path in diff.added { Console.line("added:    \(path)") }
            for path in diff.deleted { Console.line("deleted:  \(path)") }
            for path in diff.modified { Console.line("modified: \(path)") }
            Console.line("\(diff.added.count) added, \(diff.deleted.count) deleted, \(diff.modified.count) modified")
        }
    }
}
