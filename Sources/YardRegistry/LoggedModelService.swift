import Foundation
import YardCore
import YardStore
import YardTracking

/// MLflow 3 logged models: created by `log_model`, finalised once their artifacts are uploaded, and
/// found again by name when a client resolves `runs:/<run>/<name>`.
public struct LoggedModelService: Sendable {
    let registry: any RegistryStore
    let tracking: any TrackingStore

    public init(registry: any RegistryStore, tracking: any TrackingStore) {
        self.registry = registry
        self.tracking = tracking
    }

    public static func newModelId() -> String { "m-" + Identifiers.newRunId() }

    public func create(experimentId: String, name: String?, modelType: String?, sourceRunId: String?,
                       params: [Param], tags: [Tag]) async throws -> LoggedModel {
        let experiment = try await TrackingErrors.translating { try await tracking.experiment(id: experimentId) }
        if let sourceRunId, !sourceRunId.isEmpty {
            _ = try await TrackingErrors.translating { try await tracking.run(id: sourceRunId) }
        }
        for item in params + tags { try Validation.validateKey(item.key) }
        let id = Self.newModelId()
        let now = Identifiers.nowMillis()
        let model = LoggedModel(
            modelId: id, experimentId: experimentId,
            name: (name?.isEmpty == false ? name! : Identifiers.randomRunName()),
            artifactLocation: TrackingService.childLocation(experiment.artifactLocation, "models/\(id)/artifacts"),
            creationTimestamp: now, lastUpdatedTimestamp: now, status: .pending,
            modelType: modelType, sourceRunId: sourceRunId?.isEmpty == true ? nil : sourceRunId, tags: tags, params: params)
        // The store checks the experiment again in its transaction (typed tracking errors).
        try await TrackingErrors.translating { try await registry.createLoggedModel(model) }
        return try await registry.loggedModel(id: id, allowDeleted: false)
    }

    public func get(id: String, allowDeleted: Bool = false) async throws -> LoggedModel {
        try await registry.loggedModel(id: id, allowDeleted: allowDeleted)
    }

    public func finalize(id: String, status: LoggedModelStatus) async throws -> LoggedModel {
        guard status == .ready || status == .uploadFailed else {
            throw YardError.invalid("Invalid model status \(status.rawValue): a logged model can only be finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.")
        }
        return try await registry.updateLoggedModelStatus(id: id, status: status, message: nil)
    }

    public func setTags(id: String, tags: [Tag]) async throws {
        for tag in tags { try Validation.validateKey(tag.key) }
        try await registry.setLoggedModelTags(id: id, tags: tags)
    }

    public func deleteTag(id: String, key: String) async throws {
        try await registry.deleteLoggedModelTag(id: id, key: key)
    }

    public func logParams(id: String, params: [Param]) async throws {
        for param in params { try Validation.validateKey(param.key, kind: "Param key") }
        try await registry.logLoggedModelParams(id: id, params: params)
    }

    public func delete(id: String) async throws {
        try await registry.deleteLoggedModel(id: id)
    }

    /// Legacy `runs/log-model`: appends the model's JSON description to the run's
    /// `mlflow.log-model.history` tag, which older clients and the UI read. The append is one
    /// transaction (concurrent calls all land), and the tag keeps only the newest entries: at most
    /// ``logModelHistoryLimit`` of them, within MLflow's tag value limit.
    public func logLegacyModel(runId: String, modelJSON: String) async throws {
        guard let data = modelJSON.data(using: .utf8), (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw YardError.invalid("Invalid value for parameter 'model_json' supplied: it must be a JSON object.")
        }
        let model = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        for field in ["artifact_path", "flavors", "utc_time_created", "run_id"] where model[field] == nil {
            throw YardError.invalid("Model json is missing mandatory fields: ['\(field)']")
        }
        // Re-encoded compactly, as the entry will be stored.
        let entry = String(decoding: try JSONSerialization.data(withJSONObject: model, options: [.withoutEscapingSlashes]), as: UTF8.self)
        guard entry.unicodeScalars.count + 2 <= Validation.maxTagValueLength else {
            throw YardError.invalid("Invalid value for parameter 'model_json' supplied: the model description is longer than the \(Validation.maxTagValueLength) characters a run tag can hold.")
        }
        try await TrackingErrors.translating {
            try await registry.updateRunTag(runId: runId, key: ReservedTags.logModelHistory) { existing in
                Self.appendCapped(existing, entry: entry)
            }
        }
    }

    public static let logModelHistoryLimit = 100

    /// `existing` (a JSON array, or anything else, which is dropped) with `entry` appended, oldest
    /// entries removed until at most ``logModelHistoryLimit`` remain and the array fits in a tag value.
    static func appendCapped(_ existing: String?, entry: String) -> String {
        var entries: [String] = []
        if let existing, let array = (try? JSONSerialization.jsonObject(with: Data(existing.utf8))) as? [Any] {
            entries = array.compactMap { item in
                guard JSONSerialization.isValidJSONObject(item),
                      let data = try? JSONSerialization.data(withJSONObject: item, options: [.withoutEscapingSlashes]) else { return nil }
                return String(decoding: data, as: UTF8.self)
            }
        }
        entries.append(entry)
        if entries.count > logModelHistoryLimit { entries.removeFirst(entries.count - logModelHistoryLimit) }
        // "[" + entries joined by "," + "]"
        var length = entries.reduce(1) { $0 + $1.unicodeScalars.count + 1 }
        while length > Validation.maxTagValueLength, entries.count > 1 {
            length -= entries.removeFirst().unicodeScalars.count + 1
        }
        return "[" + entries.joined(separator: ",") + "]"
    }

    public func search(experimentIds: [String], filter: String?, orderBy: [(field: String, ascending: Bool)],
                       maxResults: Int64?, pageToken: String?) async throws -> Page<LoggedModel> {
        let limit = try Validation.validateMaxResults(maxResults, limit: Validation.maxLoggedModelSearchResults, default: 100)
        let order = try orderBy.map { try SearchGrammar.parseLoggedModelOrder(fieldName: $0.field, ascending: $0.ascending) }
        return try await registry.searchLoggedModels(LoggedModelQuery(
            experimentIds: experimentIds, filter: try SearchGrammar.parseLoggedModelFilter(filter),
            orderBy: order, maxResults: limit, pageToken: pageToken))
    }
}
