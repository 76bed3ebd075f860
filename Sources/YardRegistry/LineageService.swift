import Foundation
import YardCore
import YardStore

/// Where a model came from: the version, its logged model, the run that produced it with its params,
/// metrics and code commit, and the exact dataset versions (by digest) the run consumed.
public struct Lineage: Sendable, Equatable, Codable {
    public struct Version: Sendable, Equatable, Codable {
        public var name: String
        public var version: Int64
        public var source: String
        public var stage: String
        public var aliases: [String]
    }
    public struct LoggedModelInfo: Sendable, Equatable, Codable {
        public var modelId: String
        public var name: String
        public var artifactLocation: String
        public var status: String
    }
    public struct RunInfo: Sendable, Equatable, Codable {
        public var runId: String
        public var runName: String
        public var experimentId: String
        public var status: String
        public var startTime: Int64?
        public var endTime: Int64?
        public var codeCommit: String?
        public var sourceName: String?
        public var params: [String: String]
        public var metrics: [String: Double]
    }
    public struct DatasetInfo: Sendable, Equatable, Codable {
        public var name: String
        public var digest: String
        public var source: String
        public var context: String?
    }

    public var version: Version?
    public var loggedModel: LoggedModelInfo?
    public var run: RunInfo?
    public var datasets: [DatasetInfo]
}

public struct LineageService: Sendable {
    let registry: any RegistryStore
    let tracking: any TrackingStore

    public init(registry: any RegistryStore, tracking: any TrackingStore) {
        self.registry = registry
        self.tracking = tracking
    }

    /// Accepts `models:/name/3`, `models:/name@alias`, `models:/m-<id>` and `runs:/<run_id>[/path]`.
    public func lineage(of uri: String) async throws -> Lineage {
        var lineage = Lineage(version: nil, loggedModel: nil, run: nil, datasets: [])
        var runId: String?
        var modelId: String?
        if uri.hasPrefix("models:/") {
            let reference = String(uri.dropFirst("models:/".count))
            if reference.hasPrefix("m-"), !reference.contains("/") {
                modelId = reference
            } else {
                let version: ModelVersion
                if let at = reference.firstIndex(of: "@") {
                    version = try await registry.version(name: String(reference[..<at]), alias: String(reference[reference.index(after: at)...]))
                } else {
                    let parts = reference.split(separator: "/")
                    guard parts.count == 2, let number = Int64(parts[1]) else {
                        throw YardError.invalid("'\(uri)' is not a model URI; use models:/<name>/<version>, models:/<name>@<alias> or models:/<model_id>")
                    }
                    version = try await registry.modelVersion(name: String(parts[0]), version: number)
                }
                lineage.version = .init(name: version.name, version: version.version, source: version.source,
                                        stage: version.currentStage.rawValue, aliases: version.aliases)
                runId = version.runId
                modelId = version.modelId ?? (version.source.hasPrefix("models:/m-") ? String(version.source.dropFirst("models:/".count)) : nil)
            }
        } else if uri.hasPrefix("runs:/") {
            runId = uri.dropFirst("runs:/".count).split(separator: "/").first.map(String.init)
        } else {
            throw YardError.invalid("'\(uri)' is not a model or run URI; use models:/<name>/<version>, models:/<name>@<alias> or runs:/<run_id>")
        }
        if let modelId {
            let model = try await registry.loggedModel(id: modelId, allowDeleted: true)
            lineage.loggedModel = .init(modelId: model.modelId, name: model.name, artifactLocation: model.artifactLocation, status: model.status.rawValue)
            runId = runId ?? model.sourceRunId
        }
        if let runId {
            let run = try await tracking.run(id: runId)
            let tag = { (key: String) in run.tags.first { $0.key == key }?.value }
            lineage.run = .init(
                runId: run.info.runId, runName: run.info.runName, experimentId: run.info.experimentId, status: run.info.status.rawValue,
                startTime: run.info.startTime, endTime: run.info.endTime, codeCommit: tag("mlflow.source.git.commit"),
                sourceName: tag("mlflow.source.name"),
                params: Dictionary(run.params.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }),
                metrics: Dictionary(run.metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }))
            lineage.datasets = run.datasetInputs.map {
                .init(name: $0.dataset.name, digest: $0.dataset.digest, source: $0.dataset.source,
                      context: $0.tags.first { $0.key == ReservedTags.datasetContext }?.value)
            }
        }
        return lineage
    }
}
