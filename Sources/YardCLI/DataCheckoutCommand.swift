import ArgumentParser
import Foundation
import YardData

struct DataCheckoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Make the work tree hold exactly the bytes the pointer files record.",
        discussion: """
            Files come from the cache by reflink, hard link or copy (cache.type in .yard/config). Files
            already right are left alone; files the recorded version lacks are removed from tracked folders.
            Changes not saved in the cache are never overwritten unless you pass --force.

            Examples:
              git checkout v1.0 && yard data checkout
              yard data checkout data/images --force
            """)

    @Argument(help: "Tracked paths (default: all).")
    var targets: [String] = []

    @Flag(help: "Overwrite changes that are not saved in the cache.")
    var force = false

    @OptionGroup var common: DataCommonOptions

    func run() async throws {
        try DataCLI.reportingErrors {
            let repository = try DataCLI.repository()
            let result = try repository.checkout(targets, from: DataCLI.workingDirectory, force: force,
                                                 progress: ProgressBar.make(quiet: common.quiet))
            let links = result.linkKinds.isEmpty ? "" : " (\(result.linkKinds.sorted().joined(separator: ", ")))"
            Console.line("Checked out: \(result.restored) restored\(links), \(result.unchanged) unchanged, \(result.removed) removed.")
        }
    }
}
