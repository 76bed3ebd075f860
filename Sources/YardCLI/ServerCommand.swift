import ArgumentParser
import Foundation
import Hummingbird
import Logging
import YardCore
import YardServer

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the tracking server: the MLflow REST API, the artifact proxy, /health and /metrics.",
        discussion: """
            The server keeps its SQLite database and artifacts under --data-dir unless --store or
            --artifacts point elsewhere. It stops cleanly on Ctrl-C or SIGTERM, finishing requests in flight.

            Examples:
              yard server
              yard server --port 8080 --data-dir /srv/yard
              yard server --host 0.0.0.0 --store sqlite:///srv/yard/meta.db --artifacts /mnt/artifacts
            """)

    @Option(help: "Address to listen on. Use 0.0.0.0 to accept connections from other machines.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 5000

    @Option(name: .customLong("data-dir"), help: "Folder for the database and artifacts.")
    var dataDirectory = "yard-data"

    @Option(help: "Metadata store URI: sqlite:///path/to/file.db or a file path (default: <data-dir>/yard.db).")
    var store: String?

    @Option(help: "Artifact root: a folder path or file:///path (default: <data-dir>/artifacts).")
    var artifacts: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535, got \(port).")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
    }

    func run() async throws {
        var logger = Logger(label: "yard")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let configuration = ServerConfiguration(
            host: host, port: port, dataDirectory: dataDirectory, storeURI: store, artifactsURI: artifacts)
        let application: any ApplicationProtocol
        do {
            let components = try buildComponents(configuration)
            let host = self.host
            Console.line("Modelyard tracking server")
            Console.line("  database:  \(components.databasePath)")
            Console.line("  artifacts: \(components.artifactRoot)")
            application = try buildApplication(components: components, configuration: configuration, logger: logger) { boundPort in
                Console.line("  listening: http://\(host):\(boundPort)")
                Console.line("Point MLflow clients at it with MLFLOW_TRACKING_URI=http://\(host):\(boundPort)")
            }
        } catch let error as YardError {
            throw ValidationError(error.message)
        }
        try await application.runService()
        Console.line("Modelyard server stopped.")
    }
}
