import ArgumentParser
import Foundation
import YardCore
import YardData

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up yard in this repository: creates .yard/ (config, data cache) for `yard data` and `yard run`.",
        discussion: """
            Run it once at the root of your git repository, then commit .yard/config and .yard/.gitignore.
            The cache (.yard/cache) and the state cache (.yard/tmp) stay out of git. Running it again is harmless.
            The config starts with cache.type: reflink,copy (checkout clones or copies, never links to the cache).

            Example:
              cd my-project && git init && yard init
              git add .yard && git commit -m "Track data with yard"
            """)

    @Argument(help: "Folder to initialise (default: the current folder).")
    var path: String?

    func run() throws {
        try DataCLI.reportingErrors {
            let folder = path ?? FileManager.default.currentDirectoryPath
            let repository = try DataRepository.initialize(at: folder)
            Console.line("Initialised yard data in \(repository.yardDirectory)")
            if !FileManager.default.fileExists(atPath: repository.root + "/.git") {
                Console.line("Note: \(repository.root) is not the root of a git repository; pointer files are meant to be committed with git.")
            }
            Console.line("Next: yard data add <path> to version data (then git add <path>.yard .gitignore .yard),")
            Console.line("      or describe stages in yard.yaml and `yard run` them (see `yard run --help`).")
        }
    }
}
