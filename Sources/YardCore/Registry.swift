/// Domain values of the model registry and MLflow 3 logged models.

public enum LoggedModelStatus: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case unspecified = "LOGGED_MODEL_STATUS_UNSPECIFIED"
    case pending = "LOGGED_MODEL_PENDING"
    case ready = "LOGGED_MODEL_READY"
    case uploadFailed = "LOGGED_MODEL_UPLOAD_FAILED"

    public init?(protoNumber: Int) {
        switch protoNumber {
        case 0: self = .unspecified
        case 1: self = .pending
        case 2: self = .ready
        case 3: self = .uploadFailed
        default: return nil
        }
    }

    public var description: String { rawValue }
}

/// A model logged by a run (MLflow 3): its own id, artifacts and metrics, independent of registration.
public struct LoggedModel: Sendable, Equatable {
    public var modelId: String
    public var experimentId: String
    public var name: String
    public var artifactLocation: String
    public var creationTimestamp: Int64
    public var lastUpdatedTimestamp: Int64
    public var status: LoggedModelStatus
    public var statusMessage: String?
    public var lifecycleStage: LifecycleStage
    public var modelType: String?
    public var sourceRunId: String?
    public var tags: [Tag]
    public var params: [Param]
    /// Metrics logged against this model, each with the run that logged it.
    public var metrics: [ModelMetric]

    public init(modelId: String, experimentId: String, name: String, artifactLocation: String, creationTimestamp: Int64,
                lastUpdatedTimestamp: Int64, status: LoggedModelStatus, statusMessage: String? = nil,
                lifecycleStage: LifecycleStage = .active, modelType: String? = nil, sourceRunId: String? = nil,
                tags: [Tag] = [], params: [Param] = [], metrics: [ModelMetric] = []) {
        self.modelId = modelId
        self.experimentId = experimentId
        self.name = name
        self.artifactLocation = artifactLocation
        self.creationTimestamp = creationTimestamp
        self.lastUpdatedTimestamp = lastUpdatedTimestamp
        self.status = status
        self.statusMessage = statusMessage
        self.lifecycleStage = lifecycleStage
        self.modelType = modelType
        self.sourceRunId = sourceRunId
        self.tags = tags
        self.params = params
        self.metrics = metrics
    }
}

public struct ModelMetric: Sendable, Equatable {
    public var metric: Metric
    public var runId: String?
    public init(metric: Metric, runId: String?) {
        self.metric = metric
        self.runId = runId
    }
}

/// Legacy registry stages; input is matched case-insensitively and stored canonical.
public enum ModelStage: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case none = "None"
    case staging = "Staging"
    case production = "Production"
    case archived = "Archived"

    public init?(caseInsensitive text: String) {
        guard let stage = Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else { return nil }
        self = stage
    }

    public var description: String { rawValue }
}

public struct ModelAlias: Sendable, Equatable {
    public var alias: String
    public var version: Int64
    public init(alias: String, version: Int64) {
        self.alias = alias
        self.version = version
    }
}

public struct RegisteredModel: Sendable, Equatable {
    public var name: String
    public var creationTimestamp: Int64
    public var lastUpdatedTimestamp: Int64
    public var userId: String?
    public var description: String
    public var tags: [Tag]
    public var aliases: [ModelAlias]
    /// The newest version in each stage.
    public var latestVersions: [ModelVersion]

    public init(name: String, creationTimestamp: Int64, lastUpdatedTimestamp: Int64, userId: String? = nil,
                description: String = "", tags: [Tag] = [], aliases: [ModelAlias] = [], latestVersions: [ModelVersion] = []) {
        self.name = name
        self.creationTimestamp = creationTimestamp
        self.lastUpdatedTimestamp = lastUpdatedTimestamp
        self.userId = userId
        self.description = description
        self.tags = tags
        self.aliases = aliases
        self.latestVersions = latestVersions
    }
}

public struct ModelVersion: Sendable, Equatable {
    public var name: String
    public var version: Int64
    public var creationTimestamp: Int64
    public var lastUpdatedTimestamp: Int64
    public var userId: String?
    public var currentStage: ModelStage
    public var description: String
    public var source: String
    public var runId: String?
    public var runLink: String?
    public var modelId: String?
    public var tags: [Tag]
    public var aliases: [String]

    public init(name: String, version: Int64, creationTimestamp: Int64, lastUpdatedTimestamp: Int64, userId: String? = nil,
                currentStage: ModelStage = .none, description: String = "", source: String, runId: String? = nil,
                runLink: String? = nil, modelId: String? = nil, tags: [Tag] = [], aliases: [String] = []) {
        self.name = name
        self.version = version
        self.creationTimestamp = creationTimestamp
        self.lastUpdatedTimestamp = lastUpdatedTimestamp
        self.userId = userId
        self.currentStage = currentStage
        self.description = description
        self.source = source
        self.runId = runId
        self.runLink = runLink
        self.modelId = modelId
        self.tags = tags
        self.aliases = aliases
    }
}

/// What a history entry records. Stored by its raw value; never rename a case's raw value.
public enum HistoryAction: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case versionCreated = "version_created"
    case versionDeleted = "version_deleted"
    case stageChanged = "stage_changed"
    case aliasSet = "alias_set"
    case aliasDeleted = "alias_deleted"
    case promoted = "promoted"
    case promotionRefused = "promotion_refused"
    case rolledBack = "rolled_back"
    case renamed = "renamed"
    case modelDeleted = "model_deleted"
    case policySet = "policy_set"
    /// A deployment serving the model was created, changed or deleted, swapped to another version, or
    /// failed to load one (the detail says which).
    case deploymentChanged = "deployment_changed"

    public var description: String { rawValue }
}

/// A history entry to append, as the registry service decides it; the store adds the model, the actor,
/// the time and the sequence, in the transaction of the change it describes.
public struct HistoryRecord: Sendable, Equatable {
    public var version: Int64?
    public var action: HistoryAction
    /// A JSON object with the particulars (alias moves, stage changes, gate results).
    public var detail: String

    public init(version: Int64?, action: HistoryAction, detail: String) {
        self.version = version
        self.action = action
        self.detail = detail
    }
}

/// One entry of a registered model's append-only history: alias moves, stage changes, promotion
/// decisions, deletions. Entries are never updated or removed. They belong to the model's stable id,
/// so they follow a rename and are not inherited by a later model of the same name.
public struct ModelHistoryEntry: Sendable, Equatable {
    public var sequence: Int64
    /// The registered model's stable id (unchanged by renames).
    public var modelId: String
    /// The model's name when the entry was written.
    public var modelName: String
    public var version: Int64?
    public var action: HistoryAction
    public var detail: String
    public var actor: String
    public var timestamp: Int64

    public init(sequence: Int64, modelId: String, modelName: String, version: Int64?, action: HistoryAction, detail: String, actor: String, timestamp: Int64) {
        self.sequence = sequence
        self.modelId = modelId
        self.modelName = modelName
        self.version = version
        self.action = action
        self.detail = detail
        self.actor = actor
        self.timestamp = timestamp
    }
}

public extension ReservedTags {
    static let isPrompt = "mlflow.prompt.is_prompt"
    static let modelVersions = "mlflow.modelVersions"
}
