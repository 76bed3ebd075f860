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
        let experiment = try await tracking.experiment(id: experimentId)
        if let sourceRunId, !sourceRunId.isEmpty {
            _ = try await tracking.run(id: sourceRunId)
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
        try await registry.createLoggedModel(model)
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

    public func search(experimentIds: [String], filter: String?, orderBy: [(field: String, ascending: Bool)],
                       maxResults: Int64?, pageToken: String?) async throws -> Page<LoggedModel> {
        let limit = try Validation.validateMaxResults(maxResults, limit: 1000, default: 100)
        let order = try orderBy.map { try SearchGrammar.parseLoggedModelOrder(fieldName: $0.field, ascending: $0.ascending) }
        return try await registry.searchLoggedModels(LoggedModelQuery(
            experimentIds: experimentIds, filter: try SearchGrammar.parseLoggedModelFilter(filter),
            orderBy: order, maxResults: limit, pageToken: pageToken))
    }
}
