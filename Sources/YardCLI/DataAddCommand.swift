import ArgumentParser
import Foundation
import YardClient
import YardCore
import YardData

struct DataAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Snapshot files or folders into the cache and write <path>.yard pointer files.",
        discussion: """
            Unchanged files are not hashed again (the state cache remembers inode, size and mtime). The data
            path is added to the .gitignore beside it; commit the pointer and the .gitignore.

            With --name, the version is also registered as a dataset on the yard server (the `server` key
            or the default remote in .yard/config, or --server), with a profile for CSV files. Its short digest
            (first 36 hex characters of the SHA-256) is what you pass to MLflow's log_input.

            Examples:
              yard data add data/
              yard data add data/train.csv data/test.csv
              yard data add --name churn-train data/train.csv --server http://127.0.0.1:5000
            """)

    @Argument(help: "Files or folders inside the repository.")
    var paths: [String]

    @Option(help: "Register the version as this dataset on the yard server (one path only).")
    var name: String?

    @Option(help: "Server URL for --name (default: `server` in .yard/config, else the default remote if it is a URL).")
    var server: String?

    @OptionGroup var common: DataCommonOptions

    func validate() throws {
        if name != nil && paths.count != 1 {
            throw ValidationError("--name registers one dataset version: give exactly one path.")
        }
    }

    func run() async throws {
        do {
            let repository = try DataCLI.repository()
            let progress = ProgressBar.make(quiet: common.quiet)
            var pointers: [String] = []
            for path in paths {
                let result = try repository.add(path, from: DataCLI.workingDirectory, datasetName: name, progress: progress)
                let pointer = result.pointer
                let what = pointer.kind == .directory ? "\(pointer.files) files, " : ""
                Console.line("Added \(result.targetPath) (\(what)\(DataCLI.size(pointer.size))) -> \(result.pointerPath)  [\(result.hashedFiles) hashed, \(result.newObjects) new objects]")
                pointers.append(result.pointerPath)
                if let name {
                    try await register(name: name, result: result, repository: repository)
                }
            }
            let ignores = Set(pointers.map { PathText.join(PathText.parent($0), ".gitignore") })
            Console.line("To track the changes with git, run:\n  git add \((pointers + ignores.sorted()).joined(separator: " "))")
        } catch {
            throw DataCLI.reported(error)
        }
    }

    private func register(name: String, result: AddResult, repository: DataRepository) async throws {
        guard let url = server ?? repository.config.server ?? defaultRemoteURL(repository) else {
            throw YardError.invalid("--name needs a yard server: pass --server http://host:port, or set `server:` in .yard/config. The data was added; run the command again with a server to register it.")
        }
        var profile: CSVProfile?
        if result.pointer.kind == .file, result.targetPath.lowercased().hasSuffix(".csv") {
            profile = try CSVProfiler.profile(fileAt: repository.absolute(result.targetPath))
        }
        let client = try DatasetClient(baseURL: url)
        let registered = try await client.register(DatasetRegistration(
            name: name, digest: result.pointer.digest.description, kind: result.pointer.kind.rawValue,
            size: result.pointer.size, files: result.pointer.files, source: result.targetPath, profile: profile))
        Console.line("Registered dataset \(name) version \(registered.shortDigest) on \(url)")
        Console.line("  In training code: mlflow.log_input(mlflow.data.from_pandas(df, name=\"\(name)\", digest=\"\(registered.shortDigest)\"))")
    }

    private func defaultRemoteURL(_ repository: DataRepository) -> String? {
        guard let name = repository.config.defaultRemote, let location = repository.config.remotes?[name],
              location.hasPrefix("http://") || location.hasPrefix("https://") else { return nil }
        return location
    }
}
