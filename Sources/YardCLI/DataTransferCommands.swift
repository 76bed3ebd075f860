import ArgumentParser
import Foundation
import YardData

struct DataRemoteOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Remote name from .yard/config, a folder, a yard server URL or s3://bucket/prefix (default: the default remote).")
    var remote: String?
}

struct DataPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload the tracked data the remote lacks.",
        discussion: """
            Asks the remote which objects it is missing in one batch, then uploads only those, in parallel,
            each verified by hash on arrival. Interrupted? Run it again: it resumes where it stopped.

            Examples:
              yard data push
              yard data push -r /mnt/share/yard data/images
              yard data push -r http://127.0.0.1:5000
              yard data push -r s3://my-bucket/datasets
            """)

    @Argument(help: "Tracked paths (default: all).")
    var targets: [String] = []
    @OptionGroup var remoteOption: DataRemoteOption
    @OptionGroup var common: DataCommonOptions

    func run() async throws {
        do {
            let repository = try DataCLI.repository()
            let remote = try DataCLI.remote(remoteOption.remote, in: repository)
            let summary = try await repository.push(to: remote, targets: targets, from: DataCLI.workingDirectory,
                                                    progress: ProgressBar.make(quiet: common.quiet))
            Console.line("Pushed \(summary.transferred) objects (\(DataCLI.size(summary.bytes))) to \(remote.displayName); \(summary.alreadyPresent) were already there.")
        } catch {
            throw DataCLI.reported(error)
        }
    }
}

struct DataFetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download the tracked data the local cache lacks, without touching the work tree.",
        discussion: """
            Examples:
              yard data fetch
              yard data fetch -r origin data/images
            """)

    @Argument(help: "Tracked paths (default: all).")
    var targets: [String] = []
    @OptionGroup var remoteOption: DataRemoteOption
    @OptionGroup var common: DataCommonOptions

    func run() async throws {
        do {
            let repository = try DataCLI.repository()
            let remote = try DataCLI.remote(remoteOption.remote, in: repository)
            let summary = try await repository.fetch(from: remote, targets: targets, from: DataCLI.workingDirectory,
                                                     progress: ProgressBar.make(quiet: common.quiet))
            Console.line("Fetched \(summary.transferred) objects (\(DataCLI.size(summary.bytes))) from \(remote.displayName); \(summary.alreadyPresent) were already cached.")
        } catch {
            throw DataCLI.reported(error)
        }
    }
}

struct DataPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch, then check out: the work tree gets the data its pointer files record.",
        discussion: """
            Objects already in the cache are re-hashed; a corrupt one is downloaded again. Files are placed as
            by `yard data checkout` (reflink, else a verified copy; --link or cache.type to change that).

            Examples:
              git clone <repo> && cd <repo> && yard data pull
              yard data pull -r /mnt/share/yard data/train.csv
            """)

    @Argument(help: "Tracked paths (default: all).")
    var targets: [String] = []
    @OptionGroup var remoteOption: DataRemoteOption
    @Flag(help: "Overwrite changes that are not saved in the cache.")
    var force = false
    @Option(help: "Link types to try in order, overriding cache.type: reflink, copy, hardlink, symlink (default: reflink,copy).")
    var link: String?
    @OptionGroup var common: DataCommonOptions

    func run() async throws {
        do {
            let repository = try DataCLI.repository(link: link)
            let remote = try DataCLI.remote(remoteOption.remote, in: repository)
            let progress = ProgressBar.make(quiet: common.quiet)
            let summary = try await repository.fetch(from: remote, targets: targets, from: DataCLI.workingDirectory,
                                                     repair: true, progress: progress)
            let result = try checkoutAfterFetch(repository, progress: progress)
            Console.line("Fetched \(summary.transferred) objects (\(DataCLI.size(summary.bytes))) from \(remote.displayName).")
            if summary.repaired > 0 { Console.line("Repaired \(summary.repaired) corrupt cache objects with good copies from the remote.") }
            Console.line("Checked out: \(result.restored) restored, \(result.unchanged) unchanged, \(result.removed) removed.")
        } catch {
            throw DataCLI.reported(error)
        }
    }

    /// The checkout half of pull, in a synchronous function: the earlier one-call form of this async `run`
    /// crashed the Swift 6.3 optimizer (coroutine splitting) in release builds; this shape compiles.
    private func checkoutAfterFetch(_ repository: DataRepository, progress: any ProgressReporter) throws -> CheckoutResult {
        try repository.checkout(targets, from: DataCLI.workingDirectory, force: force, progress: progress)
    }
}
