/// Domain values of experiment tracking, shaped after MLflow's entities so the wire mapping is direct.
/// Timestamps are milliseconds since the Unix epoch everywhere, as in MLflow.

public struct Tag: Sendable, Equatable, Hashable, Codable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

public typealias Param = Tag

public enum LifecycleStage: String, Sendable {
    case active, deleted
}

public enum ViewType: String, Sendable, CaseIterable {
    case activeOnly = "ACTIVE_ONLY"
    case deletedOnly = "DELETED_ONLY"
    case all = "ALL"

    public init?(protoNumber: Int) {
        switch protoNumber {
        case 1: self = .activeOnly
        case 2: self = .deletedOnly
        case 3: self = .all
        default: return nil
        }
    }

    public var stages: [LifecycleStage] {
        switch self {
        case .activeOnly: return [.active]
        case .deletedOnly: return [.deleted]
        case .all: return [.active, .deleted]
        }
    }
}

public enum RunStatus: String, Sendable, CaseIterable {
    case running = "RUNNING"
    case scheduled = "SCHEDULED"
    case finished = "FINISHED"
    case failed = "FAILED"
    case killed = "KILLED"

    public init?(protoNumber: Int) {
        switch protoNumber {
        case 1: self = .running
        case 2: self = .scheduled
        case 3: self = .finished
        case 4: self = .failed
        case 5: self = .killed
        default: return nil
        }
    }
}

public struct Experiment: Sendable, Equatable {
    public var experimentId: String
    public var name: String
    public var artifactLocation: String
    public var lifecycleStage: LifecycleStage
    public var creationTime: Int64
    public var lastUpdateTime: Int64
    public var tags: [Tag]

    public init(experimentId: String, name: String, artifactLocation: String, lifecycleStage: LifecycleStage,
                creationTime: Int64, lastUpdateTime: Int64, tags: [Tag]) {
        self.experimentId = experimentId
        self.name = name
        self.artifactLocation = artifactLocation
        self.lifecycleStage = lifecycleStage
        self.creationTime = creationTime
        self.lastUpdateTime = lastUpdateTime
        self.tags = tags
    }
}

public struct Metric: Sendable, Equatable {
    public var key: String
    public var value: Double
    public var timestamp: Int64
    public var step: Int64
    public var modelId: String?
    public var datasetName: String?
    public var datasetDigest: String?

    public init(key: String, value: Double, timestamp: Int64, step: Int64 = 0,
                modelId: String? = nil, datasetName: String? = nil, datasetDigest: String? = nil) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.step = step
        self.modelId = modelId
        self.datasetName = datasetName
        self.datasetDigest = datasetDigest
    }

    public static func == (lhs: Metric, rhs: Metric) -> Bool {
        lhs.key == rhs.key && lhs.timestamp == rhs.timestamp && lhs.step == rhs.step
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
            && lhs.modelId == rhs.modelId && lhs.datasetName == rhs.datasetName && lhs.datasetDigest == rhs.datasetDigest
    }
}

extension Metric {
    /// MLflow's rule for a run's "latest" value of a key (`RunData.metrics`, search, order_by): the point
    /// with the greatest `(step, timestamp, value)`, compared in that order. Values compare as a SQL
    /// store keeps them: NaN as 0 and ±infinity clamped to the largest finite double. Ties keep the
    /// point already chosen. Every store decides "latest" with this one function.
    public func supersedes(_ other: Metric) -> Bool {
        (step, timestamp, comparableValue) > (other.step, other.timestamp, other.comparableValue)
    }

    /// The value as the latest-metric rule compares it.
    public var comparableValue: Double {
        value.isNaN ? 0 : Validation.clampedMetricValue(value)
    }

    /// The latest point per key among `metrics` (by `supersedes`), in no particular order.
    public static func latestPerKey(_ metrics: [Metric]) -> [Metric] {
        var latest: [String: Metric] = [:]
        for metric in metrics {
            if let current = latest[metric.key], !metric.supersedes(current) { continue }
            latest[metric.key] = metric
        }
        return Array(latest.values)
    }
}

public struct RunInfo: Sendable, Equatable {
    public var runId: String
    public var runName: String
    public var experimentId: String
    public var userId: String
    public var status: RunStatus
    public var startTime: Int64?
    public var endTime: Int64?
    public var artifactUri: String
    public var lifecycleStage: LifecycleStage

    public init(runId: String, runName: String, experimentId: String, userId: String, status: RunStatus,
                startTime: Int64?, endTime: Int64?, artifactUri: String, lifecycleStage: LifecycleStage) {
        self.runId = runId
        self.runName = runName
        self.experimentId = experimentId
        self.userId = userId
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.artifactUri = artifactUri
        self.lifecycleStage = lifecycleStage
    }
}

public struct Dataset: Sendable, Equatable {
    public var name: String
    public var digest: String
    public var sourceType: String
    public var source: String
    public var schema: String?
    public var profile: String?

    public init(name: String, digest: String, sourceType: String, source: String, schema: String? = nil, profile: String? = nil) {
        self.name = name
        self.digest = digest
        self.sourceType = sourceType
        self.source = source
        self.schema = schema
        self.profile = profile
    }
}

public struct DatasetInput: Sendable, Equatable {
    public var tags: [Tag]
    public var dataset: Dataset
    public init(tags: [Tag], dataset: Dataset) {
        self.tags = tags
        self.dataset = dataset
    }
}

public struct ModelOutput: Sendable, Equatable {
    public var modelId: String
    public var step: Int64
    public init(modelId: String, step: Int64) {
        self.modelId = modelId
        self.step = step
    }
}

public struct Run: Sendable, Equatable {
    public var info: RunInfo
    /// Latest value per key, as `Metric.supersedes` decides it.
    public var metrics: [Metric]
    public var params: [Param]
    public var tags: [Tag]
    public var datasetInputs: [DatasetInput]
    public var modelInputs: [String]
    public var modelOutputs: [ModelOutput]

    public init(info: RunInfo, metrics: [Metric] = [], params: [Param] = [], tags: [Tag] = [],
                datasetInputs: [DatasetInput] = [], modelInputs: [String] = [], modelOutputs: [ModelOutput] = []) {
        self.info = info
        self.metrics = metrics
        self.params = params
        self.tags = tags
        self.datasetInputs = datasetInputs
        self.modelInputs = modelInputs
        self.modelOutputs = modelOutputs
    }
}

/// A page of results and the opaque token for the next one, if any.
public struct Page<Element: Sendable>: Sendable {
    public var items: [Element]
    public var nextPageToken: String?
    public init(items: [Element], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }
}

public enum ReservedTags {
    public static let runName = "mlflow.runName"
    public static let user = "mlflow.user"
    public static let datasetContext = "mlflow.data.context"
    public static let logModelHistory = "mlflow.log-model.history"
}
