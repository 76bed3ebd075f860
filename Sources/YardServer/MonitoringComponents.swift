import Foundation
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle
import YardCore
import YardData
import YardMonitoring
import YardStore
import YardTracking

/// Monitoring settings of a server.
public struct MonitoringSettings: Sendable {
    /// The yard binary a pipeline action runs (`yard run <stage>`); nil = the server's own executable.
    public var yardExecutable: String?
    /// Evaluate monitors on their `schedule_seconds`; off, they are evaluated only when asked.
    public var schedulerEnabled: Bool
    /// Folders under which pipeline actions may run stages (`--pipeline-workspace`); empty = none may.
    public var pipelineWorkspaces: [String]

    public init(yardExecutable: String? = nil, schedulerEnabled: Bool = true, pipelineWorkspaces: [String] = []) {
        self.yardExecutable = yardExecutable
        self.schedulerEnabled = schedulerEnabled
        self.pipelineWorkspaces = pipelineWorkspaces
    }
}

/// Monitoring in a server: the monitor service over the server's stores, its Prometheus figures, and the
/// services that evaluate monitors on their schedules.
public struct MonitoringComponents: Sendable {
    public let service: MonitorService
    public let store: any MonitoringStore
    /// Where record streams go: the prediction log, under `stream:<name>`.
    public let streams: any ServingStore
    public let metrics: MonitoringMetrics
    public let references: ServerReferenceResolver
    /// Learns the server's URL when it listens, so retrain runs are tracked on it.
    public let pipelines: ServerPipelineTrigger
    let settings: MonitoringSettings

    /// The scheduler that evaluates monitors with a `schedule_seconds`; stopped on graceful shutdown.
    public var services: [any Service] {
        scheduler.map { [MonitorSchedulerService(service: service, scheduler: $0)] } ?? []
    }
    /// Nil when the settings turn scheduling off.
    let scheduler: MonitorScheduler?
}

func buildMonitoringComponents(store: any MonitoringStore, serving: any ServingStore, datasets: any DatasetStore,
                               objects: ServerObjects, referenceFolder: String, settings: MonitoringSettings,
                               metrics registry: PrometheusCollectorRegistry) -> MonitoringComponents {
    let metrics = MonitoringMetrics(registry: registry)
    let references = ServerReferenceResolver(datasets: datasets, objects: objects, folder: referenceFolder)
    let metered = MeteredMonitoringStore(store: store, metrics: metrics)
    let pipelines = ServerPipelineTrigger(executable: settings.yardExecutable, allowedRoots: settings.pipelineWorkspaces)
    let service = MonitorService(store: metered, serving: serving, references: references, observer: metrics,
                                 webhooks: HTTPWebhookSender(), pipelines: pipelines)
    let logger = Logger(label: "yard.monitoring")
    let scheduler = settings.schedulerEnabled
        ? MonitorScheduler(service: service, report: { line in logger.warning("\(line)") }) : nil
    return MonitoringComponents(service: service, store: metered, streams: serving, metrics: metrics, references: references,
                                pipelines: pipelines, settings: settings, scheduler: scheduler)
}

/// Runs the monitor scheduler until graceful shutdown, then gives alert actions in flight (webhooks,
/// pipeline runs) a few seconds to finish before the server exits.
struct MonitorSchedulerService: Service {
    let service: MonitorService
    let scheduler: MonitorScheduler
    static let actionGrace: Duration = .seconds(5)

    func run() async throws {
        await cancelWhenGracefulShutdown { await scheduler.run() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await service.waitForActions() }
            group.addTask { try? await Task.sleep(for: Self.actionGrace) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// A monitor's reference is a registered dataset version (`yard data add --name`) whose file was pushed
/// to this server (`yard data push`): the registry gives the digest, the object store the bytes.
public struct ServerReferenceResolver: ReferenceResolver {
    let datasets: any DatasetStore
    let objects: ServerObjects
    /// Where readable names (`<digest>.csv`) for object files are linked, so readers can go by extension.
    let folder: String

    /// The shortest digest prefix accepted, as git's short ids.
    static let minimumPrefix = 7

    public func referencePath(dataset: String, digest: String) async throws -> String {
        let version = try await self.version(dataset: dataset, digest: digest)
        guard version.kind == .file else {
            throw YardError.invalid("Dataset '\(dataset)' version \(version.shortDigest) is a folder; a monitor's reference must be one CSV or JSON-lines file (register it with `yard data add --name \(dataset) <file>`).")
        }
        let content = try ContentDigest.parse(version.digest)
        let objects = self.objects.cache
        let folder = self.folder
        let fileExtension = Self.tableExtension(of: version.source)
        // Another replica may have received the bytes: fetch them into this server's cache first.
        let present = try await self.objects.ensureLocal(content)
        return try await NIOThreadPool.singleton.runIfActive {
            guard present, objects.contains(content) else {
                throw YardError(.resourceDoesNotExist, "Dataset '\(dataset)' version \(version.shortDigest) is registered, but its bytes are not on this server; push it with `yard data push -r <this server's URL> \(version.source ?? "<file>")`.")
            }
            let object = objects.path(for: content)
            guard let fileExtension else { return object }
            let link = folder + "/" + content.hex + "." + fileExtension
            if FileManager.default.fileExists(atPath: link) { return link }
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            do {
                try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: object)
            } catch {
                // Another evaluation may have linked it first; otherwise the object path still reads.
                if !FileManager.default.fileExists(atPath: link) { return object }
            }
            return link
        }
    }

    /// The version by full digest, 36-character short digest, or a unique prefix of at least 7 hex characters.
    func version(dataset: String, digest text: String) async throws -> DatasetVersionRecord {
        let service = DatasetService(store: datasets)
        var body = Substring(text.lowercased())
        if body.hasPrefix(ContentDigest.prefix) { body = body.dropFirst(ContentDigest.prefix.count) }
        if body.utf8.count == 64 || body.utf8.count == 36 {
            return try await service.version(name: dataset, digest: String(body))
        }
        guard body.utf8.count >= Self.minimumPrefix, body.utf8.count < 64, body.allSatisfy(\.isHexDigit) else {
            throw YardError.invalid("Invalid reference digest '\(text.prefix(80))' of dataset '\(dataset)': give the version's digest or at least its first \(Self.minimumPrefix) hex characters (see `yard data add --name` output or GET /api/v1/datasets/\(dataset)).")
        }
        let matches = try await service.versions(name: dataset).filter { $0.digest.hasPrefix(body) }
        guard let first = matches.first else {
            throw YardError.notFound("Dataset '\(dataset)' has no version \(text.prefix(80)); register it with `yard data add --name \(dataset) <file>`.")
        }
        guard matches.count == 1 else {
            throw YardError.invalid("Digest prefix '\(text.prefix(80))' matches \(matches.count) versions of dataset '\(dataset)'; give more characters.")
        }
        return first
    }

    static func tableExtension(of source: String?) -> String? {
        guard let source, let dot = source.lastIndex(of: ".") else { return nil }
        let suffix = source[source.index(after: dot)...].lowercased()
        return ["csv", "jsonl", "ndjson"].contains(suffix) ? suffix : nil
    }
}
