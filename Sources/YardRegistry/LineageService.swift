import Foundation
import YardCore
import YardStore
import YardTracking

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
                // A name may itself hold `@` (`team@churn`), so read from the right: a trailing
                // `/<number>` is a version, else the text after the last `@` is an alias.
                let version: ModelVersion
                if let slash = reference.lastIndex(of: "/"), slash != reference.startIndex,
                   let number = Int64(reference[reference.index(after: slash)...]) {
                    version = try await registry.modelVersion(name: String(reference[..<slash]), version: number)
                } else if let at = reference.lastIndex(of: "@"), at != reference.startIndex,
                          reference.index(after: at) != reference.endIndex {
                    version = try await registry.version(name: String(reference[..<at]), alias: String(reference[reference.index(after: at)...]))
                } else {
                    throw YardError.invalid("'\(uri)' is not a model URI; use models:/<name>/<version>, models:/<name>@<alias> or models:/<model_id>")
                }
                lineage.version = .init(name: version.name, version: version.version, source: version.source,
                                        stage: version.currentStage, aliases: version.aliases)
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
            lineage.loggedModel = .init(modelId: model.modelId, name: model.name, artifactLocation: model.artifactLocation, status: model.status)
            runId = runId ?? model.sourceRunId
        }
        if let runId {
            let run = try await TrackingErrors.translating { try await tracking.run(id: runId) }
            let tag = { (key: String) in run.tags.first { $0.key == key }?.value }
            lineage.run = .init(
                runId: run.info.runId, runName: run.info.runName, experimentId: run.info.experimentId, status: run.info.status.rawValue,
                startTime: run.info.startTime, endTime: run.info.endTime, codeCommit: tag("mlflow.source.git.commit"),
                sourceName: tag("mlflow.source.name"),
                params: run.params,
                metrics: run.metrics.map { .init(key: $0.key, value: $0.value) })
            lineage.datasets = run.datasetInputs.map {
                .init(name: $0.dataset.name, digest: $0.dataset.digest, source: $0.dataset.source,
                      context: $0.tags.first { $0.key == ReservedTags.datasetContext }?.value)
            }
        }
        return lineage
    }
}
