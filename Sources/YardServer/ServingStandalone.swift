import Foundation
import Hummingbird
import Logging
import Prometheus
import YardCore
import YardServing

/// `yard serve`: one model behind MLflow's scoring API (`/invocations`, `/ping`, `/health`, `/version`),
/// the Open Inference Protocol v2 (the model name is `deploymentName`) and `/metrics`. The model URI is
/// re-resolved every poll, so a `models:/name@alias` URI follows the alias and a rewritten local file
/// is reloaded, with the same hot swap as the server's deployments.
public struct StandaloneServing: Sendable {
    public var modelURI: String
    public var deploymentName: String
    public var host: String
    public var port: Int
    public var allowedHosts: [String]?
    public var settings: ServingSettings

    public init(modelURI: String, deploymentName: String, host: String = "127.0.0.1", port: Int = 5001,
                allowedHosts: [String]? = nil, settings: ServingSettings = ServingSettings()) {
        self.modelURI = modelURI
        self.deploymentName = deploymentName
        self.host = host
        self.port = port
        self.allowedHosts = allowedHosts
        self.settings = settings
    }

    /// A deployment name from a model URI: the registered model's name, or the file or folder name.
    public static func defaultName(for uri: String) -> String {
        let base: String
        switch try? ModelReference(parsing: uri) {
        case .alias(let model, _)?, .version(let model, _)?: base = model
        case .path(let path)?: base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        case nil: base = "model"
        }
        var name = String(base.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar)) ? Character(scalar) : "-"
        }.prefix(64))
        while let first = name.first, !(first.isLetter || first.isNumber) { name.removeFirst() }
        return name.isEmpty ? "model" : name
    }

    /// The serving parts: the one deployment, its watcher and metrics. Fails when the URI is malformed;
    /// a model that does not load yet is reported by `/ping` (404) and the log, and retried.
    public func components(source: any ModelSource, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                           logger: Logger = Logger(label: "yard.serve")) throws -> ServingComponents {
        let now = Identifiers.nowMillis()
        let spec = try DeploymentSpec(name: deploymentName, modelURI: modelURI, createdAt: now, updatedAt: now).validated()
        return buildServingComponents(catalog: InMemoryDeploymentCatalog([spec]), store: nil, history: nil, source: source,
                                      metrics: metrics, settings: settings, logger: logger)
    }

    public func router(_ serving: ServingComponents) -> Router<YardRequestContext> {
        let router = Router(context: YardRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(registry: serving.metrics.registry))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: HostAllowListMiddleware(allowed: HostAllowList(boundHost: host, configured: allowedHosts)))
        router.get("/version") { _, _ in Response.text(mlflowCompatibleVersion) }
        router.get("/metrics") { _, _ in
            serving.updateMetrics()
            return Response.text(serving.metrics.registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        let scoring = ServingScoringRoutes(serving: serving, predictor: serving.predictor)
        scoring.registerStandalone(on: router, deployment: deploymentName)
        scoring.register(on: router)
        ServingInferenceRoutes(serving: serving, scoring: scoring).register(on: router)
        return router
    }

    public func application(_ serving: ServingComponents, logger: Logger = Logger(label: "yard.serve"),
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let port = self.port
        return Application(
            router: router(serving),
            configuration: .init(address: .hostname(host, port: port), serverName: "yard"),
            services: serving.services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
