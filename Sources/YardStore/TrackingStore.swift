import YardCore

/// What the tracking domain needs from a metadata store. Implementations (SQLite now, PostgreSQL for
/// scale-out) run the same shared test suite (StoreSuite). Invariants that must hold atomically with a
/// write (params are write-once, deleted runs refuse writes) are enforced here, inside the transaction,
/// and reported as `TrackingStoreError`; the words a client reads are YardTracking's.
public protocol TrackingStore: Sendable {
    // MARK: Experiments
    /// Creates an experiment and returns its id. `artifactLocation(id)` gives its location once the id is known.
    func createExperiment(name: String, tags: [Tag], artifactLocation: @escaping @Sendable (String) -> String) async throws -> String
    func experiment(id: String) async throws -> Experiment
    func experiment(named name: String) async throws -> Experiment?
    func searchExperiments(_ query: ExperimentQuery) async throws -> Page<Experiment>
    func renameExperiment(id: String, to newName: String) async throws
    /// Soft delete or restore; runs of the experiment follow it.
    func setExperimentLifecycle(id: String, to stage: LifecycleStage) async throws
    func setExperimentTag(id: String, tag: Tag) async throws
    func deleteExperimentTag(id: String, key: String) async throws

    // MARK: Runs
    func createRun(_ info: RunInfo, tags: [Tag]) async throws
    func run(id: String) async throws -> Run
    func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) async throws -> RunInfo
    func setRunLifecycle(id: String, to stage: LifecycleStage) async throws
    func logBatch(runId: String, metrics: [Metric], params: [Param], tags: [Tag]) async throws
    func deleteRunTag(runId: String, key: String) async throws
    func logInputs(runId: String, datasets: [DatasetInput], modelIds: [String]) async throws
    func logOutputs(runId: String, models: [ModelOutput]) async throws
    func searchRuns(_ query: RunQuery) async throws -> Page<Run>
    /// One page of a key's history, ordered by (timestamp, step, value). `maxResults` is positive and
    /// already bounded by the caller; `pageToken` is the store's own.
    func metricHistory(runId: String, key: String, maxResults: Int, pageToken: String?) async throws -> Page<Metric>

    // MARK: Overviews (the web UI)
    /// Run counts and the latest activity of every experiment that has runs.
    func experimentActivity() async throws -> [ExperimentActivity]
    /// The distinct param, metric and tag keys of the experiments' runs (active and deleted), sorted.
    func runColumnKeys(experimentIds: [String]) async throws -> RunColumnKeys
    /// The whole history of one metric for each run, ordered by (step, timestamp, value); runs without the
    /// metric are absent. Unknown run ids are skipped, not an error.
    func metricSeries(runIds: [String], key: String) async throws -> [String: [Metric]]
}

public struct ExperimentActivity: Sendable, Equatable {
    public var experimentId: String
    public var activeRuns: Int
    public var deletedRuns: Int
    /// The latest start or end time of any of its runs, epoch milliseconds.
    public var lastActivity: Int64?

    public init(experimentId: String, activeRuns: Int, deletedRuns: Int, lastActivity: Int64?) {
        self.experimentId = experimentId
        self.activeRuns = activeRuns
        self.deletedRuns = deletedRuns
        self.lastActivity = lastActivity
    }
}

/// Column names a runs table can show, by kind, each sorted.
public struct RunColumnKeys: Sendable, Equatable {
    public var params: [String]
    public var metrics: [String]
    public var tags: [String]

    public init(params: [String], metrics: [String], tags: [String]) {
        self.params = params
        self.metrics = metrics
        self.tags = tags
    }
}

/// Why a tracking store refused a request, as data. YardTracking turns each case into MLflow's error
/// code and message (`TrackingErrors`), so every store reports the same words.
public enum TrackingStoreError: Error, Sendable, Equatable {
    case experimentNotFound(id: String)
    /// `createExperiment` with a name already in use.
    case experimentAlreadyExists(name: String)
    /// `renameExperiment` to a name another experiment has.
    case experimentNameTaken(name: String)
    case experimentNotActive(id: String, stage: LifecycleStage)
    case renamingInactiveExperiment(id: String)
    case deletingDefaultExperiment
    /// Deleting a deleted experiment, or restoring an active one.
    case experimentLifecycleUnchanged(id: String, requested: LifecycleStage, current: LifecycleStage)
    case experimentTagNotFound(experimentId: String, key: String)
    case runNotFound(id: String)
    case runNotActive(id: String, stage: LifecycleStage)
    case runTagNotFound(runId: String, key: String)
    /// Params are write-once: a different value for a logged key.
    case paramValueChanged(runId: String, key: String, oldValue: String, newValue: String)
}

public struct ExperimentQuery: Sendable {
    public var filter: [SearchClause]
    public var orderBy: [SearchOrder]
    public var viewType: ViewType
    public var maxResults: Int
    public var pageToken: String?

    public init(filter: [SearchClause] = [], orderBy: [SearchOrder] = [], viewType: ViewType = .activeOnly,
                maxResults: Int = 1000, pageToken: String? = nil) {
        self.filter = filter
        self.orderBy = orderBy
        self.viewType = viewType
        self.maxResults = maxResults
        self.pageToken = pageToken
    }
}

public struct RunQuery: Sendable {
    public var experimentIds: [String]
    public var filter: [SearchClause]
    public var orderBy: [SearchOrder]
    public var viewType: ViewType
    public var maxResults: Int
    public var pageToken: String?

    public init(experimentIds: [String], filter: [SearchClause] = [], orderBy: [SearchOrder] = [],
                viewType: ViewType = .activeOnly, maxResults: Int = 1000, pageToken: String? = nil) {
        self.experimentIds = experimentIds
        self.filter = filter
        self.orderBy = orderBy
        self.viewType = viewType
        self.maxResults = maxResults
        self.pageToken = pageToken
    }
}
