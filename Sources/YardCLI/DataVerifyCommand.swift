import ArgumentParser
import Foundation
import YardData

struct DataVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every object in the cache and report any whose bytes changed.",
        discussion: """
            Exits with status 1 when an object is corrupt. --remove-corrupted deletes those objects so the next
            `yard data pull` downloads good copies.

            Examples:
              yard data verify
              yard data verify --remove-corrupted && yard data pull
            """)

    @Flag(name: .customLong("remove-corrupted"), help: "Delete corrupt objects from the cache.")
    var removeCorrupted = false

    @OptionGroup var common: DataCommonOptions

    func run() async throws {
        try DataCLI.reportingErrors {
            let repository = try DataCLI.repository()
            let result = try repository.verify(removeCorrupted: removeCorrupted, progress: ProgressBar.make(quiet: common.quiet))
            if result.corrupted.isEmpty {
                Console.line("All \(result.checked) objects are intact.")
                return
            }
            for digest in result.corrupted { Console.error("corrupt: \(digest)") }
            if removeCorrupted {
                Console.error("Removed \(result.removed) corrupt objects; run `yard data pull` to download good copies.")
            } else {
                Console.error("\(result.corrupted.count) of \(result.checked) objects are corrupt. Run `yard data verify --remove-corrupted`, then `yard data pull`.")
            }
            throw ExitCode.failure
        }
    }
}
