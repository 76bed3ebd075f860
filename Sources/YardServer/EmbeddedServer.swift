import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import YardCore

/// The full tracking server over a repository's store, listening on a free loopback port inside this
/// process: `yard run` records its stage runs here, and the stages' own mlflow calls reach the same store
/// through `url`. The layout under `dataDirectory` is exactly `yard server --data-dir`'s, so
/// `yard server --data-dir <dataDirectory>` later shows the same runs and artifacts.
public final class EmbeddedServer: Sendable {
    /// `http://127.0.0.1:<port>`.
    public let url: String
    public let port: Int
    public let dataDirectory: String
    private let services: ServiceGroup
    private let serving: Task<Void, any Error>

    private init(url: String, port: Int, dataDirectory: String, services: ServiceGroup, serving: Task<Void, any Error>) {
        self.url = url
        self.port = port
        self.dataDirectory = dataDirectory
        self.services = services
        self.serving = serving
    }

    /// Opens (or creates) the store under `dataDirectory` and returns once the server accepts connections.
    public static func start(dataDirectory: String) async throws -> EmbeddedServer {
        // Only problems reach the terminal; the CLI's own output stays readable.
        var logger = Logger(label: "yard.embedded-server")
        logger.logLevel = .warning
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, dataDirectory: dataDirectory)
        let (boundPorts, announce) = AsyncStream<Int>.makeStream()
        let application = try await buildApplication(configuration, logger: logger) { port in
            announce.yield(port)
            announce.finish()
        }
        // No signal handlers: Ctrl-C belongs to the command that embeds the server, which calls stop().
        var groupConfiguration = ServiceGroupConfiguration(services: [application], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(10)
        let services = ServiceGroup(configuration: groupConfiguration)
        let serving = Task {
            defer { announce.finish() }
            try await services.run()
        }
        var ports = boundPorts.makeAsyncIterator()
        guard let port = await ports.next() else {
            // The stream ended without a port: the server stopped before listening.
            do {
                try await serving.value
            } catch {
                throw YardError(.internalError, "The embedded tracking server over \(dataDirectory) could not start: \(error). Check that the folder is writable and not used by an incompatible store.")
            }
            throw YardError(.internalError, "The embedded tracking server over \(dataDirectory) stopped before it listened; try again, or run `yard server --data-dir \(dataDirectory)` to see why.")
        }
        let path = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        return EmbeddedServer(url: "http://127.0.0.1:\(port)", port: port, dataDirectory: path, services: services, serving: serving)
    }

    /// Stops accepting connections, lets requests in flight finish, and returns once the server is down.
    /// Calling it again is harmless.
    public func stop() async {
        await services.triggerGracefulShutdown()
        _ = try? await serving.value
    }
}
