import Foundation
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle
import YardBlobs
import YardCore
import YardRegistry
import YardServing
import YardStore
import YardTracking

/// Serving settings of a server (`yard server`) or of a standalone model server (`yard serve`).
public struct ServingSettings: Sendable {
    /// How often each deployment's model URIs are resolved again (alias moves are followed this fast).
    public var pollInterval: Duration
    /// How long a version that failed to load is left alone before it is tried again.
    public var retryFailedAfterSeconds: Double
    /// The largest scoring or inference request body; larger ones get 413.
    public var maxRequestBytes: Int
    public var predictionLog: PredictionLogger.Configuration

    public init(pollInterval: Duration = .seconds(1), retryFailedAfterSeconds: Double = 30, maxRequestBytes: Int = 64 << 20,
                predictionLog: PredictionLogger.Configuration = .init()) {
        self.pollInterval = pollInterval
        self.retryFailedAfterSeconds = retryFailedAfterSeconds
        self.maxRequestBytes = maxRequestBytes
        self.predictionLog = predictionLog
    }
}

/// Loads model packages on NIO's thread pool (file reads and compiling the graph block), never on the
/// cooperative pool that answers requests, and runs the warm-up row there too.
public struct ServableModelLoader: ModelPackageLoader {
    public init() {}

    public func load(_ model: ResolvedModel) async throws -> ServableModel {
        let path = model.path
        return try await NIOThreadPool.singleton.runIfActive { try ServableModel.load(path: path) }
    }

    public func warmUp(_ package: ServableModel) async throws {
        let model = package.model
        try await NIOThreadPool.singleton.runIfActive { try WarmUp.run(model) }
    }
}

public typealias ServingDeployments = DeploymentManager<ServableModelLoader>
public typealias ServingDeployment = Deployment<ServableModel>

/// Resolves `models:/` URIs against this server's registry: the alias or version gives the version, its
/// download URI the artifact location, and the artifact roots the folder on this machine. Locations
/// outside the server's artifact roots are refused, as for artifact downloads.
public struct RegistryModelSource: ModelSource {
    let registry: RegistryService
    let tracking: TrackingService
    let artifacts: ArtifactRoots
    /// Where models kept in a store off this machine's disk (an S3 bucket) are copied to be loaded; nil
    /// refuses such models.
    let mirror: ModelArtifactMirror?

    public init(registry: RegistryService, tracking: TrackingService, artifacts: ArtifactRoots, cacheDirectory: String? = nil) {
        self.registry = registry
        self.tracking = tracking
        self.artifacts = artifacts
        self.mirror = cacheDirectory.map { ModelArtifactMirror(cacheDirectory: $0) }
    }

    public func resolve(_ reference: ModelReference) async throws -> ResolvedModel {
        let version: ModelVersion
        switch reference {
        case .alias(let model, let alias):
            version = try await registry.version(name: model, alias: alias)
        case .version(let model, let number):
            version = try await registry.version(name: model, version: String(number))
        case .path(let path):
            guard artifacts.localRoots.contains(where: { ArtifactLocation.isInside(path, root: $0) }) else {
                throw YardError(.permissionDenied, "Model path '\(path)' is outside the server's artifact roots; deploy a registered model (models:/<name>@<alias>) instead.")
            }
            return try await LocalPathModelSource().resolve(reference)
        }
        let location = try await registry.downloadURI(name: version.name, version: String(version.version))
        let folder = try await localFolder(of: location, model: version.name, version: String(version.version))
        return ResolvedModel(name: version.name, version: String(version.version), path: folder)
    }

    /// The folder behind an artifact location (for a bucket, its local copy); `runs:/<run_id>/<path>` goes
    /// through the run's artifact root.
    func localFolder(of location: String, model: String, version: String) async throws -> String {
        var uri = location
        var subpath = ""
        if location.hasPrefix("runs:/") {
            let rest = location.dropFirst("runs:/".count).split(separator: "/", maxSplits: 1).map(String.init)
            guard let runId = rest.first, !runId.isEmpty else {
                throw YardError.invalid("Model version source '\(location)' names no run.")
            }
            uri = try await tracking.run(id: runId).info.artifactUri
            subpath = rest.count > 1 ? rest[1] : ""
        }
        let (store, path) = try artifacts.locate(uri, subpath)
        if let local = store as? LocalArtifactStore { return try local.resolve(path) }
        guard let mirror else {
            throw YardError(.notImplemented, "Model artifacts at '\(location)' are not on this machine's disk, and this model server has no folder to copy them to.")
        }
        return try await mirror.localCopy(of: path, in: store, model: model, version: version, location: location)
    }
}

/// Everything serving needs at run time, built once with the server.
public struct ServingComponents: Sendable {
    public let deployments: ServingDeployments
    /// Nil for a standalone model server without a store.
    public let store: (any ServingStore)?
    public let predictionLog: PredictionLogger?
    public let metrics: ServingMetrics
    public let settings: ServingSettings
    let predictor: DeploymentPredictor

    /// The services that keep serving current: the deployment watcher and the prediction log writer.
    public var services: [any Service] {
        var services: [any Service] = [DeploymentWatcherService(deployments: deployments)]
        if let predictionLog { services.append(PredictionLogService(logger: predictionLog)) }
        return services
    }

    /// Brings counters kept outside the registry up to date before /metrics is rendered.
    public func updateMetrics() {
        if let predictionLog { metrics.updatePredictionLog(predictionLog.counters) }
    }

    /// Logs what the watcher does: versions swapped in at info, failures at warning.
    static func eventLogger(_ logger: Logger, metrics: ServingMetrics) -> @Sendable (DeploymentEvent) -> Void {
        { event in
            metrics.modelLoad(event)
            var metadata: Logger.Metadata = ["deployment": "\(event.deployment)", "event": "\(event.kind.rawValue)"]
            if let role = event.role { metadata["role"] = "\(role.rawValue)" }
            if event.kind == .loaded {
                logger.info("\(event.message)", metadata: metadata)
            } else {
                logger.warning("\(event.message)", metadata: metadata)
            }
        }
    }
}

/// Serving for a server or a standalone model server: the deployment manager over `catalog` and
/// `source`, a prediction log when there is a `store`, and metrics in `metrics`.
public func buildServingComponents(catalog: any DeploymentCatalog, store: (any ServingStore)?, history: (any RegistryStore)?,
                                   source: any ModelSource, metrics registry: PrometheusCollectorRegistry,
                                   settings: ServingSettings, logger: Logger = Logger(label: "yard.serving")) -> ServingComponents {
    let metrics = ServingMetrics(registry: registry)
    let deployments = ServingDeployments(
        catalog: catalog, source: source, loader: ServableModelLoader(), history: history,
        options: .init(pollInterval: settings.pollInterval, retryFailedAfter: settings.retryFailedAfterSeconds),
        events: ServingComponents.eventLogger(logger, metrics: metrics))
    let predictionLog = store.map { store in
        PredictionLogger(store: store, configuration: settings.predictionLog, report: { line in logger.warning("\(line)") })
    }
    let predictor = DeploymentPredictor(logger: predictionLog) { observation in
        metrics.prediction(deployment: observation.deployment, model: observation.modelName, version: observation.modelVersion,
                           inference: observation.inferenceTime, rows: observation.rows, summary: observation.summary)
    }
    return ServingComponents(deployments: deployments, store: store, predictionLog: predictionLog, metrics: metrics,
                             settings: settings, predictor: predictor)
}

struct DeploymentWatcherService: Service {
    let deployments: ServingDeployments

    func run() async throws {
        await cancelWhenGracefulShutdown { await deployments.run() }
    }
}

struct PredictionLogService: Service {
    let logger: PredictionLogger

    func run() async throws {
        // Cancelling run() makes it write what is buffered before returning.
        await cancelWhenGracefulShutdown { await logger.run() }
    }
}
