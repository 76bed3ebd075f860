import Foundation
import Hummingbird
import Logging
import Prometheus
import YardBlobs
import YardCore
import YardData
import YardRegistry
import YardStore
import YardTracking

/// The MLflow protocol version this server speaks; the client parses `/version` as a PEP 440 version.
public let mlflowCompatibleVersion = "3.18.0"

/// What a running server is made of, for the CLI to report and for tests to reach into.
public struct ServerComponents: Sendable {
    public let databasePath: String
    /// The proxied artifact root (`mlflow-artifacts:`), opened once at start-up.
    public let artifacts: LocalArtifactStore
    public var artifactRoot: String { artifacts.root }
    public let tracking: TrackingService
    public let loggedModels: LoggedModelService
    public let registry: RegistryService
    public let promotion: PromotionService
    public let lineage: LineageService
    public let metrics: PrometheusCollectorRegistry
    // Data versioning: the object store remotes push to, and the dataset registry.
    public let objects: ObjectCache
    public let datasets: any DatasetStore
}

/// Builds the store, the domain services and the router. `yard server` and the tests both call this, so
/// tests exercise the real router, middleware and store.
public func buildComponents(_ configuration: ServerConfiguration) throws -> ServerComponents {
    let databasePath = try configuration.databasePath()
    let artifactRootPath = try configuration.artifactRootPath()
    let store = try SQLiteStore(path: databasePath)
    let defaultArtifactRoot = "mlflow-artifacts:/"
    try store.ensureDefaultExperiment(artifactLocation: defaultArtifactRoot + "0")
    let artifacts = try LocalArtifactStore(root: artifactRootPath)
    return ServerComponents(
        databasePath: databasePath, artifacts: artifacts,
        tracking: TrackingService(store: store, defaultArtifactRoot: defaultArtifactRoot),
        loggedModels: LoggedModelService(registry: store, tracking: store),
        registry: RegistryService(registry: store, tracking: store),
        promotion: PromotionService(registry: store, tracking: store),
        lineage: LineageService(registry: store, tracking: store),
        metrics: PrometheusCollectorRegistry(),
        objects: try ObjectCache(root: configuration.absoluteDataDirectory + "/objects"),
        datasets: store)
}

public func buildRouter(_ components: ServerComponents) throws -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(registry: components.metrics))
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())

    router.get("/health") { _, _ in Response.text("OK") }
    router.get("/version") { _, _ in Response.text(mlflowCompatibleVersion) }
    router.get("/metrics") { _, _ in
        Response.text(components.metrics.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    let mlflow = MLflowRoutes(router: router)
    mlflow.addExperimentRoutes(components.tracking)
    mlflow.addRunRoutes(components.tracking)
    let artifacts = components.artifacts
    ArtifactRoutes(tracking: components.tracking, artifacts: artifacts).register(on: router, mlflow: mlflow)
    mlflow.addLoggedModelRoutes(components.loggedModels, artifacts: artifacts)
    mlflow.addRegistryRoutes(components.registry)

    let native = NativeRoutes(router: router)
    native.addModelRoutes(promotion: components.promotion, lineage: components.lineage)
    native.addOpenAPIRoute()
    ObjectRoutes(objects: components.objects).register(on: router)
    DatasetRoutes(store: components.datasets).register(on: router)

    mlflow.add(.get, "/server-info", version: 3) { _ in
        .object([
            ("store_type", .string("SqlStore")),
            ("workspaces_enabled", .bool(false)),
            ("artifact_serving_enabled", .bool(true)),
            ("multipart_uploads_enabled", .bool(false)),
            ("multipart_downloads_enabled", .bool(false)),
            ("tracking_auth", .bool(false)),
        ])
    }
    return router
}

public func buildApplication(
    _ configuration: ServerConfiguration, logger: Logger = Logger(label: "yard"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try buildApplication(components: buildComponents(configuration), configuration: configuration,
                         logger: logger, onServerRunning: onServerRunning)
}

public func buildApplication(
    components: ServerComponents, configuration: ServerConfiguration, logger: Logger = Logger(label: "yard"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = try buildRouter(components)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "yard"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Headers MLflow's server sends on every response; browsers rely on them for the web UI.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "SAMEORIGIN"
        return response
    }
}
