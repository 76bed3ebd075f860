import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Prometheus
import YardBlobs
import YardCore
import YardData
import YardRegistry
import YardServing
import YardPostgres
import YardSQLite
import YardStore
import YardTracking

/// The MLflow protocol version this server speaks; the client parses `/version` as a PEP 440 version.
public let mlflowCompatibleVersion = "3.18.0"

/// What a running server is made of, for the CLI to report and for tests to reach into.
public struct ServerComponents: Sendable {
    /// Where the metadata lives, for the start-up banner: the SQLite file, or the PostgreSQL URL without its password.
    public let databasePath: String
    /// The proxied artifact root (`mlflow-artifacts:`), a folder or a bucket, for the start-up banner.
    public let artifactRoot: String
    /// Every artifact store the routes may reach, opened once at start-up.
    public let artifacts: ArtifactRoots
    /// The folder behind `artifacts.proxy` when it is one, for start-up maintenance (sweeping stale upload files).
    let artifactFolder: LocalArtifactStore?
    public let tracking: TrackingService
    public let loggedModels: LoggedModelService
    public let registry: RegistryService
    public let promotion: PromotionService
    public let lineage: LineageService
    public let metrics: PrometheusCollectorRegistry
    // Data versioning: the object store remotes push to, and the dataset registry.
    public let objects: ServerObjects
    public let datasets: any DatasetStore
    /// Deployments, the prediction log and serving metrics.
    public let serving: ServingComponents
    /// Monitors over deployments and record streams, their history, alerts and metrics.
    public let monitoring: MonitoringComponents
    public let configuration: ServerConfiguration
}

/// Builds the store, the domain services and the router. `yard server` and the tests both call this, so
/// tests exercise the real router, middleware and store.
public func buildComponents(_ configuration: ServerConfiguration) async throws -> ServerComponents {
    let location = try configuration.storeLocation()
    let artifactStore = try ArtifactStoreSetup(configuration)
    let defaultArtifactRoot = "mlflow-artifacts:/"
    let (store, databasePath) = try await openMetadataStore(location, defaultExperimentLocation: defaultArtifactRoot + "0")
    // A run's `file:` location is served only inside the server's own artifact folder (none for a bucket).
    let artifacts = ArtifactRoots(proxy: artifactStore.proxy, localRoots: artifactStore.localRoots)
    let tracking = TrackingService(store: store, defaultArtifactRoot: defaultArtifactRoot,
                                   artifactRootPath: artifactStore.folder?.root)
    let registry = RegistryService(registry: store, tracking: store)
    let metrics = PrometheusCollectorRegistry()
    // Before any deployment loads, so no copy is removed while it is being read.
    let modelCache = configuration.servingModelCache, retention = configuration.servingModelRetention
    _ = try? await NIOThreadPool.singleton.runIfActive {
        ModelArtifactMirror.removeUnusedCopies(under: modelCache, olderThan: retention)
    }
    let objects = ServerObjects(cache: try ObjectCache(root: configuration.absoluteDataDirectory + "/objects"),
                                shared: try sharedObjectStore(configuration))
    return ServerComponents(
        databasePath: databasePath, artifactRoot: artifactStore.proxy.displayName, artifacts: artifacts,
        artifactFolder: artifactStore.folder,
        tracking: tracking,
        loggedModels: LoggedModelService(registry: store, tracking: store),
        registry: registry,
        promotion: PromotionService(registry: store, tracking: store),
        lineage: LineageService(registry: store, tracking: store),
        metrics: metrics,
        objects: objects,
        datasets: store,
        serving: buildServingComponents(
            catalog: ServingStoreCatalog(store: store), store: store, history: store,
            source: RegistryModelSource(registry: registry, tracking: tracking, artifacts: artifacts,
                                        cacheDirectory: configuration.servingModelCache),
            metrics: metrics, settings: configuration.serving),
        monitoring: buildMonitoringComponents(
            store: store, serving: store, datasets: store, objects: objects,
            referenceFolder: configuration.absoluteDataDirectory + "/monitoring/references",
            settings: configuration.monitoring, metrics: metrics),
        configuration: configuration)
}

/// Every store protocol the server uses, served by one store (logged models and runs share a transaction).
public typealias MetadataStore = TrackingStore & DatasetStore & RegistryStore & ServingStore & MonitoringStore

/// Opens the configured store (for PostgreSQL: the pool, and the schema brought up to date under an
/// advisory lock) with the default experiment in place; returns it with the name the banner shows.
func openMetadataStore(_ location: ServerConfiguration.StoreLocation,
                       defaultExperimentLocation: String) async throws -> (any MetadataStore, String) {
    switch location {
    case .sqlite(let path):
        let store = try SQLiteStore(path: path)
        try store.ensureDefaultExperiment(artifactLocation: defaultExperimentLocation)
        return (store, path)
    case .postgres(let settings):
        let store = try await PostgresStore(settings: settings)
        try await store.ensureDefaultExperiment(artifactLocation: defaultExperimentLocation)
        return (store, settings.displayName)
    }
}

/// The router: middleware every request passes (metrics, errors as MLflow-shaped JSON, security headers,
/// the Host allow-list, the caller's identity), then three route collections — the MLflow API under
/// `/api` and `/ajax-api`, and the native API under `/api/v1` — each with its own body limit.
public func buildRouter(_ components: ServerComponents) throws -> Router<YardRequestContext> {
    let configuration = components.configuration
    let limits = configuration.limits
    let router = Router(context: YardRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(registry: components.metrics))
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: HostAllowListMiddleware(
        allowed: HostAllowList(boundHost: configuration.host, configured: configuration.allowedHosts)))
    router.add(middleware: IdentityMiddleware())

    router.get("/health") { _, _ in Response.text("OK") }
    router.get("/version") { _, _ in Response.text(mlflowCompatibleVersion) }
    router.get("/metrics") { _, _ in
        components.serving.updateMetrics()
        return Response.text(components.metrics.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
    let scoring = ServingScoringRoutes(serving: components.serving, predictor: components.serving.predictor)
    scoring.register(on: router)
    ServingInferenceRoutes(serving: components.serving, scoring: scoring).register(on: router)

    let mlflow = MLflowRoutes(maxJSONBodyBytes: limits.mlflowJSONBytes)
    mlflow.addExperimentRoutes(components.tracking)
    mlflow.addRunRoutes(components.tracking, loggedModels: components.loggedModels)
    ArtifactRoutes(tracking: components.tracking, roots: components.artifacts, limits: limits)
        .register(on: mlflow.routes, mlflow: mlflow)
    mlflow.addLoggedModelRoutes(components.loggedModels, artifacts: components.artifacts)
    mlflow.addRegistryRoutes(components.registry)
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
    for prefix in MLflowRoutes.prefixes {
        router.addRoutes(mlflow.routes, atPath: RouterPath(prefix))
    }

    let native = NativeRoutes(maxJSONBodyBytes: limits.nativeJSONBytes)
    native.addModelRoutes(promotion: components.promotion, lineage: components.lineage)
    // The document served includes the deployments and monitoring APIs (added to OpenAPIDocument's).
    MonitoringOpenAPI.addRoute(to: native)
    ObjectRoutes(objects: components.objects, limits: limits).register(on: native.router)
    DatasetRoutes(store: components.datasets).register(on: native.router)
    ServingDeploymentRoutes(serving: components.serving, maxJSONBodyBytes: limits.nativeJSONBytes).register(on: native.router)
    MonitoringRoutes(monitoring: components.monitoring, maxJSONBodyBytes: limits.nativeJSONBytes).register(on: native.router)
    MonitoringStreamRoutes(store: components.monitoring.streams, predictionLog: components.serving.predictionLog,
                           maxJSONBodyBytes: limits.nativeJSONBytes).register(on: native.router)
    router.addRoutes(native.router, atPath: RouterPath(NativeRoutes.mountPath))
    WebUIRoutes(components: components).register(on: router)
    return router
}

public func buildApplication(
    _ configuration: ServerConfiguration, logger: Logger = Logger(label: "yard"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try await buildApplication(components: buildComponents(configuration), configuration: configuration,
                         logger: logger, onServerRunning: onServerRunning)
}

public func buildApplication(
    components: ServerComponents, configuration: ServerConfiguration, logger: Logger = Logger(label: "yard"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = try buildRouter(components)
    let idleTimeout: TimeAmount? = configuration.idleTimeoutSeconds > 0 ? .seconds(Int64(configuration.idleTimeoutSeconds)) : nil
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: idleTimeout)),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "yard"),
        services: components.serving.services + components.monitoring.services,
        onServerRunning: { channel in
            // Uploads killed mid-way (kill -9) leave hidden temporary files. Sweeping the stale ones walks
            // the whole artifact tree, so it runs beside the server on the thread pool, not before it answers.
            Task {
                let swept = (try? await components.artifactFolder?.sweepTemporaries(olderThan: 3600)) ?? 0
                let sweptObjects = (try? await NIOThreadPool.singleton.runIfActive {
                    components.objects.cache.removeTemporaries(olderThan: 3600)
                        + ModelArtifactMirror.removeAbandonedStaging(under: configuration.servingModelCache, olderThan: 3600)
                }) ?? 0
                if swept + sweptObjects > 0 {
                    logger.info("removed stale temporary upload files", metadata: ["count": "\(swept + sweptObjects)"])
                }
            }
            let port = channel.localAddress?.port ?? configuration.port
            components.monitoring.pipelines.serverStarted(host: configuration.host, port: port)
            await onServerRunning(port)
        },
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
