import ArgumentParser

// Placeholder: the monitoring work replaces this file.
struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drift", abstract: "(not implemented yet)")

    func run() async throws {
        throw ValidationError("yard drift is not implemented yet.")
    }
}
