import YardCore

/// A monitor as stored: its name and its definition, a JSON document the monitoring domain owns
/// (source, reference dataset version, window, schedule, column mapping, alert rules and actions).
/// Stores keep the document as given; `YardMonitoring` validates it before it gets here.
public struct MonitorRecord: Sendable, Equatable {
    public var name: String
    public var spec: String
    /// Milliseconds since the epoch. Stores keep the creation time across updates.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(name: String, spec: String, createdAt: Int64 = 0, updatedAt: Int64 = 0) {
        self.name = name
        self.spec = spec
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One evaluation of a monitor over one window.
public struct MonitorEvaluationRecord: Sendable, Equatable {
    /// Assigned by the store on commit (increasing); 0 before.
    public var id: Int64
    public var monitor: String
    /// Milliseconds since the epoch: when the evaluation ran, and the window it read [from, to).
    public var evaluatedAt: Int64
    public var windowStart: Int64
    public var windowEnd: Int64
    /// Records in the window, and how many of them had labels.
    public var rows: Int
    public var labeledRows: Int
    /// The model version that answered most of the window's rows ("" for a stream without one).
    public var modelName: String
    public var modelVersion: String
    /// `ok`, or `error` with `error` saying why (e.g. an empty window or a missing reference).
    public var status: String
    public var error: String?
    public var datasetDrift: Bool
    public var shareDrifted: Double
    /// Compact JSON the domain owns: per-column drift and quality/fairness figures.
    public var result: String

    public init(id: Int64 = 0, monitor: String, evaluatedAt: Int64, windowStart: Int64, windowEnd: Int64, rows: Int,
                labeledRows: Int, modelName: String, modelVersion: String, status: String, error: String? = nil,
                datasetDrift: Bool, shareDrifted: Double, result: String) {
        self.id = id
        self.monitor = monitor
        self.evaluatedAt = evaluatedAt
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.rows = rows
        self.labeledRows = labeledRows
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.status = status
        self.error = error
        self.datasetDrift = datasetDrift
        self.shareDrifted = shareDrifted
        self.result = result
    }
}

/// Where an alert rule stands after the latest evaluation.
public struct AlertStateRecord: Sendable, Equatable {
    public var monitor: String
    public var rule: String
    /// `ok`, `pending` (condition true, not yet for long enough), `firing`, or `resolved`.
    public var state: String
    /// Consecutive evaluations the condition has held (0 when it does not).
    public var consecutive: Int
    /// When the rule entered `state` (ms).
    public var since: Int64
    public var lastValue: Double?

    public init(monitor: String, rule: String, state: String, consecutive: Int, since: Int64, lastValue: Double?) {
        self.monitor = monitor
        self.rule = rule
        self.state = state
        self.consecutive = consecutive
        self.since = since
        self.lastValue = lastValue
    }
}

/// A rule changing state: `firing` or `resolved`.
public struct AlertEventRecord: Sendable, Equatable {
    /// Assigned by the store on commit; 0 before.
    public var id: Int64
    public var monitor: String
    public var rule: String
    public var state: String
    public var evaluationId: Int64
    public var timestamp: Int64
    public var value: Double?
    public var message: String

    public init(id: Int64 = 0, monitor: String, rule: String, state: String, evaluationId: Int64, timestamp: Int64,
                value: Double?, message: String) {
        self.id = id
        self.monitor = monitor
        self.rule = rule
        self.state = state
        self.evaluationId = evaluationId
        self.timestamp = timestamp
        self.value = value
        self.message = message
    }
}

/// One attempt at an alert's action (a webhook POST or a pipeline run).
public struct ActionOutcomeRecord: Sendable, Equatable {
    public var id: Int64
    public var eventId: Int64
    public var monitor: String
    /// `webhook` or `pipeline`.
    public var action: String
    /// The URL or `workspace: stage`.
    public var target: String
    public var attempt: Int
    /// `succeeded` or `failed`.
    public var outcome: String
    /// HTTP status, exit code, run id, or the error.
    public var detail: String
    public var timestamp: Int64

    public init(id: Int64 = 0, eventId: Int64, monitor: String, action: String, target: String, attempt: Int,
                outcome: String, detail: String, timestamp: Int64) {
        self.id = id
        self.eventId = eventId
        self.monitor = monitor
        self.action = action
        self.target = target
        self.attempt = attempt
        self.outcome = outcome
        self.detail = detail
        self.timestamp = timestamp
    }
}

/// Monitors, their evaluation history, alert states and events, action outcomes, and cached reference
/// profiles. Writes are durable once the call returns.
///
/// Record streams (`POST /api/v1/streams/{name}/records`) are not here: they are prediction-log records
/// in `ServingStore` under the deployment name `stream:<name>`, which no deployment can take.
public protocol MonitoringStore: Sendable {
    /// Throws `.resourceAlreadyExists` when the name is taken.
    func createMonitor(_ record: MonitorRecord) async throws
    /// Replaces the spec, keeps `createdAt`. Throws `.resourceDoesNotExist` when there is none.
    func updateMonitor(_ record: MonitorRecord) async throws
    /// Deletes the monitor with its alert states; history (evaluations, events, outcomes) stays.
    func deleteMonitor(name: String) async throws
    func monitor(name: String) async throws -> MonitorRecord
    /// By name.
    func monitors() async throws -> [MonitorRecord]

    /// In one transaction: inserts the evaluation, replaces the monitor's alert states with `states`
    /// (only when they still equal `expectedStates`, else throws `.resourceConflict`, so two servers
    /// evaluating the same monitor cannot both fire), and inserts `events` with their `evaluationId` set.
    /// Returns the evaluation and events with their ids.
    func commitEvaluation(_ evaluation: MonitorEvaluationRecord, expectedStates: [AlertStateRecord],
                          states: [AlertStateRecord], events: [AlertEventRecord]) async throws
        -> (evaluation: MonitorEvaluationRecord, events: [AlertEventRecord])
    /// Newest first; `before` is an exclusive evaluation id bound for paging.
    func evaluations(monitor: String, limit: Int, before: Int64?) async throws -> [MonitorEvaluationRecord]
    func alertStates(monitor: String) async throws -> [AlertStateRecord]
    /// Newest first; all monitors when `monitor` is nil.
    func alertEvents(monitor: String?, limit: Int) async throws -> [AlertEventRecord]
    /// Returns the outcome with its id.
    func recordActionOutcome(_ outcome: ActionOutcomeRecord) async throws -> ActionOutcomeRecord
    /// Newest first; all monitors when `monitor` is nil.
    func actionOutcomes(monitor: String?, limit: Int) async throws -> [ActionOutcomeRecord]

    /// A reference profile the domain computed once (opaque bytes), by a key naming the dataset
    /// version and the column mapping it was computed under.
    func referenceProfile(key: String) async throws -> [UInt8]?
    func storeReferenceProfile(key: String, bytes: [UInt8]) async throws
}
