import ArgumentParser
import Foundation
import YardData

struct DataCheckoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Make the work tree hold exactly the bytes the pointer files record.",
        discussion: """
            Default: reflink, else copy. A reflink is a copy-on-write clone (Btrfs, XFS, APFS); a copy is \
            hashed while it is written, so a corrupt cache object is refused and nothing is placed for it (run \
            `yard data verify --remove-corrupted`, then `yard data pull`). Either way the file is yours to \
            edit; the cache cannot be changed through it.

            Hard links and symbolic links to the cache objects are opt-in (cache.type in .yard/config, or \
            --link): instant and space-free, but writing into such a file in place (or as root, who ignores \
            the read-only mode) corrupts the cached version for every commit that uses it.

            Files already right are left alone; files the recorded version lacks are removed from tracked \
            folders. Changes not saved in the cache are never overwritten unless you pass --force. Paths in \
            pointer files and manifests that would lead outside the repository (or into .git) are refused.

            Examples:
              git checkout v1.0 && yard data checkout
              yard data checkout data/images --force
              yard data checkout --link hardlink,copy     # opt into hard links for this run
            """)

    @Argument(help: "Tracked paths (default: all).")
    var targets: [String] = []

    @Flag(help: "Overwrite changes that are not saved in the cache.")
    var force = false

    @Option(help: "Link types to try in order, overriding cache.type: reflink, copy, hardlink, symlink (default: reflink,copy).")
    var link: String?

    @OptionGroup var common: DataCommonOptions

    func run() async throws {
        try DataCLI.reportingErrors {
            let repository = try DataCLI.repository(link: link)
            let result = try repository.checkout(targets, from: DataCLI.workingDirectory, force: force,
                                                 progress: ProgressBar.make(quiet: common.quiet))
            let links = result.linkKinds.isEmpty ? "" : " (\(result.linkKinds.sorted().joined(separator: ", ")))"
            Console.line("Checked out: \(result.restored) restored\(links), \(result.unchanged) unchanged, \(result.removed) removed.")
        }
    }
}
