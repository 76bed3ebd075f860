import ArgumentParser
import Foundation
import YardClient
import YardCore
import YardData
import YardS3

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Version datasets of any size alongside your code (content-addressed, DVC-style).",
        discussion: """
            Pointer files (<path>.yard) go into git; the bytes go into .yard/cache and to remotes.

            Example:
              yard init
              yard data add data/                 # writes data.yard, ignores data/ in git
              git add data.yard .gitignore && git commit -m "Dataset v1"
              yard data remote add origin /mnt/share/yard --default
              yard data push
              git checkout v0 && yard data checkout   # the bytes v0 used
            """,
        subcommands: [
            DataAddCommand.self, DataStatusCommand.self, DataCheckoutCommand.self, DataDiffCommand.self,
            DataPushCommand.self, DataPullCommand.self, DataFetchCommand.self, DataGCCommand.self,
            DataVerifyCommand.self, DataRemoteCommand.self,
        ])
}

/// Options every data command shares.
struct DataCommonOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "No progress bar (it is also off when stderr is not a terminal or CI is set).")
    var quiet = false
}

/// What the data commands share: finding the repository, turning errors into a clear message and
/// exit status 1, picking a remote.
enum DataCLI {
    static var workingDirectory: String { FileManager.default.currentDirectoryPath }

    /// The repository around the working directory; `link` (a --link value) overrides cache.type.
    static func repository(link: String? = nil) throws -> DataRepository {
        var repository = try DataRepository.find(from: workingDirectory)
        if let link { repository.linkKinds = try LinkKind.parseList(link) }
        return repository
    }

    /// Prints `error: <what went wrong and what to do>` instead of a stack of types, and exits 1.
    static func reportingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as YardError {
            Console.error("error: " + error.message)
            throw ExitCode.failure
        }
    }

    /// For async commands: `do { ... } catch { throw DataCLI.reported(error) }`. (An async closure-taking
    /// twin of `reportingErrors` crashes the Swift 6.3 optimizer while splitting the coroutine.)
    static func reported(_ error: any Error) -> any Error {
        guard let error = error as? YardError else { return error }
        Console.error("error: " + error.message)
        return ExitCode.failure
    }

    /// A remote by name from .yard/config, or a folder path / server URL given directly; nil = the default.
    static func remote(_ nameOrLocation: String?, in repository: DataRepository) throws -> any Remote {
        let remotes = repository.config.remotes ?? [:]
        let location: String
        var name: String?
        if let nameOrLocation {
            if let configured = remotes[nameOrLocation] {
                location = configured
                name = nameOrLocation
            } else if nameOrLocation.contains("/") || nameOrLocation.hasPrefix(".") {
                location = nameOrLocation
            } else {
                // A bare word is a remote name; guessing it is a folder would push somewhere unexpected.
                throw YardError.notFound("No remote named '\(nameOrLocation)' in .yard/config (see `yard data remote list`). To use a folder, give a path with a '/', e.g. ./\(nameOrLocation).")
            }
        } else if let defaultName = repository.config.defaultRemote, let configured = remotes[defaultName] {
            location = configured
            name = defaultName
        } else if remotes.count == 1, let only = remotes.first {
            location = only.value
            name = only.key
        } else {
            throw YardError.invalid("No remote chosen. Add one with `yard data remote add <name> <folder|url|s3://bucket/prefix> --default`, or pass -r <name|folder|url|s3://bucket/prefix>.")
        }
        if location.hasPrefix("s3://") {
            return try S3Remote(uri: location, settings: name.flatMap { repository.config.remoteSettings?[$0] },
                                environment: ProcessInfo.processInfo.environment)
        }
        if location.hasPrefix("http://") || location.hasPrefix("https://") {
            return try ServerRemote(baseURL: location)
        }
        let path = location.hasPrefix("/") ? location : repository.root + "/" + location
        return try FolderRemote(path: path)
    }

    static func size(_ bytes: Int64) -> String { ProgressBar.size(bytes) }
}
