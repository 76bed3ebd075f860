import ArgumentParser

// Placeholder: the monitoring work replaces this file.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "monitor", abstract: "(not implemented yet)")

    func run() async throws {
        throw ValidationError("yard monitor is not implemented yet.")
    }
}
