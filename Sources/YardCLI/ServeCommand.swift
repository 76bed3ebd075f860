import ArgumentParser
import Foundation
import Logging
import YardClient
import YardCore
import YardServer
import YardServing

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve one model: MLflow's scoring API, the Open Inference Protocol v2 and /metrics.",
        discussion: """
            MODEL_URI is a local MLflow model folder (with an MLmodel file and an onnx flavor) or a bare .onnx file, or a registered model: models:/<name>@<alias> or models:/<name>/<version>. A registered model is looked up in the store under --data-dir (the folder `yard server --data-dir` uses), or on a running server given by --tracking-uri (or MLFLOW_TRACKING_URI), whose artifacts are downloaded into a cache folder.

            The URI is resolved again every --poll-interval seconds: when the alias moves (a promotion, a rollback) or the local file is rewritten, the new model is loaded and warmed up beside the old one and swapped in without failing a request; a version that does not load leaves the old one serving.

            Endpoints: POST /invocations (application/json in MLflow's dataframe_split, dataframe_records, instances or inputs shape, or text/csv), GET /ping, /health, /version, the v2 routes under /v2 (the model name is --name), and GET /metrics. Each answer carries x-prediction-id and x-model-version headers.

            Examples:
              yard serve model/                         # an MLflow model folder
              yard serve model.onnx --port 8080
              yard serve models:/churn@prod --data-dir yard-data
              yard serve models:/churn@prod --tracking-uri http://127.0.0.1:5000
              curl -s localhost:5001/invocations -H 'Content-Type: application/json' \\
                -d '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}'
            """)

    @Argument(help: "A model folder or .onnx file, or models:/<name>@<alias> or models:/<name>/<version>.")
    var modelURI: String

    @Option(help: "Address to listen on. Use 0.0.0.0 to accept connections from other machines.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 5001

    @Option(name: .customLong("data-dir"), help: "A yard server data folder to resolve models:/ URIs in (its registry and artifacts).")
    var dataDirectory: String?

    @Option(name: .customLong("tracking-uri"), help: "A running yard server to resolve models:/ URIs on (default: $MLFLOW_TRACKING_URI when it is http).")
    var trackingURI: String?

    @Option(help: "The model's name on the v2 routes and in metrics (default: the registered model's or the file's name).")
    var name: String?

    @Option(name: .customLong("poll-interval"), help: "Seconds between checks for a new version.")
    var pollInterval: Double = 1

    @Option(name: .customLong("cache-dir"), help: "Where models downloaded from --tracking-uri are kept (default: ~/.cache/yard/models).")
    var cacheDirectory: String?

    @Option(name: .customLong("max-request-size"), help: "Largest request body, e.g. 64MiB; larger requests get 413.")
    var maxRequestSize = "64MiB"

    @Option(name: .customLong("allowed-hosts"), help: "Comma-separated extra Host names to answer (besides the bound address, localhost and IP addresses); * accepts any.")
    var allowedHosts: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port).") }
        guard pollInterval.isFinite, pollInterval >= 0.01 else { throw ValidationError("--poll-interval must be at least 0.01 seconds, got \(pollInterval).") }
        guard let size = BodyLimits.parseSize(maxRequestSize), size > 0, size <= Int64(Int32.max) else {
            throw ValidationError("--max-request-size must be a size such as 64MiB (at most 2GiB), got '\(maxRequestSize)'.")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
        if dataDirectory != nil && trackingURI != nil {
            throw ValidationError("Give either --data-dir (a local store) or --tracking-uri (a running server), not both.")
        }
        do {
            _ = try ModelReference(parsing: modelURI, field: "MODEL_URI")
        } catch {
            throw ValidationError(error.message)
        }
        if let name {
            do { try DeploymentSpec.validateName(name) } catch { throw ValidationError(error.message) }
        }
    }

    func run() async throws {
        var logger = Logger(label: "yard.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let reference = try ModelReference(parsing: modelURI, field: "MODEL_URI")
        let (source, origin) = try await modelSource(for: reference)
        var settings = ServingSettings(pollInterval: .milliseconds(Int64(pollInterval * 1000)))
        settings.maxRequestBytes = Int(BodyLimits.parseSize(maxRequestSize) ?? 64 << 20)
        let serving = StandaloneServing(
            modelURI: modelURI, deploymentName: name ?? StandaloneServing.defaultName(for: modelURI), host: host, port: port,
            allowedHosts: allowedHosts.map { $0.split(separator: ",").map(String.init) }, settings: settings)
        let components: ServingComponents
        do {
            components = try serving.components(source: source, logger: logger)
        } catch let error as YardError {
            throw ValidationError(error.message)
        }
        // Load before listening, so the first requests are answered and a model that cannot load is
        // reported at once (the server still starts, and keeps trying).
        await components.deployments.refresh()
        let status = try components.deployments.status(name: serving.deploymentName)
        Console.line("Modelyard model server")
        Console.line("  model:     \(modelURI) (\(origin))")
        if let version = status.primary.version {
            Console.line("  serving:   \(status.primary.modelName ?? serving.deploymentName) version \(version)")
        } else {
            Console.error("Warning: the model is not loaded yet: \(status.primary.lastError ?? "unknown reason"). /ping answers 503 until it loads.")
        }
        let host = self.host, name = serving.deploymentName
        let application = serving.application(components, logger: logger) { boundPort in
            Console.line("  listening: http://\(host):\(boundPort)  (POST /invocations, /v2/models/\(name)/infer, GET /metrics)")
        }
        try await application.runService()
        Console.line("Model server stopped.")
    }

    private func modelSource(for reference: ModelReference) async throws -> (any ModelSource, String) {
        if case .path = reference { return (LocalPathModelSource(), "local file") }
        if let dataDirectory {
            let components: ServerComponents
            do {
                components = try await buildComponents(ServerConfiguration(dataDirectory: dataDirectory))
            } catch let error as YardError {
                throw ValidationError("Cannot open the store under --data-dir \(dataDirectory): \(error.message)")
            }
            return (RegistryModelSource(registry: components.registry, tracking: components.tracking, artifacts: components.artifacts,
                                        cacheDirectory: components.configuration.servingModelCache),
                    "registry in \(components.databasePath)")
        }
        let environment = ProcessInfo.processInfo.environment["MLFLOW_TRACKING_URI"]
        guard let url = trackingURI ?? environment.flatMap({ $0.hasPrefix("http") ? $0 : nil }) else {
            throw ValidationError("\(modelURI) is a registered model: say where the registry is with --data-dir DIR (a yard server's data folder) or --tracking-uri URL (a running yard server), or set MLFLOW_TRACKING_URI.")
        }
        let connection: ServerConnection
        do {
            connection = try ServerConnection(baseURL: url)
        } catch {
            throw ValidationError(error.message)
        }
        let cache = cacheDirectory ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/yard/models"
        return (RemoteRegistryModelSource(connection: connection, cacheDirectory: cache), "registry at \(connection.baseURL)")
    }
}

/// Resolves `models:/` URIs on a running server through its MLflow REST API and downloads each version's
/// artifacts once through the artifact proxy into `cacheDirectory/<server>/<model>/<version>`. A version's
/// files are written to a temporary folder and renamed into place, so a half-finished download is never
/// served.
struct RemoteRegistryModelSource: ModelSource {
    let connection: ServerConnection
    let cacheDirectory: String

    private struct VersionReply: Decodable {
        struct Version: Decodable { var name: String; var version: String }
        var modelVersion: Version
    }

    func resolve(_ reference: ModelReference) async throws -> ResolvedModel {
        let version: VersionReply.Version
        switch reference {
        case .alias(let model, let alias):
            version = try await connection.call(VersionReply.self, .GET, "/api/2.0/mlflow/registered-models/alias",
                                                query: [("name", model), ("alias", alias)]).modelVersion
        case .version(let model, let number):
            version = try await connection.call(VersionReply.self, .GET, "/api/2.0/mlflow/model-versions/get",
                                                query: [("name", model), ("version", String(number))]).modelVersion
        case .path:
            return try await LocalPathModelSource().resolve(reference)
        }
        let folder = try await download(version.name, version.version)
        return ResolvedModel(name: version.name, version: version.version, path: folder)
    }

    private func download(_ model: String, _ version: String) async throws -> String {
        let server = connection.baseURL.replacingOccurrences(of: "://", with: "_").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: ":", with: "_")
        let safeModel = model.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? model
        let target = "\(cacheDirectory)/\(server)/\(safeModel)/\(version)"
        if FileManager.default.fileExists(atPath: target) { return target }
        let staging = target + ".partial-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        do {
            try await RemoteModelDownload(connection: connection).download("models:/\(model)/\(version)", into: staging)
            try FileManager.default.moveItem(atPath: staging, toPath: target)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            // Another process may have finished the same download meanwhile.
            if FileManager.default.fileExists(atPath: target) { return target }
            throw error
        }
        return target
    }
}
