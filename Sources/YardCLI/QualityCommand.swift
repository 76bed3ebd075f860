import ArgumentParser

// Placeholder: the monitoring work replaces this file.
struct QualityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quality", abstract: "(not implemented yet)")

    func run() async throws {
        throw ValidationError("yard quality is not implemented yet.")
    }
}
