import YardCore

/// A named serving endpoint: the model it answers with, an optional canary taking a share of the traffic,
/// an optional shadow that sees every request without answering, and how much of the traffic is logged.
public struct DeploymentRecord: Sendable, Equatable {
    /// `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`; the service validates it, stores keep it as given.
    public var name: String
    /// `models:/churn@production` or `models:/churn/3`.
    public var modelURI: String
    /// A challenger answering `canaryShare` of the requests.
    public var canaryURI: String?
    /// 0...1; 0 when there is no canary.
    public var canaryShare: Double
    /// Receives a copy of each request; its answers are logged, never returned.
    public var shadowURI: String?
    /// 0...1: the share of requests written to the prediction log.
    public var logSampleRate: Double
    /// Milliseconds since the epoch. Stores keep the creation time across updates.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(name: String, modelURI: String, canaryURI: String? = nil, canaryShare: Double = 0,
                shadowURI: String? = nil, logSampleRate: Double = 1, createdAt: Int64 = 0, updatedAt: Int64 = 0) {
        self.name = name
        self.modelURI = modelURI
        self.canaryURI = canaryURI
        self.canaryShare = canaryShare
        self.shadowURI = shadowURI
        self.logSampleRate = logSampleRate
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One answered request as the prediction log keeps it.
public struct PredictionRecord: Sendable, Equatable {
    /// The prediction id the client got back. The primary (or canary) answer and the shadow's answer to
    /// the same request may share it: a record is unique by (deployment, id, role), and a label joins every role.
    public var id: String
    public var deployment: String
    public var modelName: String
    public var modelVersion: String
    /// `primary`, `canary` or `shadow` (see `PredictionRole`).
    public var role: String
    /// Milliseconds since the epoch.
    public var timestamp: Int64
    public var latencyMicros: Int64
    /// Compact JSON of the request's rows.
    public var inputs: String
    /// Compact JSON of the answer.
    public var outputs: String
    public var rows: Int
    /// Compact JSON of the ground truth, joined later by prediction id.
    public var label: String?
    public var labeledAt: Int64?

    public init(id: String, deployment: String, modelName: String, modelVersion: String, role: String,
                timestamp: Int64, latencyMicros: Int64, inputs: String, outputs: String, rows: Int,
                label: String? = nil, labeledAt: Int64? = nil) {
        self.id = id
        self.deployment = deployment
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.role = role
        self.timestamp = timestamp
        self.latencyMicros = latencyMicros
        self.inputs = inputs
        self.outputs = outputs
        self.rows = rows
        self.label = label
        self.labeledAt = labeledAt
    }
}

/// The role names a prediction record carries, spelled once.
public enum PredictionRole {
    public static let primary = "primary"
    public static let canary = "canary"
    public static let shadow = "shadow"
}

/// A window of one deployment's prediction log, newest first (by timestamp, then by arrival).
public struct PredictionQuery: Sendable {
    /// The most records one page returns; larger limits are clamped to it.
    public static let maxLimit = 10_000

    public var deployment: String
    /// Inclusive lower bound on `timestamp` (ms).
    public var since: Int64?
    /// Exclusive upper bound on `timestamp` (ms), so consecutive windows do not overlap.
    public var until: Int64?
    public var role: String?
    /// Only records a label was joined to.
    public var labeledOnly: Bool
    /// Records per page, clamped to `1...maxLimit`.
    public var limit: Int
    /// The store's token from the previous page. Pages are keyed on the last record returned, not on an
    /// offset, so records appended meanwhile neither repeat nor skip records of later pages.
    public var pageToken: String?

    public init(deployment: String, since: Int64? = nil, until: Int64? = nil, role: String? = nil,
                labeledOnly: Bool = false, limit: Int = 100, pageToken: String? = nil) {
        self.deployment = deployment
        self.since = since
        self.until = until
        self.role = role
        self.labeledOnly = labeledOnly
        self.limit = limit
        self.pageToken = pageToken
    }
}

/// Deployments and their prediction log. Deleting a deployment keeps its log: monitoring may still read
/// it, and a deployment created again under the same name continues it. Writes are durable once the
/// call returns.
public protocol ServingStore: Sendable {
    /// Throws `.resourceAlreadyExists` when the name is taken.
    func createDeployment(_ record: DeploymentRecord) async throws
    /// Replaces everything but `createdAt`. Throws `.resourceDoesNotExist` when there is no such deployment.
    func updateDeployment(_ record: DeploymentRecord) async throws
    /// Throws `.resourceDoesNotExist` when there is no such deployment; the prediction log stays.
    func deleteDeployment(name: String) async throws
    /// Throws `.resourceDoesNotExist` when there is no such deployment.
    func deployment(name: String) async throws -> DeploymentRecord
    /// Every deployment, by name.
    func deployments() async throws -> [DeploymentRecord]

    /// Appends a batch in one transaction. A record whose (deployment, id, role) is already logged with the
    /// same content is skipped, so a batch retried after an unclear failure is not logged twice; one that
    /// reuses the id for different content fails the whole batch with RESOURCE_CONFLICT.
    func appendPredictions(_ records: [PredictionRecord]) async throws
    /// Newest first; throws `.invalidParameterValue` for a page token this store did not issue.
    func predictions(_ query: PredictionQuery) async throws -> Page<PredictionRecord>
    /// Joins each label to every record with that prediction id (replacing an earlier label) and returns
    /// how many of the ids matched; unknown ids are not counted.
    func recordLabels(_ labels: [(predictionId: String, label: String)], deployment: String, at: Int64) async throws -> Int
    /// Deletes all but the newest `keepNewest` records of the deployment and returns how many went.
    func prunePredictions(deployment: String, keepNewest: Int) async throws -> Int
    func predictionCount(deployment: String) async throws -> Int
}
